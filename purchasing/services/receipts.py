"""Goods receipts: the warehouse books what a supplier delivered against a purchase order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory import selectors as inventory_selectors
from inventory.services import expected_receipt_set, expected_receipts_changed, expected_receipts_clear, stock_receive
from oms import audit
from oms.errors import Conflict, InvalidTransition, MultipleErrors, OmsError, ValidationFailed
from oms.quantities import whole_quantity
from purchasing import rules
from purchasing.models import RECEIVABLE, GoodsReceipt, GoodsReceiptLine, POStatus, PurchaseOrder, PurchaseOrderLine
from purchasing.services._common import constraint_name, user_or_none
from purchasing.services.purchase_orders import lock_purchase_order, log_event


@dataclass(frozen=True)
class _Booking:
    line: PurchaseOrderLine
    quantity: int


def goods_receipt_post(
    *, purchase_order_id: int, quantities: Mapping[int, int], user, key: str = "", note: str = ""
) -> GoodsReceipt:
    """Book a delivery against a sent purchase order: ``quantities`` maps purchase order line
    ids to the units received now (0 or absent: none). A partial delivery leaves the rest
    expected; a line may receive up to its ordered quantity plus the tolerance
    (``rules.receipt_limit``, setting ``OMS_RECEIPT_TOLERANCE_PERCENT``).

    Each line is booked in inventory as a receipt movement (``stock_receive``, reference = the
    purchase order number), which publishes ``stock.received``: orders then allocate waiting
    backorders for the product, oldest first. The expected receipts shrink to what is still
    open, and the purchase order becomes partially received or received.

    Locks the purchase order FOR UPDATE, then the stock levels one by one in id order (through
    inventory). Durable. ``key`` (from the form) makes a repeated post return the first
    receipt. Raises ``InvalidTransition`` unless sent or partially received;
    ``ValidationFailed`` (``lines.<line id>``, ``nothing_received``) and ``Conflict``
    ``over_receipt`` (field ``lines.<line id>``, with ``limit``) before anything is booked.
    """
    quantities = {int(k): whole_quantity(v, f"lines.{k}", minimum=0) for k, v in quantities.items()}
    if not any(quantities.values()):
        raise ValidationFailed("Enter the quantity received for at least one line.", code="nothing_received")
    key = (key or "").strip()[:64] or None
    try:
        with transaction.atomic(durable=True), audit.context(user=getattr(user, "pk", None)):
            po = lock_purchase_order(purchase_order_id)
            if key and (earlier := GoodsReceipt.objects.filter(key=key).first()):
                return earlier
            if po.status not in RECEIVABLE:
                raise InvalidTransition(
                    po.status,
                    POStatus.RECEIVED,
                    f"Purchase order {po.number} is {po.get_status_display().lower()}; nothing can be received.",
                )
            bookings = _bookings(po, quantities)
            return _book(po, bookings, user=user, key=key, note=note)
    except IntegrityError as exc:
        if constraint_name(exc) == "purchasing_goodsreceipt_key_key":
            return GoodsReceipt.objects.get(key=key)
        raise


def _bookings(po: PurchaseOrder, quantities: dict[int, int]) -> list[_Booking]:
    """Check every line before writing anything, and report all lines that are wrong."""
    lines = {line.pk: line for line in po.lines.all()}
    errors: list[OmsError] = []
    bookings = []
    for line_id, quantity in sorted(quantities.items()):
        line = lines.get(line_id)
        if line is None:
            errors.append(
                ValidationFailed("Not a line of this purchase order.", code="unknown_line", field=f"lines.{line_id}")
            )
            continue
        if quantity == 0:
            continue
        limit = rules.receipt_limit(line.quantity_ordered)
        if line.quantity_received + quantity > limit:
            errors.append(_over_receipt(line, quantity, limit))
            continue
        bookings.append(_Booking(line, quantity))
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    return bookings


def _over_receipt(line: PurchaseOrderLine, quantity: int, limit: int) -> Conflict:
    room = max(limit - line.quantity_received, 0)
    tolerance = rules.receipt_tolerance_percent().normalize()
    return Conflict(
        f"Line {line.line_no} ({line.sku}): {quantity} is too many. {line.quantity_ordered} were ordered and "
        f"{line.quantity_received} received already; with the {tolerance:f}% over-delivery tolerance at most "
        f"{room} more can be received. Refuse the surplus or ask purchasing to order more.",
        code="over_receipt",
        field=f"lines.{line.pk}",
        line_no=line.line_no,
        ordered=line.quantity_ordered,
        received=line.quantity_received,
        limit=limit,
    )


def _book(po: PurchaseOrder, bookings: list[_Booking], *, user, key: str | None, note: str) -> GoodsReceipt:
    receipt = GoodsReceipt.objects.create(
        purchase_order=po, key=key, note=(note or "").strip()[:300], received_by=user_or_none(user)
    )
    GoodsReceiptLine.objects.bulk_create(
        GoodsReceiptLine(receipt=receipt, purchase_order_line=b.line, quantity=b.quantity) for b in bookings
    )
    for booking in bookings:
        booking.line.quantity_received += booking.quantity
        booking.line.save(update_fields=["quantity_received"])
    # Stock levels in id order, so two receipts into the same warehouse cannot deadlock.
    level_of = _level_ids(po.warehouse_id, [b.line.product_id for b in bookings])
    for booking in sorted(bookings, key=lambda b: level_of.get(b.line.product_id, 0)):
        stock_receive(
            product_id=booking.line.product_id,
            warehouse_id=po.warehouse_id,
            quantity=booking.quantity,
            reference=po.number,
            user=user_or_none(user),
        )
    _settle(po, user=user, bookings=bookings)
    return receipt


def _level_ids(warehouse_id: int, product_ids: list[int]) -> dict[int, int]:
    stock = inventory_selectors.stock_by_product(product_ids)
    return {
        product_id: row.stock_level_id
        for product_id, rows in stock.items()
        for row in rows
        if row.warehouse_id == warehouse_id
    }


def _settle(po: PurchaseOrder, *, user, bookings: list[_Booking]) -> None:
    """Move the status and shrink the expected receipts to what is still open."""
    lines = list(po.lines.all())
    complete = all(line.quantity_received >= line.quantity_ordered for line in lines)
    if complete:
        expected_receipts_clear(reference=po.number)
    else:
        for booking in bookings:
            expected_receipt_set(
                reference=po.number,
                product_id=booking.line.product_id,
                warehouse_id=po.warehouse_id,
                quantity=booking.line.quantity_open,
                expected_date=po.expected_date or timezone.localdate(),
            )
    # what still waits for these products may now wait for less, or for nothing known
    expected_receipts_changed(reference=po.number, product_ids=[b.line.product_id for b in bookings])
    po.status = POStatus.RECEIVED if complete else POStatus.PARTIALLY_RECEIVED
    po.save(update_fields=["status", "updated_at"])
    units = sum(b.quantity for b in bookings)
    summary = ", ".join(f"{b.quantity} x {b.line.sku}" for b in bookings[:5]) + (" …" if len(bookings) > 5 else "")
    log_event(
        po,
        "received",
        f"Received {units} unit(s): {summary}." + (" Complete." if complete else ""),
        user=user,
        lines={str(b.line.pk): b.quantity for b in bookings},
    )
