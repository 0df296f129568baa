"""oms.numbers: what people type, read one way only (issue 19, Dutch number entry)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from oms.forms import AmountField
from oms.numbers import format_decimal_input, normalize_decimal


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
