"""Outbound webhooks: what enabled endpoints add to order intake, and deliveries per second per
worker.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/N .venv/bin/python bench/webhooks.py \
        [--orders 200] [--threads 4] [--endpoints 3] [--rounds 2]

Works in a scratch database (``<your database>_bench_webhooks``, dropped and made again). A real
Celery worker (one process, ``--pool=solo``) consumes the outbox on its own Redis queue and
delivers to a receiver on 127.0.0.1 that verifies every signature (tests/support/fake_receiver.py).
Intake is ``order_place`` (the service ``POST /api/v1/orders/`` calls, with its after-commit
hand-off of the events to Redis), timed on ``--threads`` threads, in interleaved rounds without
endpoints and with ``--endpoints`` enabled endpoints, the worker running throughout; the
difference is the cost webhooks add to intake (goal: under 5 %). The request itself does no
webhook work (the fan-out is the worker's); the bench also counts the statements one order
sends to the webhook tables (expected: none). Deliveries per second: the attempts of a round with
endpoints over the time from its first to its last attempt, on the one worker process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMS_DELIVERY_QUOTE_BACKEND", "orders.quotes.quote_delivery")
os.environ["OMS_WEBHOOKS_ALLOW_LOOPBACK"] = "true"

from bench.invoices import _admin  # noqa: E402

ADDRESS = {"street": "Kerkstraat", "house_number": "1", "postal_code": "1017 GC", "city": "Amsterdam", "country": "NL"}


def setup(url: str) -> str:
    from urllib.parse import urlparse, urlunparse

    parsed = urlparse(url)
    name = parsed.path.lstrip("/") + "_bench_webhooks"
    _admin(url, f'DROP DATABASE IF EXISTS "{name}"')
    _admin(url, f'CREATE DATABASE "{name}"')
    os.environ.update(
        DATABASE_URL=urlunparse(parsed._replace(path=f"/{name}")),
        DJANGO_SETTINGS_MODULE="oms.settings.base",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        MEDIA_ROOT=tempfile.mkdtemp(prefix="oms-bench-webhooks-"),
        CONN_MAX_AGE="0",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from oms.reference import ensure_reference_data

    ensure_reference_data()
    return name


def catalogue(units: int) -> list:
    from customers.services import customer_create
    from inventory.services import product_upsert, stock_receive, warehouse_upsert

    warehouse, _ = warehouse_upsert(code="AMS", name="Amsterdam", postal_code="1012 AB", city="Amsterdam", priority=1)
    product, _ = product_upsert(sku="MUG-RED", name="Mug", list_price="8.26", vat_category="high")
    stock_receive(product_id=product.pk, warehouse_id=warehouse.pk, quantity=units, reference="bench")
    return [customer_create(kind="b2c", name=f"Klant {i}", email=f"klant{i}@example.nl", user=None) for i in range(8)]


def place(customer) -> None:
    from orders.services import order_place

    order_place(
        channel="web",
        customer=customer,
        lines=[{"sku": "MUG-RED", "quantity": 1}],
        shipping_address=ADDRESS,
        user=None,
    )


def intake_seconds(count: int, threads: int, customers) -> float:
    """Wall time to place ``count`` orders on ``threads`` threads."""
    from django.db import connection

    per_thread = count // threads
    barrier = threading.Barrier(threads + 1)

    def work(offset: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                place(customers[(offset + i) % len(customers)])
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def webhook_statements_per_order(customers) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        place(customers[0])
    return sum("webhook" in q["sql"] for q in queries.captured_queries)


def wait_settled(timeout: float = 600) -> None:
    from oms.models import OutboxEvent, WebhookDelivery

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            not OutboxEvent.objects.filter(status="pending").exists()
            and not WebhookDelivery.objects.filter(status="pending").exists()
        ):
            return
        time.sleep(0.5)
    raise SystemExit("the worker did not catch up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200, help="orders per round")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--endpoints", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each mode, interleaved")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    base_url = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL")
    # every task this process and the worker queue goes to the bench's own queue (set before
    # Django reads the settings)
    from tests.support.celery_worker import new_queue

    queue = new_queue()
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    name = setup(base_url)

    from django.db.models import Max, Min

    from oms import webhooks
    from oms.models import WebhookAttempt, WebhookEndpoint
    from tests.support.celery_worker import Worker, use_broker
    from tests.support.fake_receiver import FakeReceiver
    from tests.support.services import redis_url

    server = FakeReceiver().start()
    worker = Worker(queue, redis_url())
    timings: dict[str, list[float]] = {"without": [], "with": []}
    rates: list[float] = []
    try:
        customers = catalogue(units=args.orders * args.rounds * 2 + 100)
        worker.start()
        endpoints = [
            webhooks.endpoint_create(url=f"{server.url}/{i}", enabled=False)[0].pk for i in range(args.endpoints)
        ]
        # one receiver verifies them all, with one secret: the endpoints share it in the bench
        server.secret = webhooks.new_secret()
        WebhookEndpoint.objects.filter(pk__in=endpoints).update(secret=server.secret)
        with use_broker(redis_url(), queue):
            place(customers[0])  # warm up (connections, caches)
            wait_settled()
            for _ in range(args.rounds):
                for mode in ("without", "with"):
                    WebhookEndpoint.objects.filter(pk__in=endpoints).update(enabled=mode == "with")
                    first_attempt = WebhookAttempt.objects.aggregate(n=Max("id"))["n"] or 0
                    seconds = intake_seconds(args.orders, args.threads, customers)
                    timings[mode].append(seconds / (args.orders // args.threads * args.threads) * 1000)
                    wait_settled()
                    if mode == "with":
                        span = WebhookAttempt.objects.filter(id__gt=first_attempt).aggregate(
                            a=Min("attempted_at"), b=Max("attempted_at")
                        )
                        count = WebhookAttempt.objects.filter(id__gt=first_attempt).count()
                        rates.append(count / max((span["b"] - span["a"]).total_seconds(), 1e-6))
            WebhookEndpoint.objects.filter(pk__in=endpoints).update(enabled=True)
            statements = webhook_statements_per_order(customers)
            wait_settled()
    finally:
        worker.stop()
        server.stop()
        if not args.keep:
            from django.db import connections

            connections.close_all()
            _admin(base_url, f'DROP DATABASE IF EXISTS "{name}"')

    without, with_ = statistics.median(timings["without"]), statistics.median(timings["with"])
    print(f"orders per round: {args.orders} on {args.threads} threads, {args.rounds} rounds per mode (median)")
    print(f"intake without endpoints: {without:.2f} ms per order  (rounds: {_fmt(timings['without'])})")
    print(f"intake with {args.endpoints} endpoints:    {with_:.2f} ms per order  (rounds: {_fmt(timings['with'])})")
    print(f"added cost on the intake path: {(with_ - without) / without * 100:+.1f} % (goal: under 5 %)")
    print(f"statements on webhook tables per order placed: {statements}")
    print(f"deliveries per second, one worker process (solo pool): {statistics.median(rates):.0f}")
    print(f"receiver: {len(server.accepted)} verified, {len(server.bad)} refused signatures")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
