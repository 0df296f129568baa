"""Reorder requests: raised by workers on events and by the scheduled scan, edited and
dismissed on the purchasing screen.

"Never two open requests for one product and warehouse" is kept by the partial unique index
``reorder_request_one_open``: every insert is ``INSERT ... ON CONFLICT DO NOTHING`` on it, so a
repeated or concurrent trigger waits for the first transaction and then adds nothing. An open
request is not sent yet, so it grows when the need grows (more backordered, less available):
triggers and the scan top it up with one conditional UPDATE that concurrent callers cannot
apply twice (``_top_up``). A level with a line on a draft purchase order (decided on, not yet
in inventory's expected receipts) is left alone.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from oms.errors import Conflict, ValidationFailed
from oms.quantities import whole_quantity
from purchasing import rules, selectors
from purchasing.models import ReorderReason, ReorderRequest, RequestStatus
from purchasing.selectors import Position, SupplierTerms
from purchasing.services._common import user_or_none

STOCK_REASONS = (ReorderReason.LOW_STOCK, ReorderReason.SCAN)


@dataclass(frozen=True)
class NewRequest:
    product_id: int
    warehouse_id: int
    supplier_id: int | None
    reason: str
    quantity: int
    unit_cost: Decimal | None
    expected_date: date | None
    source: str


def _insert_open(rows: Sequence[NewRequest]) -> list[int]:
    """Insert open requests, skipping every pair that has one already (also one committed by a
    concurrent transaction a moment ago). One statement; returns the ids inserted."""
    if not rows:
        return []
    columns = list(zip(*[(r.product_id, r.warehouse_id, r.supplier_id, r.reason, r.quantity, r.unit_cost,
                          r.expected_date, r.source[:100]) for r in rows], strict=True))  # fmt: skip
    sql = (
        "INSERT INTO purchasing_reorderrequest (product_id, warehouse_id, supplier_id, reason, status, "
        "suggested_quantity, quantity, unit_cost, expected_date, source, created_at, updated_at) "
        "SELECT p, w, s, r, 'open', q, q, c, d, src, now(), now() FROM unnest("
        "%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::integer[], %s::numeric[], %s::date[], %s::text[]"
        ") AS t(p, w, s, r, q, c, d, src) "
        "ON CONFLICT (product_id, warehouse_id) WHERE status = 'open' DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(column) for column in columns])
        return [row[0] for row in cursor.fetchall()]


def _new_request(
    *, position: Position, terms: SupplierTerms | None, reason: str, demand: int, at_least: int,
    source: str, arrival,
) -> NewRequest | None:  # fmt: skip
    """The request to insert for a position, or None when nothing is needed. ``arrival(days)``
    is the expected date after a lead time (cached by the scan: few distinct lead times)."""
    quantity = _suggestion(position, terms, demand=demand, at_least=at_least)
    if quantity <= 0:
        return None
    return NewRequest(
        product_id=position.product_id,
        warehouse_id=position.warehouse_id,
        supplier_id=terms.supplier_id if terms else None,
        reason=reason,
        quantity=quantity,
        unit_cost=terms.unit_cost if terms else None,
        expected_date=arrival(terms.lead_time_days) if terms else None,
        source=source,
    )


def _arrivals(today: date):
    """``expected_arrival`` from ``today``, remembered per lead time."""
    return functools.cache(functools.partial(rules.expected_arrival, today))


def reorder_request_raise(
    *,
    product_id: int,
    warehouse_id: int,
    reason: str,
    demand: int = 0,
    at_least: int = 0,
    source: str = "",
    position: Position | None = None,
    today: date | None = None,
) -> ReorderRequest | None:
    """Raise an open reorder request for a product in a warehouse, or grow the open one to the
    need; returns the request raised or grown, or None when nothing changed: a draft purchase
    order line is pending, the open request covers the need already, the stock is not low
    (reasons ``low_stock``/``scan``, for a new request), or nothing is needed.

    The suggestion fills the level up to its reorder quantity, plus the backordered units
    (``demand``, at least all units waiting for the product when this is the home warehouse),
    at least ``at_least``, rounded to the preferred supplier's minimum order quantity and pack
    size (``rules.suggested_quantity``); the expected date adds the lead time.

    Runs in the caller's transaction (event handlers run inside the outbox dispatch). Takes no
    lock: the insert skips a pair with an open request, also one committed concurrently, and
    the top-up is a conditional UPDATE. Publishes nothing. Raises ``ValidationFailed`` (field
    ``reason``) for an unknown reason.
    """
    if reason not in ReorderReason.values:
        raise ValidationFailed(f"Unknown reorder reason '{reason}'.", code="invalid_reason", field="reason")
    if selectors.draft_line_pending(product_id, warehouse_id):
        return None
    demand = max(demand, selectors.backordered_demand([product_id], warehouse_id).get(product_id, 0))
    existing = selectors.open_request_for(product_id, warehouse_id)
    position = position or selectors.stock_positions(product_id).get(warehouse_id)
    if existing is not None:
        return _top_up_one(existing, position, demand=demand, at_least=at_least)
    if position is None or (reason in STOCK_REASONS and not position.is_low):
        return None
    row = _new_request(
        position=position,
        terms=selectors.supplier_terms_for([product_id]).get(product_id),
        reason=reason,
        demand=demand,
        at_least=at_least,
        source=source,
        arrival=_arrivals(today or timezone.localdate()),
    )
    with transaction.atomic():
        ids = _insert_open([row] if row else [])
    return ReorderRequest.objects.get(pk=ids[0]) if ids else None


def _top_up(rows: Sequence[tuple[int, int]]) -> list[int]:
    """Grow open requests to cover their need: ``rows`` are (request id, suggested quantity
    now needed). One conditional UPDATE: a request whose suggestion is below the need gets the
    need as suggestion, and its quantity grows by as much (a buyer's own change is kept on top).

    The suggestion is an absolute figure, not an increment, and the WHERE is re-checked on
    the row a concurrent top-up just committed (PostgreSQL re-evaluates it after the row
    lock), so two scans or triggers at once grow a request once. Returns the ids grown."""
    if not rows:
        return []
    ids, needs = (list(column) for column in zip(*rows, strict=True))
    sql = (
        "UPDATE purchasing_reorderrequest r SET quantity = r.quantity + (t.need - r.suggested_quantity), "
        "suggested_quantity = t.need, updated_at = now() "
        "FROM unnest(%s::bigint[], %s::integer[]) AS t(id, need) "
        "WHERE r.id = t.id AND r.status = 'open' AND r.suggested_quantity < t.need RETURNING r.id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [ids, needs])
        return sorted(row[0] for row in cursor.fetchall())


def _top_up_one(
    request: ReorderRequest, position: Position | None, *, demand: int, at_least: int
) -> ReorderRequest | None:
    """Grow one open request to what its level needs now (the same suggestion a new request
    would get); returns it when it grew, else None."""
    if position is None:
        return None
    terms = selectors.supplier_terms_for([request.product_id]).get(request.product_id)
    need = _suggestion(position, terms, demand=demand, at_least=at_least)
    if need <= request.suggested_quantity or not _top_up([(request.pk, need)]):
        return None
    return ReorderRequest.objects.get(pk=request.pk)


def _suggestion(position: Position, terms: SupplierTerms | None, *, demand: int, at_least: int = 0) -> int:
    return rules.suggested_quantity(
        reorder_point=position.reorder_point,
        reorder_quantity=position.reorder_quantity,
        available=position.available,
        incoming=position.incoming,
        demand=demand,
        at_least=at_least,
        min_order_quantity=terms.min_order_quantity if terms else 1,
        pack_size=terms.pack_size if terms else 1,
    )


def reorder_requests_top_up() -> int:
    """Grow every open request (not on a draft purchase order) that no longer covers its
    level's need: fill up to the reorder quantity plus the units backordered (home warehouse)
    less what is available and incoming, rounded to the supplier (``rules.suggested_quantity``,
    as for a new request). Part of the scan. Returns how many grew.

    Takes no lock up front; the one UPDATE is conditional (see ``_top_up``), so concurrent scans
    do not grow a request twice. Publishes nothing."""
    requests = selectors.open_requests_to_top_up()
    if not requests:
        return 0
    positions = selectors.positions_for_pairs(
        (product_id, warehouse_id) for _, product_id, warehouse_id, _, _ in requests
    )
    products = {product_id for _, product_id, _, _, _ in requests}
    terms = selectors.supplier_terms_for(products)
    home = selectors.home_warehouse_id()
    backordered = selectors.backordered_by_product(products) if home else {}
    rows = []
    for request_id, product_id, warehouse_id, suggested, _supplier in requests:
        position = positions.get((product_id, warehouse_id))
        if position is None:
            continue
        demand = backordered.get(product_id, 0) if warehouse_id == home else 0
        need = _suggestion(position, terms.get(product_id), demand=demand)
        if need > suggested:
            rows.append((request_id, need))
    return len(_top_up(rows))


def reorder_requests_for_backorders(*, order_id: int, source: str = "") -> list[ReorderRequest]:
    """Raise a request for every product an order backordered, bought for the home warehouse
    (where orders take stock first), for the backordered quantity on top of the level's
    reorder quantity. Called by the ``order.backordered`` handler, in its transaction."""
    demand = selectors.order_demand(order_id)
    backordered: dict[int, int] = {}
    for line in demand.lines:
        if line.backordered > 0:
            backordered[line.product_id] = backordered.get(line.product_id, 0) + line.backordered
    warehouse_id = selectors.home_warehouse_id()
    if warehouse_id is None:
        return []
    raised = []
    for product_id in sorted(backordered):
        request = reorder_request_raise(
            product_id=product_id,
            warehouse_id=warehouse_id,
            reason=ReorderReason.BACKORDER,
            demand=backordered[product_id],
            source=source or demand.reference,
        )
        if request:
            raised.append(request)
    return raised


def reorder_requests_for_large_lines(*, order_id: int, source: str = "") -> list[ReorderRequest]:
    """Raise a request for every order line that took more than the large-order share
    (``rules.large_order_share``) of the product's available stock (all active warehouses,
    counted as before the order: available now plus what the line holds). The request is for
    the warehouse the line took most from, and replaces at least what the line took there.
    A line that got nothing is the backorder trigger's. Called by the ``order.placed`` handler."""
    share = rules.large_order_share()
    demand = selectors.order_demand(order_id)
    took = [line for line in demand.lines if line.allocated > 0 and line.warehouse_id]
    available = selectors.available_by_product({line.product_id for line in took})
    raised = []
    for line in sorted(took, key=lambda dl: dl.product_id):
        if line.quantity <= share * (available.get(line.product_id, 0) + line.allocated):
            continue
        request = reorder_request_raise(
            product_id=line.product_id,
            warehouse_id=line.warehouse_id,
            reason=ReorderReason.LARGE_ORDER,
            demand=line.backordered,
            at_least=line.allocated_in_warehouse,
            source=source or demand.reference,
        )
        if request:
            raised.append(request)
    return raised


