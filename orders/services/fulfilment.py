"""What happens to an order after it is placed, driven by shipping and billing (layer 3):
picking, shipments (stock issued), delivery, the amount paid, returns.

These services are NOT durable: shipping and billing call them inside their own use case's
transaction (a shipment and the order's progress commit together). Each locks the order row
first, then stock levels where it touches stock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from inventory import services as inventory_services
from oms.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from oms.i18n import part
from oms.quantities import whole_quantity
from orders.event_names import ORDER_RETURNED, STATUS_EVENTS
from orders.models import Allocation, AllocationStatus, Order, OrderEvent, OrderEventKind, OrderLine, OrderStatus
from orders.services._common import (
    clean_amount,
    clean_text,
    lock_order,
    money,
    publish,
    publish_all,
    require,
    save,
    timeline,
    timeline_row,
    transition,
)
from orders.services.allocation import split_off

SHIPPABLE = (OrderStatus.ALLOCATED, OrderStatus.BACKORDERED, OrderStatus.PICKING, OrderStatus.PARTIALLY_SHIPPED)
RETURNABLE = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def order_start_picking(*, order: Order, user, now: datetime | None = None) -> Order:
    """The warehouse starts picking what is reserved. Refused while nothing is reserved, for a
    ship-complete order while anything is backordered, and for an order paid before picking
    whose payment is not in. Locks the order row. Publishes ``order.picking_started``. Raises
    ``InvalidTransition``, ``Conflict`` ``nothing_to_pick`` / ``ship_complete_waiting`` /
    ``awaiting_payment``."""
    with transaction.atomic():
        locked = lock_order(order.pk)
        require(locked, OrderStatus.PICKING)
        refuse_unpaid(locked, "picked")
        lines = [line for line in OrderLine.objects.filter(order=locked) if not line.is_cancelled]
        if locked.ship_complete and any(line.quantity_backordered for line in lines):
            raise Conflict(
                f"Order {locked.number} ships complete and still waits for stock.", code="ship_complete_waiting"
            )
        if not any(line.quantity_reserved for line in lines):
            raise Conflict(f"Nothing of order {locked.number} is in stock to pick.", code="nothing_to_pick")
        transition(
            locked, OrderStatus.PICKING, user=user, kind=OrderEventKind.PICKING, message="Picking started.", now=now
        )
    return locked


def order_record_shipment(
    *,
    order: Order,
    lines: Sequence[tuple[int, int]],
    user,
    warehouse_id: int | None = None,
    reference: str = "",
    now: datetime | None = None,
) -> Order:
    """Goods left the warehouse: ``lines`` are ``(order_line_id, quantity)``. Takes the line's
    reserved allocations (in ``warehouse_id`` when given; oldest first), issues that stock in
    inventory (``stock_issue``: on-hand and reserved go down, issue movements with
    ``reference``, default the order number), marks the allocations issued (splitting one that
    is shipped in part) and the lines shipped, and moves the order to ``partially_shipped`` or
    ``shipped``.

    Not durable (shipping calls it in its own transaction). Locks the order row, then the stock
    levels. Publishes ``order.partially_shipped`` or ``order.shipped``. Raises
    ``InvalidTransition``, ``ValidationFailed`` (``lines.N``), ``NotFound`` (a line of another
    order), ``Conflict`` ``not_reserved`` (more than is reserved for the line there) /
    ``awaiting_payment`` (paid before picking, and not paid).
    """
    now = now or timezone.now()
    wanted = _pairs(lines, "lines")
    with transaction.atomic():
        locked = lock_order(order.pk)
        if locked.status not in SHIPPABLE:
            raise_invalid(locked, OrderStatus.SHIPPED)
        refuse_unpaid(locked, "shipped")
        by_id = _lines(locked, wanted, "lines")
        _issue(locked, by_id, wanted, warehouse_id, reference, user, now)
        for line_id, quantity in wanted.items():
            by_id[line_id].quantity_shipped += quantity
        OrderLine.objects.bulk_update(list(by_id.values()), ["quantity_shipped"])
        _after_shipment(locked, wanted, by_id, user, now)
    return locked


def _after_shipment(order: Order, wanted: dict[int, int], by_id: dict[int, OrderLine], user, now) -> None:
    open_left = (
        OrderLine.objects.filter(order=order, is_cancelled=False).exclude(quantity_shipped=F("quantity")).exists()
    )
    target = OrderStatus.PARTIALLY_SHIPPED if open_left else OrderStatus.SHIPPED
    message, data = _shipped_text(wanted, by_id, open_left)
    if order.status == target:
        save(order, now=now)
        timeline(order, OrderEventKind.SHIPPED, message, user=user, data=data, now=now)
        publish(STATUS_EVENTS[target], order)
    else:
        transition(order, target, user=user, kind=OrderEventKind.SHIPPED, message=message, data=data, now=now)


def _shipped_text(wanted: dict[int, int], by_id: dict[int, OrderLine], open_left: bool) -> tuple[dict, dict]:
    """The "shipped" timeline row's message and data."""
    shipped = ", ".join(f"{quantity} x {by_id[line_id].sku}" for line_id, quantity in wanted.items())
    message = part(
        gettext_noop("Shipped %(lines)s (more to follow).")
        if open_left
        else gettext_noop("Shipped %(lines)s; everything has shipped."),
        lines=shipped,
    )
    return message, {"lines": {str(k): v for k, v in wanted.items()}, "units": sum(wanted.values())}


