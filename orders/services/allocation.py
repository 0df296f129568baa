"""Stock for orders after placement: backorders filled when stock arrives (oldest order first),
lines changed before picking (re-reserve), and giving reservations back.

Lock order everywhere: the order rows (by id), then the stock levels (inventory locks those in
id order). Stock given back by one order goes to other orders' backorders in a handler of
``order.cancelled`` / ``order.changed``, after the releasing transaction committed, so no
transaction ever locks an order while it holds stock rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import wraps

from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from customers.models import PaymentMethod
from customers.services.customers import lock_customer
from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from oms import events
from oms.errors import Conflict, ValidationFailed
from oms.i18n import english, join, part, part_n, render_english
from oms.quantities import whole_quantity
from orders import pricing, selectors
from orders.event_names import ORDER_ALLOCATED, ORDER_CHANGED
from orders.models import (
    CHANGEABLE_STATUSES,
    WAITING_STATUSES,
    Allocation,
    AllocationStatus,
    Order,
    OrderEventKind,
    OrderLine,
    OrderStatus,
)
from orders.services import promises
from orders.services._common import (
    Collector,
    lock_order,
    publish,
    save,
    timeline,
    transition,
)
from orders.services.line_prices import check_new_lines, price_message
from orders.services.placement import (
    TOTAL_FIELDS,
    apply_totals,
    catalogue_price,
    check_amounts,
    check_credit_limit,
    clean_line,
    new_line,
    quote_for,
    resolve_products,
    stock_status,
    supply_rates,
)

# Waiting lines locked per pass; when all of them are served and more wait, a follow-up event
# continues in a fresh transaction (a second pass in this one would lock orders while holding
# stock rows).
BACKORDER_BATCH = 500
BACKORDERS_PENDING = "orders.backorders_pending"


def retry_on_deadlock(service):
    """Run a durable service once more when PostgreSQL chose it as a deadlock victim. Only
    ``order_lines_change`` needs it: it releases and then reserves stock, two lock passes."""

    @wraps(service)
    def wrapper(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except OperationalError as exc:
            if getattr(exc.__cause__, "pgcode", "") != "40P01":
                raise
            return service(*args, **kwargs)

    return wrapper


# --- giving stock back ----------------------------------------------------------------------------


def release_allocations(allocations: list[Allocation], quantities: dict[int, int] | None = None, *, now) -> int:
    """Release reserved allocations (all of each, or ``quantities[allocation.pk]`` of it) in
    inventory and record it: a whole allocation becomes ``released``; part of one is split off
    as a ``released`` row. Returns the units released. Runs in the caller's transaction."""
    take = {a.pk: (quantities or {}).get(a.pk, a.quantity) for a in allocations}
    items = [(a.stock_level_id, take[a.pk]) for a in allocations if take[a.pk] > 0]
    if not items:
        return 0
    inventory_services.stock_release(items=items)
    whole = [a.pk for a in allocations if take[a.pk] >= a.quantity]
    Allocation.objects.filter(pk__in=whole).update(status=AllocationStatus.RELEASED, updated_at=now)
    split_off(allocations, take, AllocationStatus.RELEASED, now=now)
    return sum(quantity for _, quantity in items)


def split_off(allocations: list[Allocation], take: dict[int, int], status: str, *, now) -> None:
    """For allocations only partly taken: keep the rest reserved, add a row for the part taken."""
    partial = [a for a in allocations if 0 < take[a.pk] < a.quantity]
    for allocation in partial:
        allocation.quantity -= take[allocation.pk]
        allocation.updated_at = now
    if partial:
        Allocation.objects.bulk_update(partial, ["quantity", "updated_at"])
        Allocation.objects.bulk_create(
            Allocation(
                order_line_id=a.order_line_id,
                stock_level_id=a.stock_level_id,
                warehouse_id=a.warehouse_id,
                quantity=take[a.pk],
                status=status,
                created_at=now,
                updated_at=now,
            )
            for a in partial
        )


