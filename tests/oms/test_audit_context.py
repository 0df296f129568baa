"""The audit context reaches the history triggers once per transaction (``oms.audit``): every
tracked change still carries the context it was made in, after earlier statements, after a
rolled-back savepoint, when the metadata changes, and in autocommit mode.

``oms.audit`` replaces pghistory's private ``_inject_history_context`` and reads its private
``_tracker``; the tests at the end are the contract: the context written through our wrapper is
read back through pghistory's public models (``Context``, ``Events``) exactly as pghistory's own
wrapper writes it, so a pghistory release that changes either fails here."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from pghistory import models as pghistory_models
from pghistory import runtime as pghistory_runtime

from inventory.models import Warehouse
from oms import audit
from tests.factories.inventory import WarehouseFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _context_of(obj) -> dict | None:
    event = audit.history_for(obj)[0]
    return {k: v for k, v in event.pgh_context.items() if k != "url"} if event.pgh_context else None


def _set_configs(queries) -> int:
    return sum("set_config('pghistory.context_id'" in q["sql"] for q in queries.captured_queries)


def test_every_change_in_a_transaction_carries_the_context_set_once():
    with audit.context(task="nightly"), CaptureQueriesContext(connection) as queries, transaction.atomic():
        first = WarehouseFactory(code="W901")
        second = WarehouseFactory(code="W902")
        first.name = "Renamed"
        first.save()
    assert _context_of(first) == {"task": "nightly"} and _context_of(second) == {"task": "nightly"}
    assert _set_configs(queries) == 1


def test_each_autocommitted_change_gets_the_context():
    with audit.context(task="import"), CaptureQueriesContext(connection) as queries:
        first = WarehouseFactory(code="W903")
        second = WarehouseFactory(code="W904")
    assert _context_of(first) == _context_of(second) == {"task": "import"}
    assert _set_configs(queries) >= 2


def test_a_rolled_back_savepoint_does_not_take_the_context_with_it():
    with audit.context(task="retry"), transaction.atomic():
        try:
            with transaction.atomic():
                WarehouseFactory(code="W905")  # the context is set inside the savepoint...
                raise RuntimeError
        except RuntimeError:
            pass
        kept = WarehouseFactory(code="W906")  # ...and set again after it is rolled back
    assert _context_of(kept) == {"task": "retry"}


def test_metadata_added_later_in_the_transaction_reaches_the_next_change():
    with audit.context(task="sync"), transaction.atomic():
        first = WarehouseFactory(code="W907")
        with audit.context(user=None, command="fix"):
            second = WarehouseFactory(code="W908")
    # one context row per context: its metadata is the latest set
    assert _context_of(second) == {"task": "sync", "user": None, "command": "fix"}
    assert audit.history_for(first)[0].pgh_context_id == audit.history_for(second)[0].pgh_context_id


def test_prepared_reads_never_carry_the_context():
    from customers.selectors import customer_get_by_number
    from oms.errors import NotFound

    with audit.context(task="read"), CaptureQueriesContext(connection) as queries:
        for _ in range(2):  # prepared, then executed by name
            with pytest.raises(NotFound):
                customer_get_by_number("C-999999")
    assert len(queries) == 2 and _set_configs(queries) == 0


# --- the contract with pghistory: what its triggers store, read back through its public models -----------


def _changes_in_one_transaction(code: str) -> tuple:
    """An insert, an ORM update, a QuerySet.update and a raw UPDATE of one warehouse, in one context."""
    with audit.context(task="contract") as tracked, CaptureQueriesContext(connection) as queries:
        with transaction.atomic():
            warehouse = WarehouseFactory(code=code)
            warehouse.name = "Renamed"
            warehouse.save(update_fields=["name"])
            Warehouse.objects.filter(pk=warehouse.pk).update(name="Bulk")
            with connection.cursor() as cursor:
                cursor.execute("UPDATE inventory_warehouse SET name = %s WHERE id = %s", ["Raw", warehouse.pk])
    return tracked, warehouse, _set_configs(queries)


@pytest.mark.parametrize("wrapper", ["ours", "pghistory's"])
def test_the_context_is_stored_as_pghistory_stores_it(wrapper, monkeypatch):
    if wrapper == "pghistory's":  # pghistory's own wrapper, as it is without oms.audit.install()
        monkeypatch.setattr(pghistory_runtime, "_inject_history_context", audit._inject_every_statement)
    tracked, warehouse, set_configs = _changes_in_one_transaction("W911" if wrapper == "ours" else "W912")
    stored = pghistory_models.Context.objects.get(id=tracked.id)
    assert stored.metadata == {"task": "contract"}
    events = pghistory_models.Events.objects.references(warehouse).order_by("pgh_created_at", "pgh_id")
    assert [(e.pgh_label, e.pgh_data["name"]) for e in events][1:] == [
        ("update", "Renamed"),
        ("update", "Bulk"),
        ("update", "Raw"),
    ]
    assert events[0].pgh_label == "insert" and events[0].pgh_data["code"] == warehouse.code
    assert {e.pgh_context_id for e in events} == {tracked.id}
    # the one difference: ours sets the context once per transaction, pghistory's before every write
    assert set_configs == 1 if wrapper == "ours" else set_configs >= 4


def test_install_replaced_the_wrapper_pghistory_enters():
    # pghistory.context looks its wrapper up in its runtime module when entered: that is what we replace
    assert pghistory_runtime._inject_history_context is audit.inject_context_once
    with audit.context(task="x"):
        assert pghistory_runtime._tracker.value.metadata == {"task": "x"}


def test_the_transaction_states_are_libpqs_as_the_driver_reports_them():
    from psycopg2 import extensions

    from oms import audit

    assert (audit.TRANSACTION_IDLE, audit.TRANSACTION_INERROR) == (
        extensions.TRANSACTION_STATUS_IDLE,
        extensions.TRANSACTION_STATUS_INERROR,
    )