def order_hand_over(*, order: Order, user, amount_paid=None, reference: str = "", now: datetime | None = None) -> Order:
    """The goods handed over at the counter (billing's counter sale): every reserved unit of the
    order is issued (``stock_issue``), every line shipped in full, and the order goes to
    ``shipped`` and on to ``delivered``, as ``order_record_shipment`` of all of it and then
    ``order_mark_delivered`` would take it, ``completed`` when it is paid in full; with
    ``amount_paid`` (what was paid at the till) as ``order_record_payment_total`` records it. In one
    step: one lock of the order, one write of it, one insert of its timeline rows and one of its
    events (a sale at the till waits for all of it). ``reference``: the issue movements' (default
    the order number).

    Not durable (billing calls it in the sale's transaction). Locks the order row, then the
    stock levels. Publishes ``order.shipped``, ``order.delivered`` (and ``order.completed``).
    Raises ``InvalidTransition``, ``ValidationFailed`` (``amount_paid``), ``Conflict``
    ``not_reserved`` (a line not reserved in full) / ``awaiting_payment`` (paid before
    picking, and not paid)."""
    now = now or timezone.now()
    amount = None if amount_paid is None else clean_amount(amount_paid, "amount_paid", code="invalid_amount")
    # No savepoint: a failure here fails the sale (billing's caller), which rolls back whole.
    with transaction.atomic(savepoint=False):
        locked = lock_order(order.pk)
        if locked.status not in SHIPPABLE:
            raise_invalid(locked, OrderStatus.SHIPPED)
        if amount is not None:
            locked.amount_paid, paid_before = amount, locked.amount_paid
        refuse_unpaid(locked, "shipped")
        by_id = {line.pk: line for line in OrderLine.objects.filter(order=locked, is_cancelled=False)}
        wanted = {pk: line.quantity - line.quantity_shipped for pk, line in by_id.items()}
        wanted = {pk: quantity for pk, quantity in wanted.items() if quantity > 0}
        if not wanted:
            raise Conflict(f"Nothing of order {locked.number} is left to hand over.", code="not_reserved")
        _issue_all(locked, by_id, wanted, reference, user, now)
        targets = [OrderStatus.SHIPPED, OrderStatus.DELIVERED]
        rows = [(OrderEventKind.SHIPPED, *_shipped_text(wanted, by_id, open_left=False)), DELIVERED_ROW]
        if amount is not None and amount != paid_before:
            rows.append(_paid_row(locked))
        if locked.amount_paid >= locked.gross_amount:  # delivered and paid, as order_mark_delivered
            targets, rows = [*targets, OrderStatus.COMPLETED], [*rows, COMPLETED_ROW]
        _write_steps(locked, targets, rows, user=user, now=now, fields=["amount_paid"] if amount is not None else ())
    return locked


