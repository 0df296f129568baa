"""Quantities as forms, the API and imports hand them to services: whole numbers in a sane range.

One check for every app (inventory, orders, purchasing), so a quantity refused in one place is
refused with the same code and message everywhere.
"""

from __future__ import annotations

from oms.errors import ValidationFailed

MAX_QUANTITY = 1_000_000


def whole_quantity(value, field: str, *, minimum: int = 1) -> int:
    """An int in ``minimum``..MAX_QUANTITY; bools, floats and text are refused (they are bugs, not
    quantities). Raises ``ValidationFailed`` with code ``invalid_quantity`` and ``field``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("Quantity must be a whole number.", code="invalid_quantity", field=field)
    if not minimum <= value <= MAX_QUANTITY:
        raise ValidationFailed(
            f"Quantity must be between {minimum} and {MAX_QUANTITY:,}.", code="invalid_quantity", field=field
        )
    return value