def allocate(line: OrderLine, reservation: inventory_services.Reservation, now) -> Allocation:
    """What ``reservation`` got for ``line``: moved from backordered to allocated on the line, and
    the (unsaved) allocation row; the caller saves both in bulk."""
    line.quantity_allocated += reservation.quantity
    line.quantity_backordered -= reservation.quantity
    return Allocation(
        order_line=line,
        stock_level_id=reservation.stock_level_id,
        warehouse_id=reservation.warehouse_id,
        quantity=reservation.quantity,
        created_at=now,
        updated_at=now,
    )


def reserved_allocations(line_ids: Iterable[int]) -> list[Allocation]:
    return list(
        Allocation.objects.filter(order_line_id__in=list(line_ids), status=AllocationStatus.RESERVED).order_by("id")
    )


# --- backorders -------------------------------------------------------------------------------------


def order_allocate_backorders(
    *,
    product_id: int | None = None,
    product_ids: Sequence[int] = (),
    warehouse_id: int | None = None,
    user=None,
    now: datetime | None = None,
) -> list[int]:
    """Give available stock of these products to waiting backorders, oldest placed order first;
    the last one served may get part of what it waits for. ``warehouse_id``: take stock from
    that warehouse only (a receipt there); None: from every active warehouse. Returns the ids of
    the orders that got stock.

    Not durable: it is the handler of ``stock.received`` and runs inside the outbox dispatch
    transaction. Locks the waiting orders (by id), then the stock levels (``stock_reserve``).
    Publishes ``order.allocated`` for each order that no longer waits for anything (and which
    is not on hold); moves ``backordered`` orders to ``allocated``; a timeline row per order.
    When a whole batch of ``BACKORDER_BATCH`` waiting lines was served, publishes
    ``orders.backorders_pending`` so that the next batch follows in a new transaction.
    """
    ids = sorted({*product_ids, *([product_id] if product_id is not None else [])})
    if not ids:
        return []
    now = now or timezone.now()
    with transaction.atomic():
        lines, orders, full = _lock_waiting(ids)
        if not lines:
            return []
        reservations = inventory_services.stock_reserve(
            lines=[inventory_services.ReserveLine(line.product_id, line.quantity_backordered) for line in lines],
            warehouse_ids=[warehouse_id] if warehouse_id else None,
            partial=True,
        )
        served = _record_backorder_reservations(lines, reservations, now)
        _finish_orders(orders, served, user, now)
        # the lines that got stock are promised anew (received late, or well before expected)
        promises.order_promises_refresh(line_ids={lines[r.line_index].pk for r in reservations}, now=now)
        if full and all(line.quantity_backordered == 0 for line in lines):
            events.publish(BACKORDERS_PENDING, {"product_ids": ids, "warehouse_id": warehouse_id})
        return sorted(served)


def _lock_waiting(product_ids: list[int]) -> tuple[list[OrderLine], dict[int, Order], bool]:
    """The waiting lines, oldest placed order first, with their orders locked (in id order);
    the lines are read again after the lock, so they are current. The flag says whether the
    batch was full (more may wait)."""
    candidates = list(
        OrderLine.objects.filter(
            product_id__in=product_ids,
            quantity_backordered__gt=0,
            is_cancelled=False,
            order__status__in=WAITING_STATUSES,
        )
        .order_by("order__placed_at", "order_id")
        .values_list("order_id", flat=True)[:BACKORDER_BATCH]
    )
    if not candidates:
        return [], {}, False
    locked = Order.objects.select_for_update().filter(pk__in=set(candidates), status__in=WAITING_STATUSES)
    orders = {order.pk: order for order in locked.order_by("pk")}
    lines = list(
        OrderLine.objects.filter(
            order_id__in=list(orders), product_id__in=product_ids, quantity_backordered__gt=0, is_cancelled=False
        )
    )
    lines.sort(key=lambda line: (_placed(orders[line.order_id]), line.order_id, line.line_no))
    return lines, orders, len(candidates) == BACKORDER_BATCH


def _placed(order: Order) -> datetime:
    return order.placed_at or order.created_at