def _issue(order: Order, by_id: dict[int, OrderLine], wanted: dict[int, int], warehouse_id, reference, user, now):
    """Issue the reserved stock of ``wanted`` (line id: quantity; from ``warehouse_id`` when
    given), oldest reservation first, and mark the allocations it used up as issued."""
    allocations = _allocations_to_ship(by_id, wanted, warehouse_id)
    take = _take_oldest(allocations, wanted)
    items = [(a.stock_level_id, take[a.pk]) for a in allocations if take.get(a.pk)]
    inventory_services.stock_issue(items=items, reference=reference or order.number, user=user)
    whole = [a.pk for a in allocations if take.get(a.pk, 0) >= a.quantity]
    Allocation.objects.filter(pk__in=whole).update(status=AllocationStatus.ISSUED, updated_at=now)
    split_off([a for a in allocations if a.pk in take], take, AllocationStatus.ISSUED, now=now)


def _issue_all(order: Order, by_id: dict[int, OrderLine], wanted: dict[int, int], reference, user, now) -> None:
    """Issue the reserved stock of ``wanted`` (line id: quantity) and count it shipped."""
    _issue(order, by_id, wanted, None, reference, user, now)
    OrderLine.objects.filter(pk__in=list(wanted)).update(quantity_shipped=F("quantity"))


def _paid_row(order: Order) -> tuple:
    """The "payment" timeline row of the order's (new) paid total."""
    message = part(
        gettext_noop("Paid %(paid)s of %(gross)s."), paid=money(order.amount_paid), gross=money(order.gross_amount)
    )
    return OrderEventKind.PAYMENT, message, {"amount_paid": str(order.amount_paid)}


def _write_steps(order: Order, targets: list[str], rows: list[tuple], *, user, now, fields=()) -> None:
    """Transitions of a locked order (each checked against the table) and other changes
    (``fields``) at once: one write of the order, one insert of the timeline ``rows`` (``(kind,
    message, data)``) and one of the transitions' events."""
    for target in targets:
        require(order, target)
        order.status = target
    save(order, *(["status"] if targets else []), *fields, now=now)
    OrderEvent.objects.bulk_create(
        [timeline_row(order, kind, message, user=user, data=data, now=now) for kind, message, data in rows]
    )
    if targets:
        publish_all([STATUS_EVENTS[target] for target in targets], order)


def order_mark_delivered(*, order: Order, user, now: datetime | None = None) -> Order:
    """The carrier delivered everything: ``shipped`` -> ``delivered``, and on to ``completed``
    when it is paid in full. Not durable (shipping's tracking handler calls it). Locks the order
    row. Publishes ``order.delivered`` (and ``order.completed``). Raises ``InvalidTransition``."""
    with transaction.atomic():
        locked = lock_order(order.pk)
        transition(
            locked, OrderStatus.DELIVERED, user=user, kind=OrderEventKind.DELIVERED, message="Delivered.", now=now
        )
        _complete_if_paid(locked, user, now)
    return locked


def order_record_payment_total(*, order: Order, amount_paid, user, now: datetime | None = None) -> Order:
    """Billing keeps the amount paid on the order (the sum of its payments less refunds), for
    the credit check and for completion: a delivered order paid in full becomes ``completed``.
    Not durable (billing calls it when it records a payment). Locks the order row. Publishes
    ``order.completed`` when it completes. Raises ``ValidationFailed`` (``amount_paid``)."""
    amount = clean_amount(amount_paid, "amount_paid", code="invalid_amount")
    # No savepoint: nothing in the block is expected to fail on its own (billing calls it with a
    # payment, in the payment's transaction), so a failure fails the caller's transaction.
    with transaction.atomic(savepoint=False):
        locked = lock_order(order.pk)
        if amount != locked.amount_paid:
            locked.amount_paid = amount
            rows, targets = [_paid_row(locked)], []
            if _paid_on_delivery(locked):  # it completes, in the same write
                targets, rows = [OrderStatus.COMPLETED], [*rows, COMPLETED_ROW]
            _write_steps(locked, targets, rows, user=user, now=now or timezone.now(), fields=["amount_paid"])
    return locked


