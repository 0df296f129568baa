"""The hand-off after commit (oms.broker.HandOff): with Redis as the broker, the events a
transaction committed reach the queue a moment after the commit, pushed by the process's hand-off
thread, not by the request; the commits of that moment share one message; every id arrives once
when many threads commit at the same time; a broker that is down leaves the events pending for
the sweep; and a process that exits normally pushes what it still holds."""

import base64
import json
import threading

import pytest
import redis
from django.db import transaction
from django.test import override_settings

from oms import broker, events
from oms.models import OutboxEvent, OutboxStatus
from tests.support.celery_worker import new_queue, use_broker
from tests.support.processes import printed_by_new_process
from tests.support.services import redis_url

pytestmark = pytest.mark.redis


@pytest.fixture
def queue():
    name = new_queue()
    yield name
    redis.Redis.from_url(redis_url()).delete(name)


def _batches(queue: str) -> list[list[int]]:
    """The ids of each message in ``queue``, oldest first."""
    raw = redis.Redis.from_url(redis_url()).lrange(queue, 0, -1)
    return [json.loads(base64.b64decode(json.loads(m)["body"]))[0][0] for m in reversed(raw)]


@pytest.mark.django_db(transaction=True)
def test_the_commits_of_one_moment_reach_the_queue_after_it_in_one_message(queue):
    with override_settings(OMS_OUTBOX_HANDOFF_LINGER=0.5), use_broker(redis_url(), queue):
        with transaction.atomic():
            first = events.publish("test.recorded", {"n": 1})
        with transaction.atomic():
            second, third = events.publish_many([("test.recorded", {"n": 2}), ("test.recorded", {"n": 3})])
        # committed and answered: nothing was pushed on the way, the thread waits for more
        assert _batches(queue) == []
        assert broker.flush_hand_offs()
        assert _batches(queue) == [[first.pk, second.pk, third.pk]]


def test_every_id_arrives_once_when_many_threads_commit_at_once(queue):
    def commit(start: int) -> None:
        for event_id in range(start, start + 50):
            assert broker.queue_outbox_batch([event_id])

    with override_settings(OMS_OUTBOX_HANDOFF_LINGER=0.005), use_broker(redis_url(), queue):
        threads = [threading.Thread(target=commit, args=(start,)) for start in (1000, 2000, 3000, 4000)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert broker.flush_hand_offs()
    sent = [event_id for batch in _batches(queue) for event_id in batch]
    assert sorted(sent) == [n for start in (1000, 2000, 3000, 4000) for n in range(start, start + 50)]
    assert len(_batches(queue)) < 200  # several commits shared a message


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_leaves_the_events_pending_for_the_sweep(queue, caplog):
    with override_settings(OMS_OUTBOX_HANDOFF_LINGER=0), use_broker("redis://127.0.0.1:1/0", queue):
        with transaction.atomic():
            event = events.publish("test.recorded", {})
        assert broker.flush_hand_offs()
    assert "could not hand events" in caplog.text
    assert OutboxEvent.objects.get(pk=event.pk).status == OutboxStatus.PENDING
    with override_settings(OMS_OUTBOX_SWEEP_GRACE_SECONDS=0):
        assert event.pk in events.due_event_ids(100)


def test_a_process_that_exits_pushes_what_it_still_holds(queue):
    printed_by_new_process(
        "import django; django.setup()\n"
        "from django.conf import settings; settings.OMS_OUTBOX_HANDOFF_LINGER = 30\n"
        "from oms.celery import app\n"
        f"app.conf.update(broker_url={redis_url()!r}, task_always_eager=False, task_default_queue={queue!r})\n"
        "from oms import broker\n"
        "assert broker.queue_outbox_batch([41, 42])\n"
    )
    assert _batches(queue) == [[41, 42]]
