"""The audit context reaches the history triggers once per transaction (``oms.audit``): every
tracked change still carries the context it was made in, after earlier statements, after a
rolled-back savepoint, when the metadata changes, and in autocommit mode."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

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
