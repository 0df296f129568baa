"""oms.numbers: what people type, read one way only (issue 19, Dutch number entry)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from oms.forms import AmountField
from oms.numbers import format_decimal_input, normalize_decimal, plain_int


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("50,00", "50.00"),
        ("50.00", "50.00"),
        ("€ 50,00", "50.00"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234.567", "1234567"),
        ("-3,5", "-3.5"),
        ("50", "50"),
    ],
)
def test_both_decimal_separators_are_read(typed, read):
    assert normalize_decimal(typed) == read


@pytest.mark.parametrize("typed", ["1,2,3", "12.34.5", "1.23,4.5", "12,34.56"])
def test_ambiguous_input_is_left_for_the_field_to_refuse(typed):
    field = AmountField(max_digits=12, decimal_places=2)
    with pytest.raises(ValidationError):
        field.clean(typed)


def test_the_field_reads_a_comma_and_shows_one_in_dutch():
    field = AmountField(max_digits=12, decimal_places=2)
    assert field.clean("50,00") == Decimal("50.00")
    with translation.override("nl"):
        assert field.widget.format_value(Decimal("107.85")) == "107,85"
        assert format_decimal_input(Decimal("4988.5")) == "4988,50"
    with translation.override("en"):
        assert field.widget.format_value(Decimal("107.85")) == "107.85"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("0", 0),
        ("42", 42),
        ("000123", 123),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),  # past a database id
        ("9" * 4400, None),  # past what int() reads at all
        ("\u00b9", None),  # a superscript one: isdigit() says yes, int() refuses it
        ("\u0663", None),  # an Arabic-Indic three: int() would read it
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1.0", None),
        ("", None),
        (None, None),
    ],
)
def test_a_plain_whole_number_is_one_to_eighteen_ascii_digits(typed, read):
    assert plain_int(typed) == read


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["\u00b9", "\u00b2\u00b3", "9" * 4400])
def test_an_order_number_of_odd_digits_is_not_found_not_a_server_error(api_client_for, number):
    client = api_client_for("api_client")
    for path in (f"/api/v1/orders/{number}/", f"/api/v1/orders/{number}/payments/"):
        response = client.get(path)
        assert response.status_code == 404, (path, response.content[:200])
        assert response["Content-Type"].startswith("application/problem+json")
