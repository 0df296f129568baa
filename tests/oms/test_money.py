from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template

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
