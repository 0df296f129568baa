"""Returns: register what a customer sends back (against shipped order lines, with a reason),
then receive it into a warehouse's stock or scrap it.

Orders counts returned units only when the goods are here (``order_record_return`` at receipt
or scrap), and then shipping publishes ``return.received`` for billing's credit note and
refund. A registration checks that no more comes back than was shipped, less what was returned
and what other open returns expect; registrations of one order take turns (an advisory lock on
the order id), and orders' own check at receipt is the backstop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from oms import events
from oms.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from oms.i18n import english
from orders import selectors as orders_selectors
from orders import services as order_services
from orders.models import Order, OrderLine
from shipping.event_names import RETURN_RECEIVED
from shipping.models import (
    RETURN_NUMBER_SEQUENCE,
    SHIPPED_STATUSES,
    Return,
    ReturnLine,
    ReturnReason,
    ReturnStatus,
    Shipment,
    ShipmentStatus,
)
from shipping.services import return_labels
from shipping.services._common import acting, clean_count, clean_text, lock_order_shipments, next_number

# pg_advisory_xact_lock(class, key): this class is "returns of one order".
RETURN_LOCK_CLASS = 7_301


def return_register(
    *,
    order_id: int,
    lines: Sequence[tuple[int, int]],
    reason: str,
    user,
    note: str = "",
    shipment_id: int | None = None,
    request_key: str | None = None,
    with_label: bool = False,
) -> Return:
    """Expect goods back: ``lines`` are ``(order_line_id, quantity)`` of shipped lines.

    ``request_key`` (the customer's form, sent once per form): a registration with the same key
    for this order returns the return it made the first time, unchanged. ``with_label``: ask the
    carrier of the order's parcel for a return label (``shipping.services.return_labels``).

    Durable. Takes the order's return lock (advisory). Publishes nothing yet (``return.received``
    comes with the goods). Raises ``ValidationFailed`` (reason, lines, quantities, note),
    ``NotFound`` (order, line, shipment), ``Conflict`` ``more_than_shipped``.
    """
    if reason not in ReturnReason.values:
        raise ValidationFailed("Choose a reason.", code="invalid_reason", field="reason")
    note = clean_text(note, "note", max_length=300, label="Note")
    wanted = _pairs(lines)
    with transaction.atomic(durable=True):
        _lock_returns_of(order_id)
        if request_key:
            earlier = Return.objects.filter(order_id=order_id, request_key=request_key).first()
            if earlier is not None:
                return earlier
        order = orders_selectors.order_get(order_id)
        if (
            shipment_id is not None
            and not Shipment.objects.filter(pk=shipment_id, order_id=order_id, status__in=SHIPPED_STATUSES).exists()
        ):
            raise NotFound("No shipment of this order that left.", field="shipment")
        by_id = _check_returnable(order, wanted)
        ret = _create(order, by_id, wanted, reason, note, shipment_id, user, request_key=request_key or None)
        if with_label:
            return_labels.return_label_plan(ret)
        return ret


def _pairs(lines) -> dict[int, int]:
    wanted: dict[int, int] = defaultdict(int)
    for index, pair in enumerate(lines or ()):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not isinstance(pair[0], int):
            raise ValidationFailed("Each item is (order_line_id, quantity).", field=f"lines.{index}")
        quantity = clean_count(pair[1], f"lines.{index}.quantity", label="Quantity")
        if quantity:
            wanted[pair[0]] += quantity
    if not wanted:
        raise ValidationFailed("Say how many of which line come back.", code="required", field="lines")
    return dict(wanted)


def _lock_returns_of(order_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [RETURN_LOCK_CLASS, order_id % 2**31])


def returnable_quantities(order: Order) -> dict[int, int]:
    """Order line id -> units that may still be registered: shipped, less returned, less what
    open returns expect. Uses the order's prefetched lines plus one query."""
    expected = dict(
        ReturnLine.objects.filter(ret__order_id=order.pk, ret__status=ReturnStatus.REGISTERED)
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("order_line_id", "total")
    )
    return {
        line.pk: line.quantity_shipped - line.quantity_returned - expected.get(line.pk, 0)
        for line in order.lines.all()
        if line.quantity_shipped
    }


def _check_returnable(order: Order, wanted: dict[int, int]) -> dict[int, OrderLine]:
    by_id = {line.pk: line for line in order.lines.all()}
    left = returnable_quantities(order)
    for line_id, quantity in wanted.items():
        if line_id not in by_id:
            raise NotFound(f"Order {order.number} has no line {line_id}.", field="lines")
        if quantity > left.get(line_id, 0):
            raise Conflict(
                f"{by_id[line_id].sku}: {max(left.get(line_id, 0), 0)} can come back, not {quantity}.",
                code="more_than_shipped",
                field="lines",
            )
    return by_id


