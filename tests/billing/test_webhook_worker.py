"""Issue 14 §3: the payment webhook answers at once while a real Celery worker (on Redis) fetches
the payment from a slow provider (a fake one on 127.0.0.1), once per payment id."""

import time

import pytest
from django.test import Client

from billing.models import Payment, PaymentFetch
from tests.factories.payments import place
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.services import redis_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.worker]

URL = "/webhooks/payments/mollie/"


def test_payment_webhook_answers_at_once_and_a_worker_fetches_each_payment_once(
    shop, fake_psp, no_delivery, monkeypatch
):
    # given a worker that asks the provider (which will take 1.5 s to answer)
    monkeypatch.setenv("OMS_MOLLIE_API_URL", fake_psp.url)
    monkeypatch.setenv("OMS_MOLLIE_API_KEY", "test_key")
    order = place(shop.consumer, ("MUG-RED", 1))
    fake_psp.add("tr_Worker1", order_number=order.number, amount=f"{order.gross_amount:.2f}")
    queue = new_queue()
    worker = Worker(queue, redis_url()).start()
    try:
        with use_broker(redis_url(), queue):
            client = Client()
            # the process's first request loads the URLs and middleware and connects to Redis
            client.post(URL, {"id": "tr_WarmUp"}, REMOTE_ADDR="198.51.100.20")
            fake_psp.delay = 1.5
            # when the provider calls ten times for one payment, and a forger five times
            ids = ["tr_Worker1"] * 10 + [f"tr_Forged{i}" for i in range(5)]
            timings = []
            for payment_id in ids:
                started = time.monotonic()
                response = client.post(URL, {"id": payment_id}, REMOTE_ADDR="198.51.100.20")
                timings.append(time.monotonic() - started)
                assert response.status_code == 202
            # then every call was answered without waiting for the provider
            assert max(timings) < 1.0, timings
            # and the worker records the payment once, having asked the provider about it once or
            # twice (a hint arriving while it fetches asks once more), and then forgets the hints
            assert wait_until(lambda: Payment.objects.filter(reference="tr_Worker1").exists(), timeout=60), "".join(
                worker.log[-40:]
            )
            assert wait_until(lambda: not PaymentFetch.objects.exists(), timeout=60), "".join(worker.log[-40:])
    finally:
        worker.stop()
    asked = [path for path, _ in fake_psp.calls if path.endswith("/tr_Worker1")]
    assert 1 <= len(asked) <= 2
    assert Payment.objects.filter(reference="tr_Worker1").count() == 1
    assert len([path for path, _ in fake_psp.calls if "tr_Forged" in path]) == 5
    assert len([path for path, _ in fake_psp.calls if "tr_WarmUp" in path]) == 1


@pytest.mark.slow
def test_a_worker_killed_mid_task_is_recovered_after_the_visibility_timeout(shop, fake_psp, no_delivery, monkeypatch):
    """The broker redelivers a killed worker's task once its visibility timeout has passed, and
    looks for such messages every 10 s; the fetch's claim lets the new worker take it over. Here
    with a 25 s timeout and a 12 s time limit (production: 300 s and 180 s, docs/ARCHITECTURE.md)."""
    # given a worker fetching from a slow provider
    fake_psp.delay = 6
    for name, value in {
        "OMS_MOLLIE_API_URL": fake_psp.url,
        "OMS_MOLLIE_API_KEY": "test_key",
        "OMS_BROKER_VISIBILITY_TIMEOUT": "25",
        "CELERY_TASK_TIME_LIMIT": "12",
        "CELERY_TASK_SOFT_TIME_LIMIT": "10",
    }.items():
        monkeypatch.setenv(name, value)
    order = place(shop.consumer, ("MUG-RED", 1))
    fake_psp.add("tr_Killed", order_number=order.number, amount=f"{order.gross_amount:.2f}")
    queue = new_queue()
    first = Worker(queue, redis_url()).start()
    second = None
    try:
        with use_broker(redis_url(), queue):
            assert Client().post(URL, {"id": "tr_Killed"}).status_code == 202
            assert wait_until(lambda: fake_psp.calls, timeout=30), "".join(first.log[-40:])
            # when the worker is killed (SIGKILL) in the middle of the fetch
            first.proc.kill()
            first.proc.wait(10)
            killed_at = time.monotonic()
            fake_psp.delay = 0
            second = Worker(queue, redis_url()).start()
            # then the new worker runs the task once its visibility timeout has passed
            recorded = wait_until(lambda: Payment.objects.filter(reference="tr_Killed").exists(), timeout=90)
            elapsed = time.monotonic() - killed_at
    finally:
        first.stop()
        if second:
            second.stop()
    assert recorded, "".join(second.log[-40:])
    assert 10 < elapsed < 25 + 10 + 20, elapsed
    assert not PaymentFetch.objects.exists()
