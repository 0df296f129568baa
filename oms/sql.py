"""Hand-written SQL for the few statements on a hot path: model instances from rows, and
server-side prepared statements.

The ORM compiles every queryset anew: for a one-row lookup that costs more CPU than the query
itself (order intake reads a token, a customer, addresses and products per request,
bench/order_intake.py). ``select_models`` runs a ``WHERE`` clause we write once against every
concrete column of the model and builds ordinary model instances from the rows with
``Model.from_db`` (each field's ``from_db_value`` converter applied first, as the ORM does).

``execute_prepared`` runs a statement PostgreSQL has parsed and planned once per connection:
planning the statements of one order placement cost more server CPU than running them (the
planner weighs every index of the product and order tables each time; figures in
docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection


@cache
def _shape(model) -> tuple[str, tuple[str, ...], tuple]:
    fields = model._meta.concrete_fields
    columns = ", ".join(f'{model._meta.db_table}."{field.column}"' for field in fields)
    names = tuple(field.attname for field in fields)
    converters = tuple((index, field) for index, field in enumerate(fields) if hasattr(field, "from_db_value"))
    return columns, names, converters


def model_columns(model) -> str:
    """``table."col", ...`` for every concrete field of ``model``, in ``select_models``' order."""
    return _shape(model)[0]


def select_models(model, name: str, where: str, params, *, order_by: str = "") -> list:
    """``SELECT <all columns> FROM <table> WHERE <where> [ORDER BY ...]`` as instances, prepared
    as ``name`` (``where`` uses ``$1``, ``$2``... with a cast where the type is not obvious).
    Inside a ``ride_along`` block that still waits, the statement carries its column too."""
    columns, _, _ = _shape(model)
    rider = _rider.get()
    if rider is not None and not rider.done:
        columns, name = f"{columns}, {rider.column}", f"{name}_{rider.name}"
    else:
        rider = None
    sql = f"SELECT {columns} FROM {model._meta.db_table} WHERE {where}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    with connection.cursor() as cursor:
        execute_prepared(cursor, name, sql, params)
        rows = cursor.fetchall()
    if rider is not None and rows:
        rider.deliver(rows[0][-1])
        rows = [row[:-1] for row in rows]
    return [instance(model, row) for row in rows]


# --- a value that rides along with the next read -----------------------------------------------------


@dataclass
class Rider:
    """A value a unit of work needs, read as one more column of a statement it sends anyway."""

    name: str  # appended to the carrying statement's name: its text differs
    column: str  # an SQL expression that does not depend on the row (a scalar subquery)
    receive: Callable[[Any], None]
    done: bool = False

    def deliver(self, value) -> None:
        self.done = True
        self.receive(value)


_rider: ContextVar[Rider | None] = ContextVar("oms_sql_rider", default=None)


@contextmanager
def ride_along(name: str, column: str, receive: Callable[[Any], None]) -> Iterator[Rider]:
    """Within the block, the first ``select_models`` that finds rows also selects ``column`` and
    hands its value to ``receive``: a round trip saved for a value the block needs (the reference
    tables' stamps, ``oms.reference_cache``). Set ``done`` on the rider yielded when the value was
    read another way. Nothing rides on a read that finds no rows."""
    rider = Rider(name, column, receive)
    token = _rider.set(rider)
    try:
        yield rider
    finally:
        _rider.reset(token)


def execute_prepared(cursor, name: str, sql: str, params, *, before: str = "") -> None:
    """Execute ``sql`` (placeholders ``$1``, ``$2``...) as the prepared statement ``name``.

    ``name`` is one fixed identifier per statement text. ``before`` is SQL sent ahead of it in
    the same round trip (without parameters). Either way the statement costs one round trip and
    one query, so query counts do not depend on which test ran first or on the setting.

    With ``OMS_PREPARED_STATEMENTS`` off (behind PgBouncer in transaction-pooling mode, where
    the next transaction may run on another server connection) the same SQL is sent as a plain
    parameterised statement.

    Otherwise, on a connection where ``name`` is not known to be prepared, ``PREPARE`` goes in
    the same round trip, after a guard that drops a statement of that name left behind. The name
    is known only once a round trip that prepared it has succeeded: when one fails we cannot tell
    how far it got (``before``, ``PREPARE`` or ``EXECUTE``), and PostgreSQL keeps a prepared
    statement through a failed ``EXECUTE`` and a rolled-back transaction, so a plain ``PREPARE``
    on the next use would fail with "already exists" for as long as the connection lives. A
    failure of an ``EXECUTE`` of a known name forgets it too ("does not exist" after a
    ``DISCARD ALL``, a plan invalidated by a schema change). A new connection (a new server
    process) starts with none."""
    if not settings.OMS_PREPARED_STATEMENTS:
        text, order = _plain(sql, bool(params))
        cursor.execute(_escaped(before, params) + text, [params[i] for i in order] if params else None)
        return
    known = _prepared_on(cursor.db)
    execute = f"EXECUTE {name} ({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    try:
        if name in known:
            cursor.execute(_escaped(before, params) + execute, params or None)
            return
        prepare = _guarded_prepare(name, sql, bool(params))
        cursor.execute(_escaped(before, params) + prepare + execute, params or None)
    except BaseException:
        known.discard(name)
        raise
    known.add(name)


def deallocate_all(wrapper=None) -> None:
    """Drop every prepared statement of ``wrapper``'s connection (Django's default one if
    None), on the server and from our record: the session is then as a new connection's."""
    wrapper = wrapper or connection
    with wrapper.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
        _prepared_on(cursor.db).clear()


