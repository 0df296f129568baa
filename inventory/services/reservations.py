"""The hot path of order intake and fulfilment: reserve, release, issue.

Every service here changes many levels with a constant number of statements (round trips
are the cost, performance-anchors.md §0): it locks all the rows it needs in ONE statement in
id order (so concurrent multi-line orders cannot deadlock), and writes them in ONE
``UPDATE ... FROM (VALUES ...)`` whose WHERE clause re-checks the quantity, with the CHECK
constraint ``0 <= reserved <= on_hand`` behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from inventory.models import MovementKind, Product, StockMovement
from inventory.services._common import (
    abort_after_write,
    aggregate,
    in_transaction,
    publish_low_if_crossed,
    values_sql,
)
from oms.errors import Conflict, InsufficientStock, MultipleErrors
from oms.quantities import whole_quantity
from oms.sql import execute_prepared


@dataclass(frozen=True)
class ReserveLine:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class Reservation:
    line_index: int
    product_id: int
    warehouse_id: int
    stock_level_id: int
    quantity: int


class InsufficientStockLines(MultipleErrors, InsufficientStock):
    """Several lines short at once. It is an ``InsufficientStock`` (catch that) whose
    ``errors`` hold one ``InsufficientStock`` per short line (field ``lines.<i>``/``items.<i>``,
    extra ``available``)."""


@dataclass
class _Level:
    id: int
    product_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    reorder_point: int
    sku: str
    rank: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


# --- reserve ------------------------------------------------------------------------------------


def stock_reserve(
    *,
    lines: Sequence[ReserveLine],
    warehouse_ids: Sequence[int] | None = None,
    partial: bool = False,
) -> list[Reservation]:
    """Reserve stock for order lines; a line may be split over warehouses in preference order.

    ``warehouse_ids`` is the preference order (None: active warehouses by priority). With
    ``partial=False`` it is all or nothing: when any line is short it raises
    ``InsufficientStockLines`` (an ``InsufficientStock``; ``errors`` has one per short line,
    field ``lines.<index>``, extra ``available``) *before writing anything*, so the caller's
    transaction stays usable. With ``partial=True`` it reserves what it can; a line with
    nothing available gets no ``Reservation``. Takes no ``reference``: reserving moves no stock,
    so it writes no movement (the order's allocations say what the stock is held for).

    Runs inside the caller's transaction (opens one if there is none). Two statements whatever
    the number of lines: all candidate levels locked FOR UPDATE in id order, then one
    conditional UPDATE. Publishes ``stock.low`` for each level whose available drops below its
    reorder point. Raises ``ValidationFailed`` (``lines.<i>.quantity``) for bad input.
    """
    lines = list(lines)
    for index, line in enumerate(lines):
        whole_quantity(line.quantity, f"lines.{index}.quantity")
    if not lines:
        return []
    with in_transaction():
        levels = _lock_candidates({line.product_id for line in lines}, warehouse_ids)
        reservations, shortages = _plan(lines, levels)
        if shortages and not partial:
            raise _shortage_error(shortages, "lines")
        if reservations:
            _apply_reservations(levels, reservations)
        return reservations


def _lock_candidates(product_ids: set[int], warehouse_ids: Sequence[int] | None) -> dict[int, list[_Level]]:
    """Lock every level the reservation may touch, in id order; per product, in preference order."""
    # No SKUs here (a join with the products for every order): only a shortage names them.
    sql = (
        "SELECT sl.id, sl.product_id, sl.warehouse_id, sl.on_hand, sl.reserved, sl.reorder_point, w.priority "
        "FROM inventory_stocklevel sl "
        "JOIN inventory_warehouse w ON w.id = sl.warehouse_id "
        "WHERE sl.product_id = ANY($1::bigint[]) AND {warehouses} "
        "ORDER BY sl.id FOR UPDATE OF sl"
    )
    if warehouse_ids is None:
        name, sql, params = "oms_read_stock_candidates", sql.format(warehouses="w.active"), [sorted(product_ids)]
        rank_of = None
    else:
        preference = list(dict.fromkeys(int(w) for w in warehouse_ids))
        name = "oms_read_stock_candidates_in"
        sql = sql.format(warehouses="sl.warehouse_id = ANY($2::bigint[])")
        params = [sorted(product_ids), preference]
        rank_of = {w: i for i, w in enumerate(preference)}
    with connection.cursor() as cursor:
        execute_prepared(cursor, name, sql, params)  # planned once per connection (oms.sql)
        rows = cursor.fetchall()
    by_product: dict[int, list[_Level]] = {}
    for id_, product_id, warehouse_id, on_hand, reserved, point, priority in rows:
        rank = priority if rank_of is None else rank_of[warehouse_id]
        level = _Level(id_, product_id, warehouse_id, on_hand, reserved, point, sku="", rank=rank)
        by_product.setdefault(product_id, []).append(level)
    for candidates in by_product.values():
        candidates.sort(key=lambda lv: (lv.rank, lv.warehouse_id))
    return by_product


def _plan(lines: list[ReserveLine], levels: dict[int, list[_Level]]) -> tuple[list[Reservation], list[tuple]]:
    """Greedy in line order and warehouse preference; lines of the same product share stock."""
    left = {level.id: level.available for candidates in levels.values() for level in candidates}
    reservations: list[Reservation] = []
    shortages: list[tuple] = []
    for index, line in enumerate(lines):
        candidates = levels.get(line.product_id, [])
        available = sum(left[level.id] for level in candidates)
        if available < line.quantity:
            shortages.append((index, line, available, None))  # the SKU is looked up if it is raised
        wanted = line.quantity
        for level in candidates:
            take = min(wanted, left[level.id])
            if take > 0:
                left[level.id] -= take
                wanted -= take
                reservations.append(Reservation(index, line.product_id, level.warehouse_id, level.id, take))
            if wanted == 0:
                break
    return reservations, shortages


def _shortage_error(shortages: list[tuple], prefix: str) -> InsufficientStockLines:
    unnamed = {line.product_id for _, line, _, sku in shortages if sku is None}
    skus = dict(Product.objects.filter(pk__in=unnamed).values_list("id", "sku")) if unnamed else {}
    errors = [
        InsufficientStock(
            f"Only {available} of {sku or skus.get(line.product_id, f'#{line.product_id}')} available, "
            f"{line.quantity} asked.",
            field=f"{prefix}.{index}",
            available=available,
            requested=line.quantity,
            product_id=line.product_id,
        )
        for index, line, available, sku in shortages
    ]
    return InsufficientStockLines(errors)


def _apply_reservations(levels: dict[int, list[_Level]], reservations: list[Reservation]) -> None:
    totals = aggregate((r.stock_level_id, r.quantity) for r in reservations)
    ids, quantities = zip(*sorted(totals.items()), strict=True)
    sql = (
        "UPDATE inventory_stocklevel sl SET reserved = sl.reserved + v.qty "
        "FROM unnest($1::bigint[], $2::integer[]) AS v(id, qty) "
        "WHERE sl.id = v.id AND sl.on_hand - sl.reserved >= v.qty "
        "RETURNING sl.id"
    )
    with connection.cursor() as cursor:
        execute_prepared(cursor, "oms_stock_reserve", sql, [list(ids), list(quantities)])
        updated = {row[0] for row in cursor.fetchall()}
    if updated != set(totals):
        # Cannot happen while the rows are locked; the WHERE clause is the backstop.
        abort_after_write()
        raise InsufficientStock("Stock changed while reserving; try again.")
    by_id = {level.id: level for candidates in levels.values() for level in candidates}
    for level_id, quantity in totals.items():
        _publish_low(by_id[level_id], quantity)


def _publish_low(level: _Level, taken: int) -> None:
    publish_low_if_crossed(
        level_id=level.id,
        product_id=level.product_id,
        warehouse_id=level.warehouse_id,
        before=level.available,
        after=level.available - taken,
        point=level.reorder_point,
    )


# --- release and issue --------------------------------------------------------------------------

# Lock the rows in id order inside the one statement (a materialised CTE with ORDER BY ... FOR
# UPDATE), so two releases or issues over the same levels cannot deadlock.
_LOCKED_UPDATE = (
    "WITH v(id, qty) AS {values}, "
    "locked AS MATERIALIZED ("
    "SELECT id FROM inventory_stocklevel WHERE id IN (SELECT id FROM v) ORDER BY id FOR UPDATE) "
    "UPDATE inventory_stocklevel sl SET {assignments} FROM v, locked "
    "WHERE sl.id = v.id AND locked.id = sl.id AND sl.reserved >= v.qty "
    "RETURNING sl.id, sl.product_id, sl.warehouse_id, sl.on_hand"
)


def _validated_items(items: Sequence[tuple[int, int]]) -> dict[int, int]:
    for index, (_, quantity) in enumerate(items):
        whole_quantity(quantity, f"items.{index}.quantity")
    return aggregate((int(level_id), quantity) for level_id, quantity in items)


def _locked_update(totals: dict[int, int], assignments: str) -> list[tuple]:
    values, params = values_sql(sorted(totals.items()), ("bigint", "integer"))
    with connection.cursor() as cursor:
        cursor.execute(_LOCKED_UPDATE.format(values=values, assignments=assignments), params)
        return cursor.fetchall()


def _lower_reserved(totals: dict[int, int], assignments: str, verb: str) -> list[tuple]:
    """The locked update of release and issue; more than is reserved anywhere: ``Conflict``
    ``<verb>_exceeds_reserved``, and the caller's transaction is rolled back."""
    rows = _locked_update(totals, assignments)
    if len(rows) != len(totals):
        abort_after_write()
        raise Conflict(f"Cannot {verb} more than is reserved.", code=f"{verb}_exceeds_reserved", field="items")
    return rows


def stock_release(*, items: Sequence[tuple[int, int]]) -> None:
    """Give back reserved stock: ``items`` are ``(stock_level_id, quantity)``.

    One statement: the levels are locked in id order and reserved goes down, only where at
    least that much is reserved. Runs in the caller's transaction (opens one if none). Raises
    ``Conflict`` ``release_exceeds_reserved`` (and rolls the transaction back) when an item
    asks to release more than is reserved; ``ValidationFailed`` for bad quantities.
    """
    totals = _validated_items(items)
    if not totals:
        return
    with in_transaction():
        _lower_reserved(totals, "reserved = sl.reserved - v.qty", "release")


def stock_issue(*, items: Sequence[tuple[int, int]], reference: str, user=None) -> None:
    """Take reserved stock out of the warehouse (goods shipped): on_hand and reserved go down
    together, one issue movement per level. ``items`` are ``(stock_level_id, quantity)``.

    One statement for the levels (locked in id order) and one bulk insert of movements. Runs in
    the caller's transaction. Publishes nothing (available does not change). Raises
    ``Conflict`` ``issue_exceeds_reserved`` (rolling back) when more is issued than reserved.
    """
    totals = _validated_items(items)
    if not totals:
        return
    with in_transaction():
        rows = _lower_reserved(totals, "on_hand = sl.on_hand - v.qty, reserved = sl.reserved - v.qty", "issue")
        StockMovement.objects.bulk_create(
            _issue_movement(product_id, warehouse_id, totals[level_id], on_hand, reference, user)
            for level_id, product_id, warehouse_id, on_hand in sorted(rows)
        )


def _issue_movement(product_id: int, warehouse_id: int, quantity: int, on_hand_after: int, reference, user):
    return StockMovement(
        product_id=product_id,
        warehouse_id=warehouse_id,
        kind=MovementKind.ISSUE,
        quantity=-quantity,
        on_hand_after=on_hand_after,
        reference=(reference or "")[:100],
        user=user if getattr(user, "pk", None) else None,
    )


def stock_issue_unreserved(*, items: Sequence[tuple[int, int, int]], reference: str, user=None) -> None:
    """Issue stock that was never reserved (the store counter sale): ``items`` are
    ``(product_id, warehouse_id, quantity)``.

    Locks the levels FOR UPDATE in id order, checks that each has that much available (not
    reserved for other orders), then one conditional UPDATE and one bulk insert of issue
    movements. Publishes ``stock.low`` on a crossing. Raises ``InsufficientStockLines``
    (field ``items.<i>``, extra ``available``) before writing anything; ``ValidationFailed``.
    """
    for index, (_, _, quantity) in enumerate(items):
        whole_quantity(quantity, f"items.{index}.quantity")
    totals = aggregate(((int(p), int(w)), q) for p, w, q in items)
    if not totals:
        return
    with in_transaction():
        levels = _lock_pairs(list(totals))
        _check_unreserved(items, totals, levels)
        values, params = values_sql(
            sorted((levels[pair].id, qty) for pair, qty in totals.items()), ("bigint", "integer")
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE inventory_stocklevel sl SET on_hand = sl.on_hand - v.qty "
                f"FROM {values} AS v(id, qty) WHERE sl.id = v.id AND sl.on_hand - sl.reserved >= v.qty",
                params,
            )
            if cursor.rowcount != len(totals):
                abort_after_write()
                raise InsufficientStock("Stock changed while issuing; try again.")
        _record_unreserved_issue(totals, levels, reference, user)


def _lock_pairs(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], _Level]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sl.id, sl.product_id, sl.warehouse_id, sl.on_hand, sl.reserved, sl.reorder_point, p.sku "
            "FROM inventory_stocklevel sl JOIN inventory_product p ON p.id = sl.product_id "
            "WHERE (sl.product_id, sl.warehouse_id) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[])) "
            "ORDER BY sl.id FOR UPDATE OF sl",
            [[p for p, _ in pairs], [w for _, w in pairs]],
        )
        return {(row[1], row[2]): _Level(*row) for row in cursor.fetchall()}


def _check_unreserved(items, totals: dict, levels: dict) -> None:
    short = []
    for index, (product_id, warehouse_id, quantity) in enumerate(items):
        pair = (int(product_id), int(warehouse_id))
        level = levels.get(pair)
        available = level.available if level else 0
        if available < totals[pair]:
            sku = level.sku if level else f"#{product_id}"
            short.append((index, ReserveLine(pair[0], quantity), available, sku))
    if short:
        raise _shortage_error(short, "items")


def _record_unreserved_issue(totals: dict, levels: dict, reference: str, user) -> None:
    movements = []
    for pair, quantity in sorted(totals.items(), key=lambda item: levels[item[0]].id):
        level = levels[pair]
        movements.append(
            _issue_movement(level.product_id, level.warehouse_id, quantity, level.on_hand - quantity, reference, user)
        )
        _publish_low(level, quantity)
    StockMovement.objects.bulk_create(movements)
