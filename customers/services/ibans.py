"""Customers' bank accounts (IBANs): the one place an IBAN is validated (``validate_iban``,
with ``schwifty``: country, length, bank code where known, and the mod-97 check digits)."""

from __future__ import annotations

from django.db import transaction
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from customers.models import Customer, CustomerIban, IbanSource
from oms.errors import ValidationFailed


def validate_iban(value, *, field: str = "iban") -> str:
    """The IBAN in its compact, upper-case form (``NL91ABNA0417164300``); raises
    ``ValidationFailed`` (code ``invalid_iban``) for anything that is not a valid IBAN."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise ValidationFailed("Enter an IBAN, e.g. NL91 ABNA 0417 1643 00.", code="invalid_iban", field=field)
    try:
        return IBAN(value.strip()).compact
    except (SchwiftyException, ValueError):
        raise ValidationFailed(
            f"'{value.strip()[:40]}' is not a valid IBAN.", code="invalid_iban", field=field
        ) from None


def customer_iban_add(*, customer: Customer, iban: str, user=None, source: str = IbanSource.MANUAL) -> CustomerIban:
    """Remember that ``customer`` pays from ``iban`` (validated). Idempotent: an IBAN the
    customer already has is returned unchanged. Locks nothing (the unique constraint on
    customer and IBAN keeps concurrent calls to one row). Raises ``ValidationFailed``."""
    iban = validate_iban(iban)
    with transaction.atomic():
        row, _ = CustomerIban.objects.get_or_create(customer=customer, iban=iban, defaults={"source": source})
    return row