def orders_record_payment_totals(
    *, totals: Mapping[int, object], user, now: datetime | None = None
) -> dict[int, Order]:
    """``order_record_payment_total`` for several orders (a bank transfer paying invoices of
    many orders) in a constant number of statements: locks the orders in id order (one query),
    writes the changed amounts (one UPDATE) and their timeline rows (one INSERT); each delivered
    order now paid in full completes as there. Not durable. Returns the locked orders by id.
    Raises ``ValidationFailed`` (``amount_paid``)."""
    amounts = {int(pk): clean_amount(value, "amount_paid", code="invalid_amount") for pk, value in totals.items()}
    if not amounts:
        return {}
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):
        locked = list(
            Order.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk__in=amounts)
            .order_by("pk")
        )
        changed = [order for order in locked if order.amount_paid != amounts[order.pk]]
        for order in changed:
            order.amount_paid, order.updated_at = amounts[order.pk], now
        if changed:
            Order.objects.bulk_update(changed, ["amount_paid", "updated_at"])
            OrderEvent.objects.bulk_create(
                [
                    timeline_row(
                        order,
                        OrderEventKind.PAYMENT,
                        part(
                            gettext_noop("Paid %(paid)s of %(gross)s."),
                            paid=money(order.amount_paid),
                            gross=money(order.gross_amount),
                        ),
                        user=user,
                        data={"amount_paid": str(order.amount_paid)},
                        now=now,
                    )
                    for order in changed
                ]
            )
        for order in changed:
            _complete_if_paid(order, user, now)
    return {order.pk: order for order in locked}


DELIVERED_ROW = (OrderEventKind.DELIVERED, "Delivered.", None)
COMPLETED_ROW = (OrderEventKind.COMPLETED, "Delivered and paid.", None)


def _paid_on_delivery(order: Order) -> bool:
    return order.status == OrderStatus.DELIVERED and order.amount_paid >= order.gross_amount


def _complete_if_paid(order: Order, user, now) -> None:
    if _paid_on_delivery(order):
        kind, message, _ = COMPLETED_ROW
        transition(order, OrderStatus.COMPLETED, user=user, kind=kind, message=message, now=now)


# (with a reason, restocked) -> the "returned" timeline row
_RETURNED = {
    (False, True): gettext_noop("Returned %(lines)s."),
    (True, True): gettext_noop("Returned %(lines)s: %(reason)s."),
    (False, False): gettext_noop("Returned %(lines)s (not restocked)."),
    (True, False): gettext_noop("Returned %(lines)s: %(reason)s (not restocked)."),
}


