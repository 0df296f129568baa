"""Moving promises: each order line keeps the delivery date it was promised
(``OrderLine.promised_delivery_date``, the delivery quote's date for the line at placement). When
what a waiting line depends on changes, its promise is worked out again and, when it differs,
stored, written on the order's timeline and told to the customer in one e-mail per order:

- the expected receipt of a product moved (a purchase order's expected date was changed, a
  purchase order was sent or cancelled, part of it was received and the rest is still open):
  inventory publishes ``stock.expected_changed`` {product_ids}; the lines still waiting for
  those products are re-promised;
- stock was given to a waiting line (``order_allocate_backorders``): that line is re-promised as
  stock that arrived today. It moves later when the goods came after its promise allowed for,
  and earlier only when they came more than the receipt's handling time early, so goods that
  arrive on the day they were expected move nothing.

With ship-complete every open line of the order follows, since the order leaves in one parcel.
``Order.promised_delivery_date`` is the latest line's promise and ``first_delivery_date`` the
earliest (never later than it was while part of the order was already reserved).

The work is set-based: one query reads the lines of every affected order (their orders locked,
in id order), one their reserved allocations, and the backend quotes all the orders with the
per-order reads done once (``orders.quotes.delivery_quotes``). A waiting line's quantity is
quoted as if planned anew (free stock first, then the next receipt), so it gets the same date
whether this runs before or after the backorder allocation of the same receipt.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from oms import notify
from oms.delivery import DeliveryQuote, QuoteLine, QuoteRequest
from oms.errors import OmsError
from oms.i18n import part
from orders.models import (
    UNSHIPPED_STATUSES,
    Allocation,
    AllocationStatus,
    Channel,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
)
from orders.quotes import delivery_quotes
from orders.services._common import event_text

PROMISE_MOVED = "order_promise_moved"  # the customer's e-mail (orders.notifications)
MOVED_MESSAGE = gettext_noop("Promised delivery moved from %(old)s to %(new)s for line %(line)s (%(sku)s).")


@dataclass(frozen=True)
class Move:
    line: OrderLine
    old: date | None
    new: date

    def as_context(self) -> dict:
        line = self.line
        return {
            "line_id": line.pk,
            "line_no": line.line_no,
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity_open,
            "from": self.old.isoformat() if self.old else None,
            "to": self.new.isoformat(),
        }


def order_promises_refresh(
    *,
    product_ids: Iterable[int] = (),
    line_ids: Iterable[int] = (),
    event_id: int | None = None,
    now: datetime | None = None,
) -> dict[int, list[Move]]:
    """Re-promise the open lines waiting for ``product_ids`` and the lines ``line_ids`` that
    just got their stock (module docstring); returns the moves per order id.

    Runs in the caller's transaction or its own. Locks the affected orders (id order; orders
    before anything else). Writes the lines' and orders' dates, one ``promise_moved`` timeline
    row per moved line and queues one ``order_promise_moved`` e-mail per order (once per
    ``event_id``, or per set of moves without one). Publishes nothing. Raises nothing of its
    own (a quote that cannot be made leaves that order's promises as they were).
    """
    product_ids, just_stocked = sorted(set(product_ids)), set(line_ids)
    if not product_ids and not just_stocked:
        return {}
    now = now or timezone.now()
    with transaction.atomic():
        lines = _affected_lines(product_ids, just_stocked)
        if not lines:
            return {}
        by_order: dict[int, list[OrderLine]] = defaultdict(list)
        for line in lines:
            by_order[line.order_id].append(line)
        orders = {line.order_id: line.order for line in lines}
        new_dates = _quoted_dates(orders, by_order, now)
        moves = _moves(orders, by_order, new_dates, product_ids, just_stocked)
        _write(orders, by_order, moves, event_id, now)
        return moves


def _affected_lines(product_ids: list[int], just_stocked: set[int]) -> list[OrderLine]:
    """Every line of the orders that have a line waiting for ``product_ids`` or one of
    ``just_stocked``, with the order and its customer, the orders locked; one query (and one for
    the reserved allocations)."""
    trigger = Q(pk__in=sorted(just_stocked))
    if product_ids:
        trigger |= Q(product_id__in=product_ids, quantity_backordered__gt=0)
    order_ids = OrderLine.objects.filter(trigger, is_cancelled=False, order__status__in=UNSHIPPED_STATUSES).values(
        "order_id"
    )
    return list(
        OrderLine.objects.filter(order_id__in=order_ids)
        .exclude(order__channel=Channel.STORE)  # handed over at the counter: nothing is promised
        .select_related("order", "order__customer")
        .select_for_update(of=("order",))
        .prefetch_related(Prefetch("allocations", queryset=Allocation.objects.filter(status=AllocationStatus.RESERVED)))
        .order_by("order_id", "line_no")
    )


def _quote_lines(line: OrderLine) -> list[QuoteLine]:
    """The line's open units: what is reserved (from its warehouses) and what waits (planned
    anew, from free stock and then the next receipt)."""
    if line.is_cancelled or line.quantity_open <= 0:
        return []
    parts = []
    reserved = tuple((a.warehouse_id, a.quantity) for a in line.allocations.all())
    if sum(quantity for _, quantity in reserved):
        parts.append(QuoteLine(line.product_id, sum(quantity for _, quantity in reserved), 0, allocations=reserved))
    if line.quantity_backordered:
        parts.append(QuoteLine(line.product_id, line.quantity_backordered, 0, allocations=None))
    return parts


def _quoted_dates(orders: dict[int, Order], by_order: dict, now: datetime) -> dict[int, date]:
    """The new promise per line id: the latest of its parts' delivery dates."""
    requests, owners = [], []
    for order_id, lines in by_order.items():
        order = orders[order_id]
        quote_lines, line_of = [], []
        for line in lines:
            for quote_line in _quote_lines(line):
                quote_lines.append(quote_line)
                line_of.append(line.pk)
        if not quote_lines:
            continue
        address = order.shipping_address or {}
        requests.append(
            QuoteRequest(
                lines=tuple(quote_lines),
                country=address.get("country") or "NL",
                postal_code=address.get("postal_code", ""),
                order_net=order.net_amount,
                ship_complete=order.ship_complete,
                now=now,
            )
        )
        owners.append(line_of)
    dates: dict[int, date] = {}
    for line_of, quote in zip(owners, _quotes(requests), strict=True):
        if quote is None:
            continue
        for line_id, line_quote in zip(line_of, quote.lines, strict=True):
            if line_id not in dates or line_quote.delivery_date > dates[line_id]:
                dates[line_id] = line_quote.delivery_date
    return dates


