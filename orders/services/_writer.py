"""Writing a new order in one statement: the hot path of order intake.

``order_place`` inserts the order, its lines, their allocations and the first timeline row with
one data-modifying CTE: one round trip instead of four, and none of the ORM's per-field work
(together about a quarter of an order's CPU, bench/order_intake.py). The values are plain
parameters in each table's own ``VALUES`` list, so PostgreSQL coerces them to the column types
and checks lengths and constraints as for any insert. The column lists below name every
column; ``tests/orders/test_writer.py`` fails when a model gains a field that is not here.
"""

from __future__ import annotations

import json

from django.db import connection

from orders.models import Allocation, Order, OrderEvent, OrderLine

ORDER_COLUMNS = (
    "channel",
    "customer_id",
    "status",
    "billing_address",
    "shipping_address",
    "payment_method",
    "ship_complete",
    "vat_regime",
    "currency",
    "net_amount",
    "shipping_amount",
    "shipping_vat_rate",
    "vat_amount",
    "gross_amount",
    "amount_paid",
    "supply_date",
    "promised_delivery_date",
    "first_delivery_date",
    "carrier_code",
    "service_code",
    "external_reference",
    "notes",
    "entered_by_id",
    "placed_at",
    "created_at",
    "updated_at",
)
LINE_COLUMNS = (
    "line_no",
    "product_id",
    "sku",
    "name",
    "vat_category",
    "vat_rate",
    "unit_price",
    "discount_percent",
    "quantity",
    "quantity_allocated",
    "quantity_backordered",
    "quantity_shipped",
    "quantity_returned",
    "line_total",
    "is_cancelled",
)
ALLOCATION_COLUMNS = ("stock_level_id", "warehouse_id", "quantity", "status", "created_at", "updated_at")
EVENT_COLUMNS = ("kind", "message", "data", "user_id", "created_at")
JSON_COLUMNS = {"billing_address", "shipping_address", "data"}
# Filled by the statement, not by us: keys, the number (the column's database default).
GENERATED = {"id", "number", "order_id", "order_line_id"}


def _values(instance, columns: tuple[str, ...]) -> list:
    return [json.dumps(getattr(instance, c)) if c in JSON_COLUMNS else getattr(instance, c) for c in columns]


def _row(count: int, prefix: str = "") -> str:
    return "(" + prefix + ", ".join(["%s"] * count) + ")"


def insert_new_order(order: Order, lines: list[OrderLine], allocations: list[Allocation], event: OrderEvent) -> None:
    """Insert ``order`` with its ``lines``, ``allocations`` (each with ``order_line`` set to one
    of ``lines``) and timeline ``event``; sets the ids and the order number on the objects."""
    line_no = {id(line): line.line_no for line in lines}
    params: list = _values(order, ORDER_COLUMNS)
    for line in lines:
        params += _values(line, LINE_COLUMNS)
    for allocation in allocations:
        params += [line_no[id(allocation.order_line)], *_values(allocation, ALLOCATION_COLUMNS)]
    params += _values(event, EVENT_COLUMNS)
    order_ref = "(SELECT id FROM o), "
    sql = (
        f"WITH o AS (INSERT INTO orders_order ({', '.join(ORDER_COLUMNS)}) "
        f"VALUES {_row(len(ORDER_COLUMNS))} RETURNING id, number), "
        f"l AS (INSERT INTO orders_orderline (order_id, {', '.join(LINE_COLUMNS)}) "
        f"VALUES {', '.join([_row(len(LINE_COLUMNS), order_ref)] * len(lines))} RETURNING id, line_no), "
        + (
            f"a AS (INSERT INTO orders_allocation (order_line_id, {', '.join(ALLOCATION_COLUMNS)}) VALUES "
            + ", ".join([_row(len(ALLOCATION_COLUMNS), "(SELECT id FROM l WHERE line_no = %s), ")] * len(allocations))
            + " RETURNING id, order_line_id, stock_level_id), "
            if allocations
            else "a AS (SELECT NULL::bigint AS id, NULL::bigint AS order_line_id, NULL::bigint AS stock_level_id "
            "WHERE false), "
        )
        + f"e AS (INSERT INTO orders_orderevent (order_id, {', '.join(EVENT_COLUMNS)}) "
        f"VALUES {_row(len(EVENT_COLUMNS), order_ref)} RETURNING id) "
        "SELECT o.id, o.number, (SELECT array_agg(ARRAY[id, line_no]) FROM l), "
        "(SELECT array_agg(ARRAY[id, order_line_id, stock_level_id]) FROM a), (SELECT id FROM e) FROM o"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        order_id, number, line_ids, allocation_ids, event_id = cursor.fetchone()
    _set_ids(order, lines, allocations, event, order_id, number, line_ids, allocation_ids or [], event_id)


def _set_ids(order, lines, allocations, event, order_id, number, line_ids, allocation_ids, event_id) -> None:
    order.pk, order.number = order_id, number
    order._state.adding = False
    by_no = {no: pk for pk, no in line_ids}
    for line in lines:
        line.pk, line.order_id = by_no[line.line_no], order_id
        line._state.adding = False
    by_key = {(line_id, level_id): pk for pk, line_id, level_id in allocation_ids}
    for allocation in allocations:
        allocation.order_line_id = allocation.order_line.pk
        allocation.pk = by_key[(allocation.order_line_id, allocation.stock_level_id)]
        allocation._state.adding = False
    event.pk, event.order_id = event_id, order_id
    event._state.adding = False


def uncovered_columns() -> dict[str, set[str]]:
    """Columns of the models that this writer does not fill (must stay empty)."""
    covered = {
        Order: set(ORDER_COLUMNS),
        OrderLine: set(LINE_COLUMNS),
        Allocation: set(ALLOCATION_COLUMNS),
        OrderEvent: set(EVENT_COLUMNS),
    }
    return {
        model.__name__: {f.attname for f in model._meta.concrete_fields} - columns - GENERATED
        for model, columns in covered.items()
    }
