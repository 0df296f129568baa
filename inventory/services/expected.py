"""Expected receipts: incoming supply that purchasing records when it sends a purchase order."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from inventory.models import ExpectedReceipt
from inventory.services._common import whole_number
from oms.errors import ValidationFailed


def expected_receipt_set(
    *, reference: str, product_id: int, warehouse_id: int, quantity: int, expected_date: date
) -> ExpectedReceipt | None:
    """Record (or change) the quantity expected for a product in a warehouse under a reference
    (a purchase order number); quantity 0 removes it. One INSERT ... ON CONFLICT DO UPDATE, so
    concurrent calls for the same key are safe. Runs in the caller's transaction; publishes
    nothing. Raises ``ValidationFailed`` (reference, quantity, expected_date)."""
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        raise ValidationFailed("A reference of 1 to 100 characters is required.", field="reference")
    quantity = whole_number(quantity, "quantity", minimum=0)
    if not isinstance(expected_date, date):
        raise ValidationFailed("Expected date must be a date.", field="expected_date")
    with transaction.atomic():
        if quantity == 0:
            ExpectedReceipt.objects.filter(
                reference=reference, product_id=product_id, warehouse_id=warehouse_id
            ).delete()
            return None
        (receipt,) = ExpectedReceipt.objects.bulk_create(
            [
                ExpectedReceipt(
                    reference=reference,
                    product_id=product_id,
                    warehouse_id=warehouse_id,
                    quantity=quantity,
                    expected_date=expected_date,
                )
            ],
            update_conflicts=True,
            unique_fields=["reference", "product", "warehouse"],
            update_fields=["quantity", "expected_date", "updated_at"],
        )
        return receipt


def expected_receipts_clear(*, reference: str) -> int:
    """Remove everything expected under a reference (the purchase order was received in full
    or cancelled). Returns how many rows went. Runs in the caller's transaction."""
    deleted, _ = ExpectedReceipt.objects.filter(reference=reference).delete()
    return deleted