def _create(order, by_id, wanted, reason, note, shipment_id, user, request_key=None) -> Return:
    ret = Return.objects.create(
        request_key=request_key,
        number=next_number(RETURN_NUMBER_SEQUENCE, "RT"),
        order=order,
        customer_id=order.customer_id,
        shipment_id=shipment_id,
        reason=reason,
        note=note,
        created_by=acting(user),
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(
            ret=ret,
            order_line_id=line_id,
            product_id=by_id[line_id].product_id,
            sku=by_id[line_id].sku,
            name=by_id[line_id].name,
            quantity=quantity,
        )
        for line_id, quantity in sorted(wanted.items(), key=lambda item: by_id[item[0]].line_no)
    )
    return ret


def return_register_for_shipment(shipment: Shipment, *, reason: str, user) -> Return | None:
    """The carrier sends a whole shipment back: expect what is still returnable of its lines.
    Runs in the caller's transaction (the tracking report); None when nothing is returnable."""
    order = orders_selectors.order_get(shipment.order_id)
    _lock_returns_of(order.pk)
    left = returnable_quantities(order)
    wanted = {}
    for line in shipment.lines.all():
        quantity = min(line.quantity, left.get(line.order_line_id, 0))
        if quantity > 0:
            wanted[line.order_line_id] = quantity
    if not wanted:
        return None
    by_id = {line.pk: line for line in order.lines.all()}
    return _create(order, by_id, wanted, reason, f"{shipment.number} came back from the carrier.", shipment.pk, user)


def return_receive(*, return_id: int, warehouse_id: int, user) -> Return:
    """The goods arrived and go back into ``warehouse_id``'s stock (``inventory.stock_return``
    through orders, which publishes ``stock.received`` so waiting backorders get them).

    Durable. Locks the return, the order's shipments, then the order and its stock levels
    (orders' ``order_record_return``). Publishes ``return.received`` (restocked) and
    ``order.returned`` (orders). Raises ``InvalidTransition`` (not expected any more),
    ``NotFound``, ``Conflict`` ``more_than_shipped`` (orders)."""
    return _process(return_id, user=user, warehouse_id=warehouse_id)


def return_scrap(*, return_id: int, user) -> Return:
    """The goods arrived unfit to sell: recorded as returned (for the credit) but not restocked.
    As ``return_receive`` otherwise; publishes ``return.received`` with ``restocked`` false."""
    return _process(return_id, user=user, warehouse_id=None)


def _process(return_id: int, *, user, warehouse_id: int | None) -> Return:
    target = ReturnStatus.RECEIVED if warehouse_id else ReturnStatus.SCRAPPED
    with transaction.atomic(durable=True):
        ret = _lock_open(return_id, target)
        lock_order_shipments(ret.order_id)
        lines = list(ret.lines.all())
        order_services.order_record_return(
            order=ret.order,
            lines=[(line.order_line_id, line.quantity) for line in lines],
            user=user,
            warehouse_id=warehouse_id,
            reason=f"{ret.number}, {english(ret.get_reason_display()).lower()}",
        )
        ret.status, ret.warehouse_id = target, warehouse_id
        ret.processed_by, ret.processed_at = acting(user), timezone.now()
        ret.save(update_fields=["status", "warehouse", "processed_by", "processed_at"])
        _shipment_returned_if_all_back(ret)
        events.publish(
            RETURN_RECEIVED,
            {
                "return_id": ret.pk,
                "number": ret.number,
                "order_id": ret.order_id,
                "reason": english(ret.get_reason_display()).lower(),
                "restocked": bool(warehouse_id),
                "lines": [{"order_line_id": line.order_line_id, "quantity": line.quantity} for line in lines],
            },
        )
    return ret


def _lock_open(return_id: int, target: str) -> Return:
    ret = Return.objects.select_for_update(of=("self",)).select_related("order").filter(pk=return_id).first()
    if ret is None:
        raise NotFound("No such return.", field="return")
    if ret.status != ReturnStatus.REGISTERED:
        raise InvalidTransition(
            ret.status, target, message=f"{ret.number} is {english(ret.get_status_display()).lower()}."
        )
    return ret


def _shipment_returned_if_all_back(ret: Return) -> None:
    """A shipment whose every unit came back (through received or scrapped returns) is returned."""
    if ret.shipment_id is None:
        return
    shipment = Shipment.objects.get(pk=ret.shipment_id)  # locked above with the order's shipments
    if not shipment.can_transition_to(ShipmentStatus.RETURNED):
        return
    back = dict(
        ReturnLine.objects.filter(
            ret__shipment_id=shipment.pk, ret__status__in=[ReturnStatus.RECEIVED, ReturnStatus.SCRAPPED]
        )
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("order_line_id", "total")
    )
    if all(back.get(line.order_line_id, 0) >= line.quantity for line in shipment.lines.all()):
        shipment.status, shipment.updated_at = ShipmentStatus.RETURNED, timezone.now()
        shipment.save(update_fields=["status", "updated_at"])


def return_cancel(*, return_id: int, user) -> Return:
    """The customer did not send it after all. Durable. Locks the return. Raises
    ``InvalidTransition`` when it is not expected any more."""
    with transaction.atomic(durable=True):
        ret = _lock_open(return_id, ReturnStatus.CANCELLED)
        ret.status, ret.processed_by, ret.processed_at = ReturnStatus.CANCELLED, acting(user), timezone.now()
        ret.save(update_fields=["status", "processed_by", "processed_at"])
    return ret
