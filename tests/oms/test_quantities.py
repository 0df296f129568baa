"""The one quantity check that inventory, orders and purchasing share."""

import pytest

from oms.errors import ValidationFailed
from oms.quantities import MAX_QUANTITY, whole_quantity


@pytest.mark.parametrize("value", [1, 7, MAX_QUANTITY])
def test_whole_quantity_keeps_whole_numbers_in_range(value):
    assert whole_quantity(value, "quantity") == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Quantity must be between 1 and 1,000,000."),
        (MAX_QUANTITY + 1, "Quantity must be between 1 and 1,000,000."),
        (-3, "Quantity must be between 1 and 1,000,000."),
        (True, "Quantity must be a whole number."),
        (2.0, "Quantity must be a whole number."),
        ("2", "Quantity must be a whole number."),
        (None, "Quantity must be a whole number."),
    ],
)
def test_whole_quantity_refuses_with_one_code_and_the_field(value, message):
    with pytest.raises(ValidationFailed) as caught:
        whole_quantity(value, "lines.2.quantity")
    assert (caught.value.code, caught.value.field, caught.value.message) == (
        "invalid_quantity",
        "lines.2.quantity",
        message,
    )


def test_a_minimum_of_zero_allows_nothing_received():
    assert whole_quantity(0, "lines.1", minimum=0) == 0
    with pytest.raises(ValidationFailed, match="between 0 and 1,000,000"):
        whole_quantity(-1, "lines.1", minimum=0)
