"""Expected receipts: incoming supply that purchasing records when it sends a purchase order."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from inventory.events import STOCK_EXPECTED_CHANGED
from inventory.models import ExpectedReceipt
from inventory.services._common import whole_number
from oms import events
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


def expected_receipts_reschedule(*, reference: str, expected_date: date) -> list[int]:
    """Move everything expected under ``reference`` to ``expected_date`` (a supplier's new
    delivery date); one UPDATE. Returns the products whose date changed and publishes
    ``stock.expected_changed`` for them (nothing when no date changed). Runs in the caller's
    transaction. Raises ``ValidationFailed`` (expected_date)."""
    if not isinstance(expected_date, date):
        raise ValidationFailed("Expected date must be a date.", field="expected_date")
    rows = ExpectedReceipt.objects.filter(reference=reference).exclude(expected_date=expected_date)
    product_ids = sorted(set(rows.values_list("product_id", flat=True)))
    if product_ids:
        ExpectedReceipt.objects.filter(reference=reference, product_id__in=product_ids).update(
            expected_date=expected_date, updated_at=timezone.now()
        )
        expected_receipts_changed(reference=reference, product_ids=product_ids)
    return product_ids


def expected_receipts_changed(*, reference: str, product_ids) -> None:
    """Tell the layers above that what is expected of ``product_ids`` changed (one
    ``stock.expected_changed`` event for the whole change, however many rows it took)."""
    ids = sorted(set(product_ids))
    if ids:
        events.publish(STOCK_EXPECTED_CHANGED, {"product_ids": ids, "reference": reference})
