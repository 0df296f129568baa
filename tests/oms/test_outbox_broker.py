"""The outbox with a real Redis broker and a real Celery worker subprocess."""

import time
import uuid
from urllib.parse import urlparse

import pytest

from oms import events
from oms.models import HandlerRun, OutboxEvent, OutboxStatus, WorkerHeartbeat
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.services import redis_url
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def _ping_seen(tag: str) -> bool:
    return WorkerHeartbeat.objects.filter(worker=f"ping:{tag}").exists()


@pytest.fixture
def queue():
    return new_queue()


@pytest.fixture
def worker(queue):
    w = Worker(queue, redis_url()).start()
    yield w
    w.stop()


@pytest.mark.worker
def test_real_worker_handles_a_published_event(worker, queue):
    tag = uuid.uuid4().hex
    with use_broker(redis_url(), queue):
        from django.db import transaction

        with transaction.atomic():
            event = events.publish("oms.ping", {"tag": tag})
    assert wait_until(lambda: _ping_seen(tag), timeout=30), "".join(worker.log[-30:])
    event.refresh_from_db()
    assert wait_until(lambda: OutboxEvent.objects.get(pk=event.pk).status == OutboxStatus.DONE, timeout=10)
    assert HandlerRun.objects.filter(event=event).count() == 1


@pytest.fixture
def redis_proxy():
    url = urlparse(redis_url())
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 6379).start()
    yield proxy
    proxy.stop()


@pytest.mark.worker
@pytest.mark.urls("tests.oms.urls")
@pytest.mark.parametrize("fault", ["blackhole", "refuse"])
def test_request_commits_while_redis_is_unreachable_and_sweep_delivers_later(
    fault, redis_proxy, queue, client, django_user_model, settings
):
    settings.OMS_OUTBOX_SWEEP_GRACE_SECONDS = 0
    client.force_login(django_user_model.objects.create_user("cs", password="x-x-x-x-x-x"))
    tag = uuid.uuid4().hex
    broker_via_proxy = redis_proxy.url(path=urlparse(redis_url()).path or "/0")
    with use_broker(broker_via_proxy, queue):
        # given Redis is frozen or refusing connections
        redis_proxy.set_mode(fault)
        # when a request publishes an event
        started = time.monotonic()
        response = client.post("/test/publish/", {"tag": tag})
        elapsed = time.monotonic() - started
        # then the request still commits within a few seconds
        assert response.status_code == 201
        print(f"{fault}: publishing request answered in {elapsed:.2f}s")
        assert elapsed < 8, f"request blocked {elapsed:.1f}s on a dead broker"
        event = OutboxEvent.objects.get(pk=response.json()["event"])
        assert event.status == OutboxStatus.PENDING
        # and once Redis is back, the sweep sends it and a worker handles it exactly once
        redis_proxy.set_mode("forward")
        worker = Worker(queue, redis_url()).start()
        try:
            assert events.sweep() == 1
            assert wait_until(lambda: _ping_seen(tag), timeout=30), "".join(worker.log[-30:])
            assert wait_until(lambda: OutboxEvent.objects.get(pk=event.pk).status == OutboxStatus.DONE, 10)
            events.sweep()  # a second sweep finds nothing more to do
        finally:
            worker.stop()
    assert HandlerRun.objects.filter(event=event).count() == 1