def reorder_scan(*, batch_size: int = 5000, today: date | None = None) -> int:
    """The scheduled scan: a request for every active level whose available plus incoming is
    below its reorder point and that has nothing pending, then every open request grown to its
    need (``reorder_requests_top_up``). Returns how many were raised; a rerun raises none.

    One query finds the levels; then per batch of levels ONE statement selects them again
    (with the same conditions, so what changed meanwhile is respected), joins the supplier
    terms, computes the suggestion and inserts with ON CONFLICT DO NOTHING (concurrent event
    triggers are skipped). Each batch is its own short transaction. The arithmetic is
    ``rules.suggested_quantity`` and ``rules.expected_arrival`` written in SQL: a test holds
    the two to the same answers. Publishes nothing.
    """
    today = today or timezone.localdate()
    level_ids = selectors.reorder_scan_level_ids()
    created = 0
    for start in range(0, len(level_ids), batch_size):
        with transaction.atomic():
            created += _scan_batch(level_ids[start : start + batch_size], today)
    reorder_requests_top_up()
    return created


# The scan's insert. ``c`` are the low levels (reorder_scan_rows_sql), ``t`` the terms of the
# supplier each product is bought from (preferred, else cheapest active), ``n`` the need:
# fill up to max(reorder quantity, reorder point); the quantity is the need raised to the
# minimum order quantity, then to whole packs; the date adds the lead time and moves a
# Saturday or Sunday to the Monday.
_SCAN_INSERT = """
WITH c (product_id, warehouse_id, available, incoming, reorder_point, reorder_quantity) AS ({levels}),
t AS (
    SELECT DISTINCT ON (sp.product_id) sp.product_id, sp.supplier_id, sp.unit_cost,
           sp.min_order_quantity AS moq, sp.pack_size AS pack, COALESCE(sp.lead_time_days, s.lead_time_days) AS lead
    FROM purchasing_supplierproduct sp JOIN purchasing_supplier s ON s.id = sp.supplier_id
    WHERE s.active AND sp.product_id IN (SELECT product_id FROM c)
    ORDER BY sp.product_id, sp.preferred DESC, sp.unit_cost, sp.id
),
n AS (
    SELECT c.product_id, c.warehouse_id, t.supplier_id, t.unit_cost, t.lead,
           COALESCE(t.moq, 1) AS moq, COALESCE(t.pack, 1) AS pack,
           GREATEST(c.reorder_quantity, c.reorder_point) - c.available - c.incoming AS need
    FROM c LEFT JOIN t ON t.product_id = c.product_id
),
q AS (
    SELECT n.*, (CEIL(GREATEST(n.need, n.moq, 1)::numeric / n.pack) * n.pack)::integer AS quantity,
           %s::date + n.lead AS arrives
    FROM n WHERE n.need > 0
)
INSERT INTO purchasing_reorderrequest (product_id, warehouse_id, supplier_id, reason, status, suggested_quantity,
                                       quantity, unit_cost, expected_date, source, created_at, updated_at)
SELECT product_id, warehouse_id, supplier_id, 'scan', 'open', quantity, quantity, unit_cost,
       arrives + CASE EXTRACT(ISODOW FROM arrives) WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END,
       'reorder scan', now(), now()
FROM q
ON CONFLICT (product_id, warehouse_id) WHERE status = 'open' DO NOTHING
"""


