"""Purchase orders: drafted from reorder requests, edited while draft, sent (expected receipts
recorded in inventory, the PDF rendered and e-mailed by a worker), cancelled."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from inventory.services import (
    expected_receipt_set,
    expected_receipts_changed,
    expected_receipts_clear,
    expected_receipts_reschedule,
)
from oms import audit, deliver_once
from oms.errors import Conflict, InvalidTransition, MultipleErrors, ValidationFailed
from oms.money import ZERO, quantize
from oms.numbering import format_number, next_value
from oms.quantities import whole_quantity
from oms.roles import Role
from purchasing import rules
from purchasing.models import (
    PO_NUMBER_SEQUENCE,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRequest,
    RequestStatus,
    SupplierProduct,
    TimelineEntry,
)
from purchasing.services._common import user_or_none

# The e-mail of a sent purchase order's PDF to the supplier (``purchasing.services.documents``).
PO_EMAIL = deliver_once.register(
    deliver_once.Kind(
        code="purchasing.po_email",
        task="purchasing.tasks.purchase_order_document_send",
        label="Purchase order e-mail",
        inbox_label=gettext_noop("Purchase orders not e-mailed"),
        role=Role.PURCHASING,
        # A claim older than this belongs to a worker that died while talking to the mail
        # server; the next run may try again (the one case where a supplier could get it twice).
        claim_timeout=timedelta(minutes=10),
        sweep_grace=timedelta(minutes=2),
    )
).code


def log_event(po: PurchaseOrder, kind: str, message: str, *, user=None, **data) -> TimelineEntry:
    """Append to the purchase order's timeline (in the caller's transaction)."""
    return TimelineEntry.objects.create(
        purchase_order=po, kind=kind, message=message[:300], data=data, user=user_or_none(user)
    )


def lock_purchase_order(purchase_order_id: int) -> PurchaseOrder:
    """The purchase order locked FOR UPDATE (its lines change only under this lock)."""
    po = PurchaseOrder.objects.select_for_update(of=("self",)).select_related("supplier", "warehouse")
    po = po.filter(pk=purchase_order_id).first()
    if po is None:
        raise ValidationFailed("No such purchase order.", code="unknown_purchase_order", field="purchase_order")
    return po


def check_transition(po: PurchaseOrder, target: str) -> None:
    if not po.can_transition_to(target):
        raise InvalidTransition(
            po.status,
            target,
            f"Purchase order {po.number} is {po.get_status_display().lower()}; it cannot be "
            f"{POStatus(target).label.lower()}.",
        )


def _recompute_total(po: PurchaseOrder) -> None:
    total = sum((line.line_total for line in po.lines.all()), ZERO)
    po.total_amount = quantize(total)
    po.save(update_fields=["total_amount", "updated_at"])


# --- draft purchase orders from requests ----------------------------------------------------------


def purchase_orders_create_from_requests(
    *, request_ids: Sequence[int], user, quantities: Mapping[int, int] | None = None, today: date | None = None
) -> list[PurchaseOrder]:
    """Turn open reorder requests into draft purchase orders: one per supplier and receiving
    warehouse, one line per request, at the supplier's unit cost. ``quantities`` (request id
    -> quantity) overrides what the requests say. The requests become ``ordered``.

    Locks the requests FOR UPDATE in id order, so two people ordering the same requests get
    one purchase order. Publishes nothing. Raises ``ValidationFailed`` (nothing selected,
    code ``no_supplier`` for a request without one, ``quantities.<id>``), ``Conflict``
    ``request_not_open`` when a request was ordered or dismissed meanwhile; then nothing is
    created.
    """
    ids = sorted({int(i) for i in request_ids})
    if not ids:
        raise ValidationFailed("Select at least one request.", code="nothing_selected", field="requests")
    quantities = {int(k): whole_quantity(v, f"quantities.{k}") for k, v in (quantities or {}).items()}
    with transaction.atomic(durable=True), audit.context(user=getattr(user, "pk", None)):
        requests = list(
            ReorderRequest.objects.select_for_update(of=("self",))
            .select_related("product", "supplier")
            .filter(pk__in=ids)
            .order_by("id")
        )
        _check_orderable(requests, ids)
        groups: dict[tuple[int, int], list[ReorderRequest]] = {}
        for request in requests:
            request.quantity = quantities.get(request.pk, request.quantity)
            groups.setdefault((request.supplier_id, request.warehouse_id), []).append(request)
        offers = _supplier_offers(requests)
        today = today or timezone.localdate()
        orders = [_draft_from(group, offers, user=user, today=today) for _, group in sorted(groups.items())]
        return orders


def _check_orderable(requests: list[ReorderRequest], ids: list[int]) -> None:
    errors = []
    found = {r.pk for r in requests}
    if found != set(ids):
        errors.append(Conflict("A selected request no longer exists.", code="request_not_open", field="requests"))
    for request in requests:
        if request.status != RequestStatus.OPEN:
            errors.append(
                Conflict(
                    f"{request.product.sku}: this request is {request.get_status_display().lower()} already.",
                    code="request_not_open",
                    field=f"requests.{request.pk}",
                )
            )
        elif request.supplier_id is None:
            errors.append(
                ValidationFailed(
                    f"{request.product.sku} has no supplier; add a supplier product first.",
                    code="no_supplier",
                    field=f"requests.{request.pk}",
                )
            )
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)


def _supplier_offers(requests: list[ReorderRequest]) -> dict[tuple[int, int], SupplierProduct]:
    rows = SupplierProduct.objects.select_related("supplier").filter(
        supplier_id__in={r.supplier_id for r in requests}, product_id__in={r.product_id for r in requests}
    )
    return {(sp.supplier_id, sp.product_id): sp for sp in rows}


def _draft_from(requests: list[ReorderRequest], offers: dict, *, user, today: date) -> PurchaseOrder:
    first = requests[0]
    lead_times = []
    lines = []
    for line_no, request in enumerate(sorted(requests, key=lambda r: r.product.sku), start=1):
        offer = offers.get((request.supplier_id, request.product_id))
        unit_cost = offer.unit_cost if offer else (request.unit_cost or ZERO)
        lead_times.append(offer.effective_lead_time_days if offer else first.supplier.lead_time_days)
        lines.append(
            PurchaseOrderLine(
                line_no=line_no,
                product_id=request.product_id,
                sku=request.product.sku,
                name=request.product.name,
                supplier_sku=offer.supplier_sku if offer else "",
                quantity_ordered=request.quantity,
                unit_cost=unit_cost,
                line_total=quantize(unit_cost * request.quantity),
            )
        )
    po = PurchaseOrder.objects.create(
        number=format_number("PO", next_value(PO_NUMBER_SEQUENCE)),
        supplier_id=first.supplier_id,
        warehouse_id=first.warehouse_id,
        expected_date=rules.expected_arrival(today, max(lead_times)),
        total_amount=quantize(sum((line.line_total for line in lines), ZERO)),
        created_by=user_or_none(user),
    )
    for line in lines:
        line.purchase_order = po
    PurchaseOrderLine.objects.bulk_create(lines)
    now = timezone.now()
    for request in requests:
        request.status, request.purchase_order, request.decided_by = RequestStatus.ORDERED, po, user_or_none(user)
        request.updated_at = now
    ReorderRequest.objects.bulk_update(requests, ["status", "purchase_order", "decided_by", "quantity", "updated_at"])
    log_event(po, "created", f"Drafted from {len(requests)} reorder request(s).", user=user)
    return po


# --- editing a draft ------------------------------------------------------------------------------


def purchase_order_line_set_quantity(*, line_id: int, quantity: int, user) -> PurchaseOrderLine:
    """Change a draft line's quantity; 0 removes the line. Locks the purchase order FOR
    UPDATE; publishes nothing. Raises ``ValidationFailed`` (``quantity``, unknown line),
    ``InvalidTransition`` once the purchase order was sent and ``Conflict`` ``last_line``
    when the last line would go (cancel the draft instead)."""
    quantity = whole_quantity(quantity, "quantity", minimum=0)
    with transaction.atomic(durable=True), audit.context(user=getattr(user, "pk", None)):
        line = PurchaseOrderLine.objects.filter(pk=line_id).only("purchase_order_id").first()
        if line is None:
            raise ValidationFailed("No such purchase order line.", code="unknown_line", field="line")
        po = lock_purchase_order(line.purchase_order_id)
        if po.status != POStatus.DRAFT:
            raise InvalidTransition(po.status, POStatus.DRAFT, "Only a draft purchase order can be changed.")
        line = po.lines.get(pk=line_id)
        if quantity == 0:
            if po.lines.count() == 1:
                raise Conflict("A purchase order needs a line; cancel it instead.", code="last_line", field="quantity")
            line.delete()
            log_event(po, "line_removed", f"Removed {line.sku}.", user=user)
        else:
            line.quantity_ordered = quantity
            line.line_total = quantize(line.unit_cost * quantity)
            line.save(update_fields=["quantity_ordered", "line_total"])
        _recompute_total(po)
        return line


# --- sending and cancelling -----------------------------------------------------------------------


def purchase_order_send(*, purchase_order_id: int, user, today: date | None = None) -> PurchaseOrder:
    """Send a draft purchase order: it becomes ``sent``, dated today, expected after the
    longest lead time of its lines; each line is recorded as an expected receipt in inventory
    (reference = the number) so stock screens and promise dates see it coming. After commit a
    worker renders the PDF and e-mails it to the supplier once
    (``purchase_order_document_send``).

    Locks the purchase order FOR UPDATE. Publishes nothing (inventory's expected receipts are
    the news). Raises ``InvalidTransition`` unless draft, ``ValidationFailed``
    ``supplier_without_email`` when the supplier has no e-mail address.
    """
    with transaction.atomic(durable=True), audit.context(user=getattr(user, "pk", None)):
        po = lock_purchase_order(purchase_order_id)
        check_transition(po, POStatus.SENT)
        if not po.supplier.email:
            raise ValidationFailed(
                f"{po.supplier.name} has no e-mail address to send the order to; add one first.",
                code="supplier_without_email",
                field="supplier",
            )
        lines = list(po.lines.all())
        today = today or timezone.localdate()
        po.status, po.order_date, po.sent_at, po.sent_by = POStatus.SENT, today, timezone.now(), user_or_none(user)
        po.expected_date = rules.expected_arrival(today, _lead_time(po, lines))
        po.save(update_fields=["status", "order_date", "sent_at", "sent_by", "expected_date", "updated_at"])
        for line in lines:
            expected_receipt_set(
                reference=po.number,
                product_id=line.product_id,
                warehouse_id=po.warehouse_id,
                quantity=line.quantity_ordered,
                expected_date=po.expected_date,
            )
        expected_receipts_changed(reference=po.number, product_ids=[line.product_id for line in lines])
        log_event(po, "sent", f"Sent; expected on {po.expected_date:%d-%m-%Y}.", user=user)
        deliver_once.deliver(PO_EMAIL, po.pk)
        return po


def _lead_time(po: PurchaseOrder, lines: list[PurchaseOrderLine]) -> int:
    """The longest lead time of the lines (a line without its own: the supplier's)."""
    offers = {
        offer.product_id: offer.lead_time_days
        for offer in SupplierProduct.objects.filter(
            supplier_id=po.supplier_id, product_id__in=[line.product_id for line in lines]
        )
    }
    default = po.supplier.lead_time_days
    days = [offers.get(line.product_id) for line in lines]
    return max((default if d is None else d for d in days), default=default)


def queue_document(purchase_order_id: int) -> bool:
    """Hand the PDF-and-e-mail job to a worker; never raises (a dead broker must not fail a
    request that has committed). The purchase order page offers to queue it again."""
    return deliver_once.queue_try(PO_EMAIL, purchase_order_id)


def purchase_order_cancel(*, purchase_order_id: int, user, reason: str = "") -> PurchaseOrder:
    """Cancel a draft or sent purchase order that has received nothing: its expected receipts
    leave inventory and its reorder requests are dismissed (the scan raises new ones where
    stock is still low).

    Locks the purchase order FOR UPDATE. Publishes nothing. Raises ``InvalidTransition`` once
    goods were received (or it is received or cancelled already).
    """
    with transaction.atomic(durable=True), audit.context(user=getattr(user, "pk", None)):
        po = lock_purchase_order(purchase_order_id)
        check_transition(po, POStatus.CANCELLED)
        was_sent = po.status == POStatus.SENT
        po.status = POStatus.CANCELLED
        po.save(update_fields=["status", "updated_at"])
        if was_sent:
            expected_receipts_clear(reference=po.number)
            expected_receipts_changed(reference=po.number, product_ids=po.lines.values_list("product_id", flat=True))
        po.requests.filter(status=RequestStatus.ORDERED).update(
            status=RequestStatus.DISMISSED, decided_by=user_or_none(user), updated_at=timezone.now()
        )
        reason = (reason or "").strip()[:200]
        log_event(po, "cancelled", f"Cancelled{': ' + reason if reason else ''}.", user=user)
        return po


RESCHEDULABLE = frozenset({POStatus.SENT, POStatus.PARTIALLY_RECEIVED})


def purchase_order_reschedule(*, purchase_order_id: int, expected_date: date, user, reason: str = "") -> PurchaseOrder:
    """The supplier gave a new delivery date: the purchase order and everything still expected
    of it move to ``expected_date``, and (through inventory's ``stock.expected_changed``) the
    customer orders waiting for it are re-promised.

    Locks the purchase order FOR UPDATE. Publishes ``stock.expected_changed`` (inventory) when a
    date changed; the same date again changes nothing. Raises ``Conflict`` ``not_rescheduable`` unless sent
    or partly received, ``ValidationFailed`` ``expected_date`` (not a date, or before the order date).
    """
    if not isinstance(expected_date, date):
        raise ValidationFailed("Give the new expected date.", field="expected_date")
    with transaction.atomic(durable=True), audit.context(user=getattr(user, "pk", None)):
        po = lock_purchase_order(purchase_order_id)
        if po.status not in RESCHEDULABLE:
            raise Conflict(
                f"Purchase order {po.number} is {po.get_status_display().lower()}; only a sent one can move.",
                code="not_rescheduable",
                field="expected_date",
            )
        if po.order_date and expected_date < po.order_date:
            raise ValidationFailed("The expected date cannot be before the order date.", field="expected_date")
        if po.expected_date == expected_date:
            return po
        before = po.expected_date
        po.expected_date = expected_date
        po.save(update_fields=["expected_date", "updated_at"])
        expected_receipts_reschedule(reference=po.number, expected_date=expected_date)
        reason = (reason or "").strip()[:200]
        moved = f"Expected date moved from {before:%d-%m-%Y} to {expected_date:%d-%m-%Y}" if before else "Expected on"
        log_event(po, "rescheduled", f"{moved}{': ' + reason if reason else ''}.", user=user)
        return po


def purchase_order_document_resend(*, purchase_order_id: int, user) -> bool:
    """Queue the PDF-and-e-mail job again for a sent purchase order whose e-mail has not gone
    out (a worker or the mail server was down). The job itself sends at most once."""
    po = PurchaseOrder.objects.filter(pk=purchase_order_id).only("status").first()
    if po is None or po.status == POStatus.DRAFT or po.status == POStatus.CANCELLED:
        raise Conflict("Only a sent purchase order has a document to send.", code="not_sent")
    if deliver_once.retry(PO_EMAIL, purchase_order_id):
        return True
    return queue_document(purchase_order_id)
