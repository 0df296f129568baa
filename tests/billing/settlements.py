"""Helpers for settlement tests: provider payments recorded as the webhook would, and CSV files."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from billing.models import JournalLine
from billing.services.payments import payment_record
from tests.factories.billing import b2c_customer

HEADER = "settlement,date,type,reference,amount,vat\n"


def provider_payment(reference: str, amount: str, method: str = "ideal", customer=None):
    """A provider payment on a customer's account (credit: no invoice needed for the ledger)."""
    customer = customer or b2c_customer()
    return payment_record(
        customer=customer, method=method, amount=amount, reference=reference, user=None, provider="mollie"
    ).payment


def balance(code: str) -> Decimal:
    rows = JournalLine.objects.filter(account__code=code).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (rows["d"] or Decimal("0")) - (rows["c"] or Decimal("0"))


def csv_file(rows: list[str]) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()