def _scan_batch(level_ids: list[int], today: date) -> int:
    levels_sql, params = selectors.reorder_scan_rows_sql(level_ids)
    with connection.cursor() as cursor:
        cursor.execute(_SCAN_INSERT.format(levels=levels_sql), [*params, today])
        return cursor.rowcount


def reorder_requests_assign_suppliers(*, product_ids=None, today: date | None = None) -> int:
    """Give open requests raised while their product had no supplier the supplier it has now:
    its terms, the quantity rounded to them, the arrival date. Returns how many changed.

    Called when a supplier product is saved and by the demo loader. Locks the requests FOR
    UPDATE (id order); runs in the caller's transaction or its own. Publishes nothing."""
    arrival = _arrivals(today or timezone.localdate())
    with transaction.atomic():
        requests = ReorderRequest.objects.select_for_update().filter(status=RequestStatus.OPEN, supplier__isnull=True)
        if product_ids is not None:
            requests = requests.filter(product_id__in=list(product_ids))
        requests = list(requests.order_by("id"))
        terms = selectors.supplier_terms_for({r.product_id for r in requests})
        changed = [r for r in requests if r.product_id in terms]
        for request in changed:
            found = terms[request.product_id]
            request.supplier_id, request.unit_cost = found.supplier_id, found.unit_cost
            request.expected_date = arrival(found.lead_time_days)
            rounded = {"min_order_quantity": found.min_order_quantity, "pack_size": found.pack_size}
            request.suggested_quantity = rules.round_to_supplier(request.suggested_quantity, **rounded)
            request.quantity = rules.round_to_supplier(request.quantity, **rounded)
        fields = ["supplier", "unit_cost", "expected_date", "suggested_quantity", "quantity", "updated_at"]
        ReorderRequest.objects.bulk_update(changed, fields)
        return len(changed)