def _prepared_on(wrapper) -> set[str]:
    """The names prepared on ``wrapper``'s current connection (``cursor.db``: this thread's
    connection, not the module-level proxy); a new set when the connection was replaced."""
    raw = wrapper.connection
    key = (id(raw), raw.info.backend_pid)  # the DB-API connection's info: psycopg2 and psycopg 3 alike
    known = wrapper.__dict__.get("_oms_prepared")
    if known is None or known[0] != key:
        known = wrapper._oms_prepared = (key, set())
    return known[1]


def _escaped(text: str, params) -> str:
    # psycopg2 reads % as a placeholder only when it is given parameters
    return text.replace("%", "%%") if params else text


_NAME = re.compile(r"[a-z_][a-z0-9_]*")


@cache
def _guarded_prepare(name: str, sql: str, with_params: bool) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"Not a prepared statement name: {name!r}")
    # quoted with the name as the dollar-quote tag, so the round trip of a read still starts
    # with its name (oms.audit tells reads from writes by that)
    drop = (
        f"DO ${name}$BEGIN IF EXISTS (SELECT FROM pg_prepared_statements "
        f"WHERE name = '{name}') THEN EXECUTE 'DEALLOCATE {name}'; END IF; END${name}$; "
    )
    return f"{drop}PREPARE {name} AS {_escaped(sql, with_params)}; "


# our statements have no "$" in string literals or dollar quotes, so every $n is a placeholder
_PLACEHOLDER = re.compile(r"\$(\d+)")


@cache
def _plain(sql: str, with_params: bool) -> tuple[str, tuple[int, ...]]:
    """``sql`` with ``%s`` for each ``$n`` and the parameter index of each, in order (a
    parameter used twice is passed twice)."""
    order: list[int] = []

    def placeholder(match) -> str:
        order.append(int(match.group(1)) - 1)
        return "%s"

    text = _PLACEHOLDER.sub(placeholder, _escaped(sql, with_params))
    return text, tuple(order)


def instance(model, row) -> object:
    """A model instance from a row holding ``model_columns(model)`` (in that order)."""
    _, names, converters = _shape(model)
    if converters:
        row = list(row)
        for index, field in converters:
            row[index] = field.from_db_value(row[index], None, connection)
    return model.from_db(DEFAULT_DB_ALIAS, names, row)


def saved_instance(model, values: dict) -> object:
    """As ``new_instance``, for a row that is in the database (read, or just written): built by
    ``Model.from_db``, as the ORM builds the rows it reads."""
    return model.from_db(DEFAULT_DB_ALIAS, _shape(model)[1], _ordered(model, values))


def new_instance(model, values: dict, related: dict | None = None) -> object:
    """A new, unsaved ``model(**values)`` for a hot path. ``values`` names every concrete field
    by its attribute name (``order_id``, not ``order``; else TypeError, because a field left out
    would read as deferred and cost a query later); ``related`` sets forward relations
    (``{"order": order}``) so that ``line.order`` is that object without a query.

    Built with the fields as positional arguments, the way ``Model.from_db`` builds instances:
    keywords go through each field's descriptor, which cost several times as much and an order
    placement builds twenty such objects (bench/internals.py)."""
    made = model(*_ordered(model, values))
    for name, value in (related or {}).items():
        setattr(made, name, value)
    return made


@cache
def _attnames(model) -> frozenset:
    return frozenset(field.attname for field in model._meta.concrete_fields)


def _ordered(model, values: dict) -> list:
    if values.keys() != _attnames(model):
        raise TypeError(f"{model.__name__} needs exactly {sorted(_attnames(model))}, got {sorted(values)}")
    return [values[name] for name in _shape(model)[1]]


@cache
def _reverse_relation(model, name: str) -> tuple:
    """The model on the other side of ``model.<name>`` (a reverse foreign key) and its field."""
    rel = getattr(model, name).rel
    return rel.related_model, rel.field.name


def cache_related(instance, name: str, rows: list) -> None:
    """Fill ``instance.<name>.all()`` (a reverse foreign key) with ``rows``, as
    ``prefetch_related`` does, so the caller reads rows it already has (just written, or read in
    the same query) without a query.

    Django has no public way to hand a relation rows it did not fetch itself
    (``prefetch_related_objects`` always queries), so this is the one place that writes its private
    QuerySet attributes: the result cache, and the filter on ``instance`` kept
    deferred (``_deferred_filter``) until a further ``.filter()`` or ``.count()`` needs it, as the
    related manager keeps it; building the filter through the manager compiled it at once, for
    every line of every order placed. tests/oms/test_sql.py is the contract: it fails when a
    Django release changes any of these."""
    related, field = _reverse_relation(type(instance), name)
    queryset = related._default_manager.get_queryset()
    queryset._deferred_filter = (False, (), {field: instance})
    queryset._result_cache = list(rows)
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def cached_related(instance, name: str) -> list | None:
    """The rows ``cache_related`` or ``prefetch_related`` left in ``instance.<name>``, or None
    when they did not (then ``.all()`` would query)."""
    cached = instance.__dict__.get("_prefetched_objects_cache", {}).get(name)
    return None if cached is None else list(cached)


def release_related(instance) -> None:
    """Let go of the rows ``cache_related`` (or ``prefetch_related``) left on ``instance``, and of
    theirs, once the caller is done with them: a parent and its rows refer to each other through
    these caches, so without this the whole graph waits for the garbage collector instead of
    going when the last reference does."""
    cached = instance.__dict__.pop("_prefetched_objects_cache", None) or {}
    for rows in cached.values():
        for row in rows:  # evaluated: iterating reads the cache, never the database
            release_related(row)
