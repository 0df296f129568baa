"""The done-when test of outbound webhooks: 200 orders placed at once on threads (PostgreSQL),
the outbox handed to a real Celery worker on Redis, and a receiver on 127.0.0.1 that verifies
each signature with ``standardwebhooks`` and fails the first two attempts of every delivery
(a 500, then the connection reset or, for some, no answer in time). After dedup by
``webhook-id`` it has every event exactly once, each order's events in sequence order."""

from __future__ import annotations

import os
from collections import defaultdict

import pytest

from oms import webhooks
from oms.feed import INTERNAL_EVENTS
from oms.models import OutboxEvent, OutboxStatus, WebhookAttempt, WebhookDelivery
from tests.concurrency.test_stock_races import run_concurrently
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.fake_receiver import FakeReceiver
from tests.support.services import redis_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.worker, pytest.mark.slow]
ORDERS = int(os.environ.get("OMS_TEST_WEBHOOK_ORDERS", "200"))


def _plan(webhook_id: str) -> tuple[str, str]:
    # every delivery: a 500 first; then mostly a reset connection, every 17th no answer in time
    return ("500", "timeout" if int(webhook_id) % 17 == 0 else "reset")


def _external_events():
    """The events for integrations written since the endpoint was added (after the stock set-up)."""
    return OutboxEvent.objects.exclude(name__in=INTERNAL_EVENTS).filter(pk__gt=_since[0])


_since = [0]


def _settled() -> bool:
    events_pending = OutboxEvent.objects.filter(status=OutboxStatus.PENDING).exists()
    deliveries_pending = WebhookDelivery.objects.exclude(status="succeeded").exists()
    return (
        not events_pending
        and not deliveries_pending
        and WebhookDelivery.objects.count() == _external_events().count() >= 2 * ORDERS
    )


def _progress(worker) -> str:
    from django.db.models import Count

    events = dict(OutboxEvent.objects.values_list("status").annotate(n=Count("id")))
    deliveries = dict(WebhookDelivery.objects.values_list("status").annotate(n=Count("id")))
    if os.environ.get("OMS_TEST_WEBHOOK_LOG"):
        with open(os.environ["OMS_TEST_WEBHOOK_LOG"], "w") as handle:
            handle.write("".join(worker.log))
            for row in WebhookDelivery.objects.exclude(status="succeeded").values():
                handle.write(f"{row}\n")
    return f"events {events}, deliveries {deliveries}, attempts {WebhookAttempt.objects.count()}\n" + "".join(
        worker.log[-30:]
    )


@pytest.mark.timeout(600)
def test_every_event_of_200_concurrent_orders_arrives_once_signed_and_in_sequence(settings, monkeypatch):
    from orders.quotes import clear_warehouse_cache
    from tests.factories.customers import AddressFactory, CustomerFactory
    from tests.factories.inventory import ProductFactory, WarehouseFactory, stock
    from tests.factories.orders import place

    # given a receiver that fails each delivery's first two attempts, and an endpoint for every type
    settings.OMS_WEBHOOKS_ALLOW_LOOPBACK = True
    settings.OMS_DELIVERY_QUOTE_BACKEND = "orders.quotes.quote_delivery"
    server = FakeReceiver(fail_first=_plan, slow_seconds=1.5).start()
    # and a worker whose retries come quickly (the schedule and time-out are settings)
    monkeypatch.setenv("OMS_WEBHOOKS_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("OMS_WEBHOOK_RETRY_SCHEDULE", "0.2,0.5,1,2,5")
    monkeypatch.setenv("OMS_WEBHOOK_TIMEOUT_SECONDS", "0.5")
    clear_warehouse_cache()
    product = ProductFactory(sku="HOOK-1")
    stock(product, WarehouseFactory(code="AMS"), 1000)
    customers = [CustomerFactory() for _ in range(8)]
    for customer in customers:
        AddressFactory(customer=customer)
    _since[0] = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    endpoint, server.secret = webhooks.endpoint_create(url=server.url)
    queue = new_queue()
    monkeypatch.setenv("CELERY_TASK_DEFAULT_QUEUE", queue)  # the deliveries the worker queues come back to it
    worker = Worker(queue, redis_url(), threads=8).start()
    try:
        with use_broker(redis_url(), queue):
            # when 200 orders are placed at once
            results = run_concurrently(lambda n: place(customers[n % 8], ("HOOK-1", 1)), range(ORDERS), workers=20)
            assert not [r for r in results if isinstance(r, Exception)], results
            # then the worker delivers every event (through the retries)
            assert wait_until(_settled, timeout=float(os.environ.get("OMS_TEST_WEBHOOK_WAIT", "280")), interval=0.5), (
                _progress(worker)
            )
    finally:
        worker.stop()
        server.stop()

    stored = {e.pk: e for e in _external_events()}
    received = server.unique()
    # each event arrived, verified, exactly once after dedup by webhook-id
    assert not server.bad
    assert set(received) == {str(pk) for pk in stored}
    assert len(server.accepted) == len(received)  # no event was accepted twice: retries came only after failures
    for webhook_id, body in received.items():
        event = stored[int(webhook_id)]
        assert body["api_version"] == "1.1" and body["type"] == event.name and body["data"] == event.payload
    # every delivery was tried three times (500, reset or time-out, success) and logged so
    assert set(server.tries.values()) == {3}
    assert WebhookAttempt.objects.count() == 3 * len(stored)
    assert WebhookAttempt.objects.filter(succeeded=True).count() == len(stored)
    assert WebhookAttempt.objects.filter(error__startswith="No answer within").exists()
    # per order: the sequence numbers rise in the order the events happened
    by_order: dict[int, list[dict]] = defaultdict(list)
    for body in received.values():
        if "order_id" in body["data"]:
            by_order[body["data"]["order_id"]].append(body)
    assert len(by_order) == ORDERS
    for order_events in by_order.values():
        ordered = sorted(order_events, key=lambda b: b["sequence"])
        assert len({b["sequence"] for b in ordered}) == len(ordered)
        assert ordered[0]["type"] == "order.placed"
        happened = sorted(order_events, key=lambda b: int(b["id"]))
        assert [b["type"] for b in ordered] == [b["type"] for b in happened]
    assert sum(b["type"] == "order.placed" for b in received.values()) == ORDERS