def _record_backorder_reservations(lines: list[OrderLine], reservations, now) -> dict[int, list[tuple]]:
    """Allocations for what was reserved, line quantities moved from backordered to allocated.
    Returns per order id the (sku, quantity, warehouse_id) parts it got."""
    got: dict[int, list[tuple]] = defaultdict(list)
    allocations = []
    for r in reservations:
        line = lines[r.line_index]
        allocations.append(allocate(line, r, now))
        got[line.order_id].append((line.sku, r.quantity, r.warehouse_id))
    changed = list({id(a.order_line): a.order_line for a in allocations}.values())
    if changed:
        OrderLine.objects.bulk_update(changed, ["quantity_allocated", "quantity_backordered"])
        Allocation.objects.bulk_create(allocations)
    return got


def _finish_orders(orders: dict[int, Order], served: dict[int, list[tuple]], user, now) -> None:
    if not served:
        return
    still_waiting = set(
        OrderLine.objects.filter(order_id__in=list(served), quantity_backordered__gt=0, is_cancelled=False)
        .values_list("order_id", flat=True)
        .distinct()
    )
    for order_id, parts in served.items():
        order = orders[order_id]
        complete = order_id not in still_waiting
        units = sum(quantity for _, quantity, _ in parts)
        message = join(
            [
                part_n(
                    gettext_noop("Stock arrived: %(count)s unit reserved;"),
                    gettext_noop("Stock arrived: %(count)s units reserved;"),
                    units,
                ),
                part(
                    gettext_noop("nothing waits any more.") if complete else gettext_noop("more is still backordered.")
                ),
            ]
        )
        data = {"parts": [{"sku": s, "quantity": q, "warehouse_id": w} for s, q, w in parts]}
        if complete and order.status == OrderStatus.BACKORDERED:
            transition(
                order,
                OrderStatus.ALLOCATED,
                user=user,
                kind=OrderEventKind.STOCK_ALLOCATED,
                message=message,
                data=data,
                now=now,
            )
            continue
        save(order, now=now)
        timeline(order, OrderEventKind.STOCK_ALLOCATED, message, user=user, data=data, now=now)
        if complete and order.status != OrderStatus.ON_HOLD:
            publish(ORDER_ALLOCATED, order)


# --- lines change ---------------------------------------------------------------------------------


