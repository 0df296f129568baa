"""Per-process caches of small, rarely changing tables (carriers, rates, holidays, warehouses),
and the stamps that tell every process when its copy is out of date.

A table that may be cached carries ``stamp_trigger()`` in its ``Meta.triggers``: a
statement-level trigger that sets the table's ``TableStamp`` row to a fresh number from a
sequence, inside the transaction that changes the table. Whatever makes the change (a service
behind a screen or the API, the admin, ``QuerySet.update()``, a data migration, psql), the stamp
changes with it and commits or rolls back with it, so no code path can forget to invalidate.

A ``ReferenceCache`` keeps the results of read functions over its tables and reads the stamps
(one small query) before it answers: when a stamp differs from the one its results were read
under, it drops them all and reads again. Each gunicorn worker, thread pool and Celery process
holds its own copy, and each sees a change at its first read after the change commits, never
before. ``stamps_read_once()`` lets a unit of work (one delivery quote) pay for the stamps once;
with ``with_first_read=True`` (order placement) they come as one more column of the unit's first
hand-written read (``oms.sql.ride_along``), so they cost no round trip of their own.

Why a sequence number and not a counter: a transaction may read its own uncommitted change into
the cache and then roll back; its number is never handed out again, so what was read under it
can never pass for current. Why the stamps are read before the tables: under READ COMMITTED a
change that commits in between is then filed under the older stamp, which the next read finds
outdated (one reload too many, never stale data).

Cache rows of tables, not answers computed from them: the rules that use the rows stay where
they are and are always applied to current data.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

import pgtrigger
from django.db import connection

from oms.sql import execute_prepared, ride_along

SEQUENCE = "oms_tablestamp_version_seq"
STAMP_SQL = (
    f"INSERT INTO oms_tablestamp (name, version) VALUES (TG_TABLE_NAME, nextval('{SEQUENCE}')) "
    "ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version; RETURN NULL;"
)
# A process holds at most this many results per cache; the keys include dates (holidays from
# today on), so they would otherwise grow for as long as the tables do not change.
MAX_ENTRIES = 256
# The stamps as one value, for a statement that carries them as an extra column: text, so the
# driver does not parse the copy on every row, only the first row's is read.
STAMPS_COLUMN = "(SELECT json_object_agg(name, version)::text FROM oms_tablestamp)"


class _Awaited:
    """The stamps of a ``stamps_read_once(with_first_read=True)`` block: carried by its first
    read, or read by the first cache that asks before any read carried them."""

    def __init__(self) -> None:
        self.stamps: Mapping[str, int] | None = None
        self.rider = None

    def receive(self, value) -> None:
        # NULL when no table was ever stamped
        self.stamps = MappingProxyType({name: int(version) for name, version in json.loads(value or "{}").items()})

    def get(self) -> Mapping[str, int]:
        if self.stamps is None:
            self.rider.done = True
            self.stamps = MappingProxyType(_read_stamps())
        return self.stamps


_snapshot: ContextVar[Mapping[str, int] | _Awaited | None] = ContextVar("oms_reference_stamps", default=None)


def stamp_trigger(update_of: tuple[str, ...] = ()) -> pgtrigger.Trigger:
    """The trigger that stamps a model's table on every change (for ``Meta.triggers``).

    ``update_of``: the columns whose update is a change (every other column's is not: a use
    recorded on the row, which no cached copy depends on); empty: every column's."""
    update = pgtrigger.UpdateOf(*update_of) if update_of else pgtrigger.Update
    return pgtrigger.Trigger(
        name="reference_stamp",
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Insert | update | pgtrigger.Delete | pgtrigger.Truncate,
        func=STAMP_SQL,
    )


def stamp_column(table: str) -> str:
    """A scalar subquery for ``table``'s stamp (NULL: never stamped), for a statement that reads
    rows of a stamped table together with the stamp they were read under."""
    if not table.replace("_", "").isalnum():
        raise ValueError(f"Not a table name: {table!r}")
    return f"(SELECT version FROM oms_tablestamp WHERE name = '{table}')"


def current_stamps() -> Mapping[str, int]:
    """Table name -> its stamp (one query), or the stamps read at the start of the enclosing
    ``stamps_read_once`` block."""
    stamps = _snapshot.get()
    if isinstance(stamps, _Awaited):
        return stamps.get()
    if stamps is not None:
        return stamps
    return _read_stamps()


def _read_stamps() -> dict[str, int]:
    # named oms_read_...: a read, so oms.audit sends no context with it
    with connection.cursor() as cursor:
        execute_prepared(cursor, "oms_read_table_stamps", "SELECT name, version FROM oms_tablestamp", [])
        return dict(cursor.fetchall())


@contextmanager
def stamps_read_once(*, with_first_read: bool = False) -> Iterator[None]:
    """Within the block every cache judges its results by the stamps as they were at its start
    (read then, once). Nested blocks share the outer block's stamps.

    ``with_first_read``: read them with the block's first ``oms.sql.select_models`` that finds
    rows instead (or on a cache's first use, if that comes first). Only for a block that changes
    none of the cached tables before it uses a cache: the stamps it judges by are read before
    its own changes."""
    if _snapshot.get() is not None:
        yield
        return
    if not with_first_read:
        token = _snapshot.set(MappingProxyType(current_stamps()))
        try:
            yield
        finally:
            _snapshot.reset(token)
        return
    awaited = _Awaited()
    token = _snapshot.set(awaited)
    try:
        with ride_along("stamps", STAMPS_COLUMN, awaited.receive) as awaited.rider:
            yield
    finally:
        _snapshot.reset(token)


class ReferenceCache:
    """Results of read functions over the tables of ``models``, kept in this process for as long
    as none of those tables changed. The functions take hashable arguments and return values
    nobody changes (tuples, frozen dataclasses, ``MappingProxyType``): every caller in the
    process gets the same object."""

    def __init__(self, *models) -> None:
        self.tables = tuple(sorted({model._meta.db_table for model in models}))
        self._results: tuple[tuple[int, ...] | None, dict] = (None, {})

    def memoize(self, function: Callable) -> Callable:
        @functools.wraps(function)
        def cached(*args):
            results = self._current()
            key = (function, args)
            try:
                return results[key]
            except KeyError:
                pass
            value = function(*args)
            if len(results) >= MAX_ENTRIES:
                results.clear()
            results[key] = value
            return value

        return cached

    def clear(self) -> None:
        self._results = (None, {})

    def _current(self) -> dict:
        stamps = current_stamps()
        version = tuple(stamps.get(table, 0) for table in self.tables)
        seen, results = self._results
        if seen != version:
            # A fresh dict under the version just read: a thread still working with the old one
            # files its results there, where nobody looks again.
            results = {}
            self._results = (version, results)
        return results