def _quotes(requests: list[QuoteRequest]) -> list[DeliveryQuote | None]:
    try:
        return list(delivery_quotes(requests))
    except OmsError:  # one address no carrier serves any more must not stop the others' promises
        quotes = []
        for request in requests:
            try:
                quotes.append(delivery_quotes([request])[0])
            except OmsError:
                quotes.append(None)
        return quotes


def _weekdays_between(earlier: date, later: date) -> int:
    """Monday-to-Friday days after ``earlier`` up to and including ``later``."""
    return sum(1 for n in range(1, (later - earlier).days + 1) if (earlier + timedelta(days=n)).weekday() < 5)


def _moves(orders, by_order, new_dates, product_ids, just_stocked) -> dict[int, list[Move]]:
    handling = getattr(settings, "OMS_RECEIPT_HANDLING_DAYS", 1)
    moves: dict[int, list[Move]] = {}
    for order_id, lines in by_order.items():
        eligible = {
            line.pk
            for line in lines
            if line.pk in just_stocked or (line.quantity_backordered and line.product_id in product_ids)
        }
        if eligible and orders[order_id].ship_complete:
            eligible = {line.pk for line in lines}
        found = []
        for line in lines:
            new, old = new_dates.get(line.pk), line.promised_delivery_date
            if line.pk not in eligible or new is None or new == old:
                continue
            if (
                line.pk in just_stocked
                and not line.quantity_backordered
                and old
                and new < old
                and _weekdays_between(new, old) <= handling
            ):
                continue  # the stock came when it was expected (less the put-away it needs): the promise holds
            found.append(Move(line, old, new))
        if found:
            moves[order_id] = found
    return moves


def _write(orders: dict[int, Order], by_order: dict, moves: dict[int, list[Move]], event_id, now) -> None:
    if not moves:
        return
    changed_lines, changed_orders, events = [], [], []
    for order_id, found in moves.items():
        order = orders[order_id]
        for move in found:
            move.line.promised_delivery_date = move.new
            changed_lines.append(move.line)
            events.append(_timeline_row(order, move, event_id, now))
        _follow_lines(order, by_order[order_id], now)
        changed_orders.append(order)
    OrderLine.objects.bulk_update(changed_lines, ["promised_delivery_date"])
    Order.objects.bulk_update(changed_orders, ["promised_delivery_date", "first_delivery_date", "updated_at"])
    OrderEvent.objects.bulk_create(events)
    notify.notifications_queue([_email(orders[order_id], found, event_id) for order_id, found in moves.items()])


def _follow_lines(order: Order, lines: list[OrderLine], now) -> None:
    """The order's dates from its lines': everything by the latest, the first parcel by the
    earliest (a reserved part may already be on its way: its date stays the first)."""
    promises = [line.promised_delivery_date for line in lines if not line.is_cancelled and line.promised_delivery_date]
    if not promises:
        return
    order.promised_delivery_date = max(promises)
    first = min(promises)
    partly_reserved = any(line.quantity_allocated for line in lines if not line.is_cancelled)
    if partly_reserved and order.first_delivery_date:
        first = min(first, order.first_delivery_date)
    order.first_delivery_date = first
    order.updated_at = now


def _timeline_row(order: Order, move: Move, event_id, now) -> OrderEvent:
    spec = part(
        MOVED_MESSAGE,
        old=f"{move.old:%d-%m-%Y}" if move.old else "–",
        new=f"{move.new:%d-%m-%Y}",
        line=move.line.line_no,
        sku=move.line.sku,
    )
    data = {"line_id": move.line.pk, "from": move.old.isoformat() if move.old else None, "to": move.new.isoformat()}
    if event_id is not None:
        data["event_id"] = event_id
    message, data = event_text(spec, data)
    return OrderEvent(order=order, kind=OrderEventKind.PROMISE_MOVED, message=message[:500], data=data, created_at=now)


def _email(order: Order, found: list[Move], event_id) -> dict:
    """The customer's e-mail about these moves: once per order and move event (or, without an
    event, per set of moves)."""
    moves = [move.as_context() for move in found]
    if event_id is not None:
        key = f"{PROMISE_MOVED}:order:{order.pk}:event:{event_id}"
    else:
        digest = hashlib.sha256(repr(sorted((m["line_id"], m["to"]) for m in moves)).encode()).hexdigest()[:16]
        key = f"{PROMISE_MOVED}:order:{order.pk}:{digest}"
    return {
        "kind": PROMISE_MOVED,
        "key": key,
        "to_email": order.customer.email,
        "language": order.customer.language,
        "order_id": order.pk,
        "customer_id": order.customer_id,
        "context": {"order_id": order.pk, "moves": moves},
    }
