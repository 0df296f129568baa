"""Writing a new order in one statement: the hot path of order intake.

``order_place`` inserts the order, its lines, their allocations, the first timeline row and
its events' outbox rows with one data-modifying CTE: one round trip instead of five, and none
of the ORM's per-field work (together a large share of an order's CPU: figures in
docs/ARCHITECTURE.md, measured with bench/order_intake.py). The order's values are parameters
and the lines and allocations are one JSON document each (``json_to_recordset``), so the
statement's text does not depend on the number of lines and PostgreSQL plans it once per
connection (``oms.sql.execute_prepared``; planning it each time cost more than running it).
JSON rather than one array per column because psycopg2 quotes list parameters element by
element in Python, several times the CPU of one ``json.dumps`` (docs/ARCHITECTURE.md). The
record types name the column's base type without its length (an explicit ``varchar(64)`` would
cut a long value short silently; the insert itself checks lengths and constraints as for any
insert). The column lists below name every column; ``tests/orders/test_writer.py`` fails when a
model gains a field that is not here. The events' rows come from ``oms.events.outbox_insert``,
so the outbox stays the one place that knows their columns.
"""

from __future__ import annotations

import json
import re
from functools import cache

from django.db import connection

from oms import events as outbox
from oms.sql import execute_prepared
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
    "prices_include_vat",
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
    "shipping_method_chosen",
    "shipping_method_name",
    "pickup_point",
    "external_reference",
    "payment_url",
    "payment_url_expires_at",
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
    "price_reason",
    "promised_delivery_date",
)
ALLOCATION_COLUMNS = ("stock_level_id", "warehouse_id", "quantity", "status", "created_at", "updated_at")
EVENT_COLUMNS = ("kind", "message", "data", "user_id", "created_at")
JSON_COLUMNS = {"billing_address", "shipping_address", "pickup_point", "data"}
# Filled by the statement, not by us: keys, the number and the status link's version (the
# columns' database defaults).
GENERATED = {"id", "number", "order_id", "order_line_id", "status_link_version"}


def _values(instance, columns: tuple[str, ...]) -> list:
    return [json.dumps(getattr(instance, c)) if c in JSON_COLUMNS else getattr(instance, c) for c in columns]


def _column_types(model, columns: tuple[str, ...]) -> list[str]:
    fields = {field.column: field for field in model._meta.concrete_fields}
    return [re.sub(r"\(.*\)", "", fields[column].db_type(connection)) for column in columns]


def _record(model, columns: tuple[str, ...]) -> str:
    """``col type, ...``: the row type of a ``json_to_recordset`` over ``columns``."""
    return ", ".join(f"{c} {t}" for c, t in zip(columns, _column_types(model, columns), strict=True))


@cache
def _statement() -> str:
    """The CTE with ``$n`` placeholders: the order's columns one each, then the lines (a JSON
    array of objects keyed by column), the allocations (the same, with each one's ``line_no``),
    then the event's columns, then the names of the events to publish (each with the payload
    ``{"order_id": <the order's id>}``)."""
    order = [f"${i + 1}::{t}" for i, t in enumerate(_column_types(Order, ORDER_COLUMNS))]
    lines, allocations = len(order) + 1, len(order) + 2
    event = [f"${allocations + i + 1}::{t}" for i, t in enumerate(_column_types(OrderEvent, EVENT_COLUMNS))]
    names = f"${allocations + len(event) + 1}::text[]"
    # one payload per name, all the same: the new order's id
    payloads = f"array_fill(json_build_object('order_id', o.id)::text, ARRAY[cardinality({names})])"
    alloc_names = ", ".join(f"v.{c}" for c in ALLOCATION_COLUMNS)
    return (
        f"WITH o AS (INSERT INTO orders_order ({', '.join(ORDER_COLUMNS)}) "
        f"VALUES ({', '.join(order)}) RETURNING id, number), "
        f"l AS (INSERT INTO orders_orderline (order_id, {', '.join(LINE_COLUMNS)}) "
        f"SELECT o.id, u.* FROM o, json_to_recordset(${lines}::json) AS u({_record(OrderLine, LINE_COLUMNS)}) "
        "RETURNING id, line_no), "
        f"a AS (INSERT INTO orders_allocation (order_line_id, {', '.join(ALLOCATION_COLUMNS)}) "
        f"SELECT l.id, {alloc_names} FROM json_to_recordset(${allocations}::json) "
        f"AS v(line_no integer, {_record(Allocation, ALLOCATION_COLUMNS)}) JOIN l ON l.line_no = v.line_no "
        "RETURNING id, order_line_id, stock_level_id), "
        f"e AS (INSERT INTO orders_orderevent (order_id, {', '.join(EVENT_COLUMNS)}) "
        f"SELECT o.id, {', '.join(event)} FROM o RETURNING id), "
        f"x AS ({outbox.outbox_insert(names, payloads, source='o')}) "
        "SELECT o.id, o.number, (SELECT array_agg(ARRAY[id, line_no]) FROM l), "
        "(SELECT array_agg(ARRAY[id, order_line_id, stock_level_id]) FROM a), (SELECT id FROM e), "
        "(SELECT array_agg(id ORDER BY id) FROM x), (SELECT min(created_at) FROM x), txid_current() FROM o"
    )


def _rows_json(rows: list[dict]) -> str:
    # Decimals and datetimes as their text, which the record's column types read back exactly;
    # the rows share their timestamps (one object), so each is formatted once.
    texts: dict[int, str] = {}

    def text(value) -> str:
        found = texts.get(id(value))
        if found is None:
            found = texts[id(value)] = str(value)
        return found

    return json.dumps(rows, default=text, separators=(",", ":"))


def insert_new_order(
    order: Order, lines: list[OrderLine], allocations: list[Allocation], event: OrderEvent, publish: list[str]
) -> None:
    """Insert ``order`` with its ``lines``, ``allocations`` (each with ``order_line`` set to one
    of ``lines``) and timeline ``event``, and publish the events named in ``publish`` about it
    (``oms.events``: sent after commit); sets the ids and the order number on the objects."""
    line_rows = [{c: getattr(line, c) for c in LINE_COLUMNS} for line in lines]
    allocation_rows = [
        {"line_no": a.order_line.line_no, **{c: getattr(a, c) for c in ALLOCATION_COLUMNS}} for a in allocations
    ]
    params = [
        *_values(order, ORDER_COLUMNS),
        _rows_json(line_rows),
        _rows_json(allocation_rows),
        *_values(event, EVENT_COLUMNS),
        publish,
    ]
    with connection.cursor() as cursor:
        execute_prepared(cursor, "oms_order_insert", _statement(), params)
        order_id, number, line_ids, allocation_ids, event_id, event_ids, published_at, txid = cursor.fetchone()
    _set_ids(order, lines, allocations, event, order_id, number, line_ids, allocation_ids or [], event_id)
    if publish:
        payloads = [{"order_id": order_id} for _ in publish]  # one dict each: the events own them
        outbox.published(event_ids, published_at, txid, payloads, publish)


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
