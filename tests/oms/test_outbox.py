"""The transactional outbox: nothing from a rolled-back transaction, each handler once, dead after
N attempts, and a sweep that re-sends what the broker never got."""

import threading

import pytest
from django.db import connection, transaction

from oms import events
from oms.models import HandlerRun, OutboxEvent, OutboxStatus
from tests.oms import outbox_handlers as h

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def scratch(monkeypatch):
    h.create_table()
    monkeypatch.setitem(events.HANDLERS, "test.recorded", ["tests.oms.outbox_handlers.record"])
    monkeypatch.setitem(events.HANDLERS, "test.slow", ["tests.oms.outbox_handlers.record_slowly"])
    monkeypatch.setitem(
        events.HANDLERS,
        "test.failing",
        ["tests.oms.outbox_handlers.always_fail", "tests.oms.outbox_handlers.record"],
    )
    yield
    h.drop_table()


def test_publish_in_rolled_back_transaction_is_never_handled():
    # given a transaction that publishes and then fails
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        events.publish("test.recorded", {"n": 1})
        raise ZeroDivisionError
    # when the sweep runs everything that is due
    events.sweep(inline=True)
    # then no event row exists and no handler ran
    assert OutboxEvent.objects.count() == 0
    assert h.effects() == 0


def test_committed_event_is_handled_after_commit_and_marked_done():
    with transaction.atomic():
        event = events.publish("test.recorded", {"n": 1})
        assert h.effects() == 0  # nothing runs before commit
    event.refresh_from_db()
    assert event.status == OutboxStatus.DONE
    assert h.effects(event.pk) == 1
    assert HandlerRun.objects.filter(event=event).count() == 1


def test_event_dispatched_twice_concurrently_is_handled_once(monkeypatch):
    # given a committed event whose on-commit hand-off was lost
    monkeypatch.setattr(events, "send", lambda event_id: False)
    with transaction.atomic():
        event = events.publish("test.slow", {"n": 1})
    assert h.effects(event.pk) == 0
    # when two workers receive it at the same moment
    barrier = threading.Barrier(2)
    results = []

    def deliver():
        barrier.wait()
        try:
            results.append(events.dispatch(event.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    # then the effect happened exactly once and the event is done
    assert h.effects(event.pk) == 1
    assert HandlerRun.objects.filter(event=event).count() == 1
    event.refresh_from_db()
    assert event.status == OutboxStatus.DONE
    assert sorted(results) == ["done", "done"]


def test_redelivery_of_a_done_event_changes_nothing():
    with transaction.atomic():
        event = events.publish("test.recorded", {})
    assert events.dispatch(event.pk) == "done"
    events.send(event.pk)
    assert h.effects(event.pk) == 1


def test_failing_handler_ends_dead_after_max_attempts_and_retry_revives_it(settings, monkeypatch):
    settings.OMS_OUTBOX_MAX_ATTEMPTS = 3
    monkeypatch.setattr(events, "send", lambda event_id: False)
    with transaction.atomic():
        event = events.publish("test.failing", {})
    # each delivery attempt fails in the first handler; the second handler succeeds once only
    statuses = [events.dispatch(event.pk) for _ in range(4)]
    assert statuses == ["pending", "pending", "dead", "dead"]
    event.refresh_from_db()
    assert event.attempts == 3
    assert "the downstream system said no" in event.last_error
    assert h.effects(event.pk) == 1  # failed handler's own writes rolled back every time
    # the admin's retry gives it fresh attempts
    assert events.retry_dead([event.pk]) == 1
    event.refresh_from_db()
    assert (event.status, event.attempts) == (OutboxStatus.PENDING, 0)


def test_sweep_dispatches_only_due_events(settings, monkeypatch):
    settings.OMS_OUTBOX_SWEEP_GRACE_SECONDS = 0
    monkeypatch.setattr(events, "send", lambda event_id: False)
    with transaction.atomic():
        first = events.publish("test.recorded", {})
        second = events.publish("test.recorded", {})
    assert events.sweep(inline=True) == 2
    assert h.effects(first.pk) == 1 and h.effects(second.pk) == 1
    assert events.sweep(inline=True) == 0


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(events, "send", lambda ids: calls.append(list(ids)) or True)
    return calls


def test_events_of_one_transaction_go_to_the_broker_in_one_message(sent):
    with transaction.atomic():
        first = events.publish("test.recorded", {"n": 1})
        with transaction.atomic():  # a savepoint that is released keeps its events
            second = events.publish("test.recorded", {"n": 2})
        third = events.publish("test.recorded", {"n": 3})
        assert sent == []  # nothing before commit
    assert sent == [[first.pk, second.pk, third.pk]]


def test_events_of_a_rolled_back_savepoint_are_never_handled():
    with transaction.atomic():
        kept = events.publish("test.recorded", {})
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            dropped = events.publish("test.recorded", {})
            raise ZeroDivisionError
    # the dropped id may travel in the batch, but its row is gone, so nothing handles it
    assert OutboxEvent.objects.filter(pk=dropped.pk).count() == 0
    assert h.effects(kept.pk) == 1 and h.effects(dropped.pk) == 0
    assert events.dispatch(dropped.pk) == "missing"


def test_a_batch_never_leaks_into_the_next_transaction(sent):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        events.publish("test.recorded", {})
        raise ZeroDivisionError
    with transaction.atomic():
        event = events.publish("test.recorded", {})
    assert sent == [[event.pk]]


def test_publishing_outside_a_transaction_sends_at_once(sent):
    event = events.publish("test.recorded", {})
    assert sent == [[event.pk]]


def test_publish_many_writes_the_events_in_one_statement_in_order(sent, django_assert_num_queries):
    with transaction.atomic():
        with django_assert_num_queries(1):
            placed, allocated = events.publish_many([("test.recorded", {"n": 1}), ("test.failing", {"n": 2})])
        later = events.publish("test.recorded", {"n": 3})
    assert [placed.name, allocated.name] == ["test.recorded", "test.failing"] and placed.pk < allocated.pk < later.pk
    stored = {e.pk: (e.name, e.payload) for e in OutboxEvent.objects.all()}
    assert stored[placed.pk] == ("test.recorded", {"n": 1}) and stored[allocated.pk] == ("test.failing", {"n": 2})
    assert sent == [[placed.pk, allocated.pk, later.pk]]  # one broker message for the transaction
    events.dispatch(placed.pk)  # what the worker does with the message
    assert h.effects(placed.pk) == 1


def test_the_published_event_is_the_stored_row(sent):
    with transaction.atomic():
        event = events.publish("test.recorded", {"n": 7})
    stored = OutboxEvent.objects.get(pk=event.pk)
    fields = [f.attname for f in OutboxEvent._meta.concrete_fields]
    assert [getattr(event, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert not event._state.adding  # saving it again updates the row