def order_record_return(
    *,
    order: Order,
    lines: Sequence[tuple[int, int]],
    user,
    warehouse_id: int | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Order:
    """Goods came back: ``lines`` are ``(order_line_id, quantity)``, at most what was shipped
    and not yet returned. With ``warehouse_id`` the goods go back into that warehouse's stock
    (``inventory.stock_return``, which publishes ``stock.received``, so waiting backorders get
    them); without, they are only recorded (damaged, not restocked). The status stays; money
    back is billing's credit note. Not durable. Locks the order row, then the stock levels.
    Publishes ``order.returned``. Raises ``InvalidTransition``, ``ValidationFailed``,
    ``NotFound``, ``Conflict`` ``more_than_shipped``."""
    reason = clean_text(reason, "reason", max_length=300, label="Reason")
    wanted = _pairs(lines, "lines")
    with transaction.atomic():
        locked = lock_order(order.pk)
        if locked.status not in RETURNABLE:
            raise_invalid(locked, "returned")
        by_id = _lines(locked, wanted, "lines")
        _take_back(locked, by_id, wanted, warehouse_id, user)
        OrderLine.objects.bulk_update(list(by_id.values()), ["quantity_returned"])
        returned = ", ".join(f"{quantity} x {by_id[line_id].sku}" for line_id, quantity in wanted.items())
        message = part(_RETURNED[bool(reason), bool(warehouse_id)], lines=returned, reason=reason)
        timeline(locked, OrderEventKind.RETURNED, message, user=user, data={"reason": reason}, now=now)
        save(locked, now=now)
        publish(ORDER_RETURNED, locked)
    return locked


# --- helpers -------------------------------------------------------------------------------------------


def refuse_unpaid(order: Order, what: str) -> None:
    """An order paid before picking (iDEAL, card, Klarna, Riverty) is not picked or shipped
    before its payment is in: ``Conflict`` ``awaiting_payment``."""
    if order.awaits_payment:
        raise Conflict(
            f"Order {order.number} waits for its payment ({money(order.amount_paid)} of "
            f"{money(order.gross_amount)} paid by {order.get_payment_method_display()}): it is not {what} before.",
            code="awaiting_payment",
        )


def _take_back(order: Order, by_id: dict[int, OrderLine], wanted: dict[int, int], warehouse_id, user) -> None:
    """Count the returned units on the lines and put them back in stock (by product id, so two
    returns lock their stock levels in the same order)."""
    for line_id, quantity in sorted(wanted.items(), key=lambda item: by_id[item[0]].product_id):
        line = by_id[line_id]
        if quantity > line.quantity_shipped - line.quantity_returned:
            raise Conflict(
                f"Only {line.quantity_shipped - line.quantity_returned} of {line.sku} can be returned.",
                code="more_than_shipped",
                field="lines",
            )
        line.quantity_returned += quantity
        if warehouse_id:
            inventory_services.stock_return(
                product_id=line.product_id,
                warehouse_id=warehouse_id,
                quantity=quantity,
                reference=order.number,
                user=user,
            )


def raise_invalid(order: Order, target: str):
    raise InvalidTransition(order.status, target, order=order.number)


def _pairs(pairs, field: str) -> dict[int, int]:
    """``[(order_line_id, quantity), ...]`` checked: ints, quantities > 0, summed per line."""
    if not isinstance(pairs, (list, tuple)) or not pairs:
        raise ValidationFailed("Give at least one line and quantity.", code="required", field=field)
    totals: dict[int, int] = {}
    for index, pair in enumerate(pairs):
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or isinstance(pair[0], bool)
            or not isinstance(pair[0], int)
        ):
            raise ValidationFailed("Each item is (order_line_id, quantity).", field=f"{field}.{index}")
        totals[pair[0]] = totals.get(pair[0], 0) + whole_quantity(pair[1], f"{field}.{index}.quantity")
    return totals


def _lines(order: Order, wanted: dict[int, int], field: str) -> dict[int, OrderLine]:
    lines = {line.pk: line for line in OrderLine.objects.filter(order=order, pk__in=list(wanted), is_cancelled=False)}
    missing = [line_id for line_id in wanted if line_id not in lines]
    if missing:
        raise NotFound(f"Order {order.number} has no open line {missing[0]}.", field=field)
    return lines


def _allocations_to_ship(by_id: dict[int, OrderLine], wanted: dict[int, int], warehouse_id) -> list[Allocation]:
    allocations = Allocation.objects.filter(order_line_id__in=list(wanted), status=AllocationStatus.RESERVED)
    if warehouse_id:
        allocations = allocations.filter(warehouse_id=warehouse_id)
    found = list(allocations.order_by("id"))
    for line_id, quantity in wanted.items():
        reserved = sum(a.quantity for a in found if a.order_line_id == line_id)
        if reserved < quantity:
            where = " in that warehouse" if warehouse_id else ""
            raise Conflict(
                f"Only {reserved} of {by_id[line_id].sku} is reserved{where}; {quantity} cannot ship.",
                code="not_reserved",
                field="lines",
            )
    return found


def _take_oldest(allocations: list[Allocation], wanted: dict[int, int]) -> dict[int, int]:
    left = dict(wanted)
    take: dict[int, int] = {}
    for allocation in allocations:
        part = min(left[allocation.order_line_id], allocation.quantity)
        if part:
            take[allocation.pk] = part
            left[allocation.order_line_id] -= part
    return take