# --- the purchasing screen ------------------------------------------------------------------------


def _lock_open(request_id: int) -> ReorderRequest:
    request = ReorderRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise ValidationFailed("No such reorder request.", code="unknown_request", field="request_id")
    if request.status != RequestStatus.OPEN:
        raise Conflict(
            f"This request is {request.get_status_display().lower()} already.",
            code="request_not_open",
            field="quantity",
        )
    return request


def reorder_request_set_quantity(*, request_id: int, quantity: int, user) -> ReorderRequest:
    """Change what an open request will order (the suggestion is kept beside it).

    Locks the request FOR UPDATE. Publishes nothing. Raises ``ValidationFailed`` (field
    ``quantity``) and ``Conflict`` ``request_not_open`` when it was ordered or dismissed."""
    quantity = whole_quantity(quantity, "quantity")
    with transaction.atomic(durable=True):
        request = _lock_open(request_id)
        request.quantity = quantity
        request.decided_by = user_or_none(user)
        request.save(update_fields=["quantity", "decided_by", "updated_at"])
        return request


def reorder_request_dismiss(*, request_id: int, user) -> ReorderRequest:
    """Drop an open request (not needed). The scan raises a new one later if the level is still
    low. Locks the request FOR UPDATE; publishes nothing; raises ``Conflict`` ``request_not_open``."""
    with transaction.atomic(durable=True):
        request = _lock_open(request_id)
        request.status = RequestStatus.DISMISSED
        request.decided_by = user_or_none(user)
        request.save(update_fields=["status", "decided_by", "updated_at"])
        return request