@retry_on_deadlock
def order_lines_change(*, order: Order, changes: Sequence[Mapping], user, now: datetime | None = None) -> Order:
    """Change the lines of a placed order before picking: ``{"line_id", "quantity"}`` sets a
    line's quantity (0 removes it); ``{"sku" or "product_id", "quantity", "unit_price"?,
    "discount_percent"?}`` adds a line. Less quantity gives back backordered units first, then
    reserved ones; more quantity and new lines are reserved where stock is, the rest
    backordered. Prices of existing lines stay; totals, shipping and the promised date are
    recomputed.

    Durable (retried once if chosen as a deadlock victim). Locks the order, the customer (on
    account) and the stock levels. Publishes ``order.changed`` and, when the status changes
    between ``allocated`` and ``backordered``, that status's event. Raises ``Conflict``
    ``invalid_transition`` (picking started, shipped, cancelled), ``credit_limit_exceeded``;
    ``ValidationFailed`` with ``changes.N.*`` fields; ``NotFound``.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = lock_order(order.pk)
        if locked.status not in CHANGEABLE_STATUSES:
            status = english(locked.get_status_display())
            raise Conflict(
                f"Lines can be changed until picking starts; order {locked.number} is {status}.",
                code="invalid_transition",
                field="changes",
                current_status=locked.status,
            )
        lines = list(OrderLine.objects.filter(order=locked).order_by("line_no"))
        updates, additions = _parse_changes(locked, lines, changes, user)
        reserved = reserved_allocations(line.pk for line in lines)
        gross_before, exposure = locked.gross_amount, _credit_exposure(locked)
        released = _apply_decreases(lines, updates, reserved, now)
        added = _apply_increases(locked, lines, updates, additions, now)
        _retotal(locked, lines, now)
        if locked.gross_amount > gross_before:
            _check_more_credit(locked, exposure)
        _record_new_prices(locked, lines, additions, user, now)
        _record_change(locked, lines, updates, additions, released, added, user, now)
        return locked


def _parse_changes(order: Order, lines: list[OrderLine], changes, user) -> tuple[dict[int, int], list]:
    if not isinstance(changes, (list, tuple)) or not changes:
        raise ValidationFailed("Give at least one change.", code="required", field="changes")
    by_id = {line.pk: line for line in lines if not line.is_cancelled}
    errors, updates, additions = Collector(), {}, []
    for index, change in enumerate(changes):
        path = f"changes.{index}"
        if isinstance(change, Mapping) and "line_id" in change:
            line = by_id.get(change["line_id"]) if isinstance(change["line_id"], int) else None
            if line is None:
                errors.fail(
                    f"{path}.line_id", f"Order {order.number} has no open line {change['line_id']!r}.", "not_found"
                )
                continue
            quantity = change.get("quantity")
            try:
                updates[line.pk] = (
                    0
                    if quantity == 0 and not isinstance(quantity, bool)
                    else whole_quantity(quantity, f"{path}.quantity")
                )
            except ValidationFailed as exc:
                errors.add(exc)
            cleaned = updates.get(line.pk)
            if cleaned and line.quantity_shipped > cleaned:
                errors.fail(f"{path}.quantity", "Cannot go below what was shipped.", "below_shipped")
        else:
            item = clean_line(change, index, errors, prefix="changes")
            if item is not None:
                additions.append(item)
    errors.raise_if_any()
    if not additions and all(updates.get(line_id) == 0 for line_id in by_id):
        raise ValidationFailed(
            "Every line would be removed; cancel the order instead.", code="no_lines_left", field="changes"
        )
    if additions:
        resolve_products(additions, errors)
        errors.raise_if_any()
        check_new_lines(order, additions, changes, user, errors)
        errors.raise_if_any()
    return updates, additions


def _record_new_prices(order: Order, lines: list[OrderLine], additions, user, now) -> None:
    """A timeline row per added line with its own price terms, saying why (``line_prices``)."""
    added = lines[len(lines) - len(additions) :]
    for line in added:
        if line.price_reason:
            before = (catalogue_price(order, line.product), 0)
            message = price_message(line.sku, (line.unit_price, line.discount_percent), before, line.price_reason)
            timeline(order, OrderEventKind.LINES_CHANGED, message, user=user, now=now)


def _credit_exposure(order: Order):
    """For an on-account order: lock the customer (before any stock row) and return what is
    open on their other on-account orders."""
    if order.payment_method != PaymentMethod.ON_ACCOUNT:
        return None
    order.customer = lock_customer(order.customer_id)
    return selectors.customer_open_on_account_amount(order.customer_id, exclude_order_id=order.pk)


def _check_more_credit(order: Order, exposure) -> None:
    """A change that makes the order dearer is refused for a customer on credit hold, and past
    the credit limit for an on-account order."""
    customer = order.customer
    if customer.credit_hold:
        raise Conflict(f"Customer {customer.number} is on credit hold.", code="customer_blocked", field="customer")
    check_credit_limit(order, exposure)


def _apply_decreases(lines, updates: dict[int, int], reserved: list[Allocation], now) -> int:
    """Lower quantities (0: remove the line): backordered units first, then reserved units
    (the newest allocation first). A removed line keeps its quantities as history and is
    marked cancelled. Returns the units released in inventory."""
    by_line = defaultdict(list)
    for allocation in reserved:
        by_line[allocation.order_line_id].append(allocation)
    take: dict[int, int] = {}
    for line in lines:
        target = updates.get(line.pk)
        if target is None or target >= line.quantity:
            continue
        cut = line.quantity - target
        from_backorder = min(cut, line.quantity_backordered)
        from_stock = cut - from_backorder
        for allocation in reversed(by_line[line.pk]):
            part = min(from_stock, allocation.quantity)
            if part:
                take[allocation.pk] = part
                from_stock -= part
        if target == 0:
            line.is_cancelled = True
        else:
            line.quantity = target
            line.quantity_backordered -= from_backorder
            line.quantity_allocated -= cut - from_backorder
    return release_allocations([a for a in reserved if a.pk in take], take, now=now)


def _apply_increases(order: Order, lines: list[OrderLine], updates, additions, now) -> int:
    """Raise quantities and add lines; reserve the extra units in one pass. Returns units reserved."""
    wanted: list[tuple[OrderLine, int]] = []
    for line in lines:
        target = updates.get(line.pk)
        if target is not None and target > line.quantity and not line.is_cancelled:
            wanted.append((line, target - line.quantity))
            line.quantity_backordered += target - line.quantity
            line.quantity = target
    next_no = max((line.line_no for line in lines), default=0) + 1
    new_lines = [new_line(order, next_no + i, item, item.product) for i, item in enumerate(additions)]
    rates = supply_rates(order, order.supply_date or timezone.localdate(now))
    for line in new_lines:
        line.vat_rate = pricing.rate_for(line.vat_category, rates, order.vat_regime)
        wanted.append((line, line.quantity))
    OrderLine.objects.bulk_create(new_lines)
    lines.extend(new_lines)
    if not wanted:
        return 0
    reservations = inventory_services.stock_reserve(
        lines=[inventory_services.ReserveLine(line.product_id, extra) for line, extra in wanted], partial=True
    )
    Allocation.objects.bulk_create([allocate(wanted[r.line_index][0], r, now) for r in reservations])
    return sum(r.quantity for r in reservations)


def _retotal(order: Order, lines: list[OrderLine], now) -> None:
    """Line totals, the quote for the current allocations, order totals; writes the lines."""
    active = [line for line in lines if not line.is_cancelled]
    for line in lines:
        line.line_total = pricing.line_total(line.quantity, line.unit_price, line.discount_percent)
    check_amounts(active)
    OrderLine.objects.bulk_update(
        lines, ["quantity", "quantity_allocated", "quantity_backordered", "line_total", "is_cancelled"]
    )
    parts = defaultdict(list)
    for allocation in Allocation.objects.filter(
        order_line__in=[line.pk for line in active], status__in=[AllocationStatus.RESERVED, AllocationStatus.ISSUED]
    ):
        parts[allocation.order_line_id].append((allocation.warehouse_id, allocation.quantity))
    by_line = {index: tuple(parts.get(line.pk, ())) for index, line in enumerate(active)}
    products = inventory_selectors.products_by_ids(line.product_id for line in active)
    quote = quote_for(order, active, products, by_line, now)
    apply_totals(order, active, quote, supply_rates(order, order.supply_date or timezone.localdate(now)))
    OrderLine.objects.bulk_update(active, ["promised_delivery_date"])  # the new quote's, per line


def _record_change(order: Order, lines, updates, additions, released: int, added: int, user, now) -> None:
    by_id = {line.pk: line for line in lines}
    described = [
        part(gettext_noop("%(sku)s removed"), sku=by_id[line_id].sku)
        if quantity == 0
        else part(gettext_noop("%(sku)s to %(quantity)s"), sku=by_id[line_id].sku, quantity=quantity)
        for line_id, quantity in updates.items()
    ] + [
        part(gettext_noop("%(sku)s x %(quantity)s added"), sku=item.product.sku, quantity=item.quantity)
        for item in additions
    ]
    message = part(gettext_noop("Lines changed: %(changes)s."), changes=join(described, ", "))
    changes = [render_english(piece) for piece in described]
    data = {"released": released, "reserved": added, "changes": changes}
    target = stock_status(lines)
    order_fields = TOTAL_FIELDS
    if order.status in (OrderStatus.ALLOCATED, OrderStatus.BACKORDERED) and target != order.status:
        transition(
            order,
            target,
            user=user,
            kind=OrderEventKind.LINES_CHANGED,
            message=message,
            data=data,
            fields=order_fields,
            now=now,
        )
    else:
        save(order, *order_fields, now=now)
        timeline(order, OrderEventKind.LINES_CHANGED, message, user=user, data=data, now=now)
    publish(ORDER_CHANGED, order)
