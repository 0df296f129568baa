"""Who changed what. django-pghistory records row changes with database triggers (so it also
sees ``QuerySet.update()``), and its middleware attaches the acting user and URL as context.

Models opt in with ``@audit.track()``; ``history_for(obj)`` reads a record's changes newest first.
Services that run outside a request (workers, commands) label their changes with ``context``.

pghistory hands the context to the triggers with ``set_config(..., true)`` (transaction-local)
prefixed to *every* writing statement, and to every ``EXECUTE`` of a prepared statement (it
cannot tell those from writes). ``inject_context_once`` (installed by ``oms.apps``) sets it
once per transaction instead: again when the context or its metadata changes, after a
``ROLLBACK TO SAVEPOINT`` (which undoes a setting made inside the savepoint), and for each
statement in autocommit mode (each is its own transaction). Reads (``SELECT``, and prepared
statements named ``oms_read_...``) never need it. An API order placement ran twelve of those
statements, each a round of server work; now it runs three (the cost is in docs/ARCHITECTURE.md).

pghistory offers no public hook for this, so this module is the one place that touches its
privates: it replaces ``runtime._inject_history_context`` (which ``pghistory.context`` looks up
when entered) and reads ``runtime._tracker``. tests/oms/test_audit_context.py is the contract: the
context written through our wrapper is read back through pghistory's public models (``Context``,
``Events``) exactly as pghistory's own wrapper writes it.
"""

from __future__ import annotations

import pghistory
from pghistory import runtime as pghistory_runtime
from pghistory.models import Events

_inject_every_statement = pghistory_runtime._inject_history_context  # pghistory's, kept before install()
# a read's first use on a connection starts with the guard before its PREPARE (oms.sql)
# libpq's PQtransactionStatus, as ``connection.info.transaction_status`` reports it in psycopg2
# (2.8 on) and psycopg 3 alike (tests/oms/test_audit_context.py holds them to psycopg2's names)
TRANSACTION_IDLE, TRANSACTION_INERROR = 0, 3
READ_PREFIXES = (*pghistory_runtime.IGNORED_SQL_PREFIXES, "execute oms_read_", "prepare oms_read_", "do $oms_read_")


def track(*trackers, **kwargs):
    """Decorator for a model: record inserts and updates in an event table (by trigger)."""
    return pghistory.track(*(trackers or (pghistory.InsertEvent(), pghistory.UpdateEvent())), **kwargs)


def context(**values):
    """Attach values (``user``, ``task``, ``command``) to every change made inside the block."""
    return pghistory.context(**values)


def history_for(obj, limit: int = 50) -> list:
    """Changes to one record, newest first, with the context (user, url) they were made in."""
    return list(Events.objects.references(obj).order_by("-pgh_created_at")[:limit])


def inject_context_once(execute, sql, params, many, context):
    """pghistory's execute wrapper, setting the context once per transaction (see above)."""
    cursor, wrapper = context["cursor"], context["connection"]
    text = (sql.decode() if isinstance(sql, bytes) else sql).lstrip()[:40].lower()
    if text.startswith("rollback to"):
        wrapper.__dict__.pop("_oms_audit_context", None)
    raw = cursor.connection
    status = raw.info.transaction_status
    if text.startswith(READ_PREFIXES) or getattr(cursor, "name", None) or status == TRANSACTION_INERROR:
        return execute(sql, params, many, context)
    tracked = pghistory_runtime._tracker.value
    # compared as data, not as its JSON: serialising it for every statement cost more than this
    stamp = (tracked.id, dict(tracked.metadata))
    if status != TRANSACTION_IDLE and wrapper.__dict__.get("_oms_audit_context") == stamp:
        return execute(sql, params, many, context)
    # A statement that starts a transaction (or is one, in autocommit) gets the context,
    # written by pghistory's own wrapper.
    wrapper._oms_audit_context = None if wrapper.get_autocommit() else stamp
    return _inject_every_statement(execute, sql, params, many, context)


def install() -> None:
    """Make ``pghistory.context`` use ``inject_context_once`` (called from ``oms.apps``)."""
    pghistory_runtime._inject_history_context = inject_context_once
