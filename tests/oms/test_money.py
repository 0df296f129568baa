from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from oms import money
from oms.models import VatRate


def test_quantize_rounds_half_up_to_cents():
    assert money.quantize("2.345") == Decimal("2.35")
    assert money.quantize("2.344") == Decimal("2.34")
    assert money.quantize("-2.345") == Decimal("-2.35")
    assert money.quantize(3) == Decimal("3.00")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        money.quantize(0.1)


def test_vat_is_computed_per_rate_over_the_summed_net():
    # three lines of 0.05 at 21%: per line 0.01 each (0.03), over the sum 0.15 * 21% = 0.0315 -> 0.03
    lines = [(Decimal("0.05"), Decimal("21"))] * 3 + [(Decimal("10.00"), Decimal("9"))]
    result = money.vat_by_rate(lines)
    assert list(result) == [Decimal("21"), Decimal("9")]
    assert result[Decimal("21")] == {"net": Decimal("0.15"), "vat": Decimal("0.03"), "gross": Decimal("0.18")}
    assert result[Decimal("9")] == {"net": Decimal("10.00"), "vat": Decimal("0.90"), "gross": Decimal("10.90")}


def test_vat_in_prices_incl_vat_is_extracted_once_per_rate_so_the_total_is_the_shelf_prices():
    # three mugs of 9.99 and a book of 21.80: extracted per line (1.73 x 3 + 1.80) the VAT
    # would be 6.99 and the nets would not add up to the shelf; per rate 29.97 holds 5.20
    lines = [(Decimal("9.99"), Decimal("21"))] * 3 + [(Decimal("21.80"), Decimal("9"))]
    result = money.vat_by_rate(lines, prices_include_vat=True)
    assert result[Decimal("21")] == {"net": Decimal("24.77"), "vat": Decimal("5.20"), "gross": Decimal("29.97")}
    assert result[Decimal("9")] == {"net": Decimal("20.00"), "vat": Decimal("1.80"), "gross": Decimal("21.80")}
    assert sum(row["gross"] for row in result.values()) == 3 * Decimal("9.99") + Decimal("21.80")
    assert money.vat_in_gross("12.10", "21") == Decimal("2.10") and money.gross_of("8.26", "21") == Decimal("9.99")


def test_spread_divides_a_net_over_lines_to_the_cent():
    assert money.spread(Decimal("8.26"), [Decimal("3"), Decimal("3"), Decimal("4")]) == [
        Decimal("2.48"),
        Decimal("2.48"),
        Decimal("3.30"),
    ]
    assert money.spread(Decimal("-0.02"), [Decimal("-1")] * 3) == [Decimal("-0.01"), Decimal("-0.01"), Decimal("0")]
    assert money.spread(Decimal("1.00"), [Decimal("0")] * 2) == [Decimal("1.00"), Decimal("0.00")]


def test_a_voucher_line_takes_its_negative_share_of_its_rate_s_net():
    # a mug of 24.78 and a voucher of -5.00 at 21 %: the rate's 19.78 holds 16.35 net; the
    # voucher lowers it by its share (-4.13, its own 5.00 less VAT), not by nothing
    nets = money.spread(Decimal("16.35"), [Decimal("24.78"), Decimal("-5.00")])
    assert nets == [Decimal("20.48"), Decimal("-4.13")]
    # the credit note of it mirrors it to the cent
    assert money.spread(Decimal("-16.35"), [Decimal("-24.78"), Decimal("5.00")]) == [-n for n in nets]


def test_spread_refuses_a_total_over_weights_that_cancel_out():
    assert money.spread(Decimal("0"), [Decimal("5"), Decimal("-5")]) == [Decimal("0"), Decimal("0")]
    with pytest.raises(ValueError):
        money.spread(Decimal("1.00"), [Decimal("5"), Decimal("-5")])


CENTS = st.integers(-(10**7), 10**7).map(lambda c: Decimal(c) / 100)


@given(
    weights=st.lists(CENTS, min_size=1, max_size=8).filter(lambda ws: sum(ws) != 0),
    ratio=st.fractions(min_value=0, max_value=3, max_denominator=1000),
)
def test_spread_parts_add_up_to_the_total_and_follow_their_lines_signs(weights, ratio):
    """Property: for any lines (vouchers among them) and a total of the same sign as their sum
    (a rate's net of its gross), the parts add up to the total to the cent, each part has its
    line's sign (or is nil), lies within a cent of its exact share, and the negated input
    gives the negated parts (credit notes mirror)."""
    whole = sum(weights)
    total = money.quantize(whole * Decimal(ratio.numerator) / Decimal(ratio.denominator))
    parts = money.spread(total, weights)
    assert sum(parts) == total
    assert all(p == p.quantize(money.CENT) for p in parts)
    for part, weight in zip(parts, weights, strict=True):
        assert part * weight >= 0, (part, weight)
        exact = Fraction(total) * Fraction(weight) / Fraction(whole)
        assert abs(Fraction(part) - exact) < Fraction(1, 100)
    assert money.spread(-total, [-w for w in weights]) == [-p for p in parts]


@pytest.mark.parametrize(
    "value, text",
    [
        (Decimal("1234.56"), "€\u00a01.234,56"),
        (Decimal("0"), "€\u00a00,00"),
        (Decimal("-1234567.891"), "€\u00a0-1.234.567,89"),
        ("12.5", "€\u00a012,50"),
    ],
)
def test_money_filter_prints_dutch_format(value, text):
    assert Template("{{ v|money }}").render(Context({"v": value})) == text


@pytest.mark.django_db
def test_vat_rate_follows_the_supply_date():
    assert money.vat_rate("low", date(2018, 12, 31)) == Decimal("6.00")
    assert money.vat_rate("low", date(2019, 1, 1)) == Decimal("9.00")
    assert money.vat_rates_on(date(2026, 11, 26)) == {
        "high": Decimal("21.00"),
        "low": Decimal("9.00"),
        "zero": Decimal("0.00"),
    }
    # a new law: the rate is data, so a row changes it from its date on
    VatRate.objects.create(category="low", rate=Decimal("11.00"), valid_from=date(2027, 1, 1))
    money.clear_rate_cache()
    assert money.vat_rate("low", date(2026, 12, 31)) == Decimal("9.00")
    assert money.vat_rate("low", date(2027, 1, 1)) == Decimal("11.00")
