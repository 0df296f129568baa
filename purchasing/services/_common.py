"""Helpers shared by the purchasing services (not part of the public interface)."""

from __future__ import annotations

from django.db import IntegrityError

from oms.errors import ValidationFailed

MAX_QUANTITY = 1_000_000


def whole_quantity(value, field: str, *, minimum: int = 1) -> int:
    """An int in ``minimum``..MAX_QUANTITY; bools, floats and text are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("Quantity must be a whole number.", code="invalid_quantity", field=field)
    if not minimum <= value <= MAX_QUANTITY:
        raise ValidationFailed(
            f"Quantity must be between {minimum} and {MAX_QUANTITY:,}.", code="invalid_quantity", field=field
        )
    return value


def user_or_none(user):
    return user if getattr(user, "pk", None) else None


def constraint_name(exc: IntegrityError) -> str:
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    return getattr(diag, "constraint_name", "") or ""
