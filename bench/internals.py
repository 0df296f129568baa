"""Benchmark: what each framework internal on the order-intake path saves (issue 13 "On public
ground"), measured A/B, interleaved, in one process.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/internals.py \
        [--orders 300] [--calls 2000] [--skip service calls]

It works in its own database, ``<name of DATABASE_URL's database>_internals`` (created, migrated and
seeded once: a warehouse, 200 products with plenty of stock, 20 customers with an address), and
queues to a Redis list of its own (deleted at the end).

Part 1 places 10-line orders with ``orders.services.order_place`` (orders' flat-rate delivery
quote, inside an audit context as the API's middleware opens one), switching one piece at a time
between its forms order by order (A, B, A, B...), so a machine loaded by others slows them alike.
Rows: CPU and wall time per order (medians):

- instances: ``oms.sql`` as it is (``Model.from_db``, ``Model(*values)``, relations set through
  their descriptors) against the removed form (``__new__`` plus a hand-made ``ModelState`` and its
  ``fields_cache``, replicated here for the measurement only);
- audit: ``oms.audit``'s wrapper (context set once per transaction) against pghistory's own (set
  before every writing statement);
- broker: ``oms.broker`` as it is (its message, redis-py's client) against the removed RESP socket
  (replicated here) and against Celery's ``apply_async``.

Part 2 times single calls (median of repeats, microseconds): the plain-order check against the
serializer, the socket look against ``SELECT 1``, ``cache_related`` against
``prefetch_related_objects``, one order line built each way, and one outbox message sent each way.

Numbers from another day or machine are not comparable: compare rows of one run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/scratchdb.py
from scratchdb import ensure_database, scratch_database_url  # noqa: E402

QUEUE = "bench-internals"
PRODUCTS, CUSTOMERS, LINES = 200, 20, 10
ADDRESS = {"street": "Oudegracht", "house_number": "12A", "postal_code": "3511 AB", "city": "Utrecht", "country": "NL"}


def setup_django() -> None:
    url = scratch_database_url("_internals")
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings.base"
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    settings.OMS_DELIVERY_QUOTE_BACKEND = "orders.quotes.quote_delivery"
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed() -> list[str]:
    from customers.models import Customer
    from inventory.models import Product
    from tests.factories.customers import AddressFactory, CustomerFactory
    from tests.factories.inventory import ProductFactory, WarehouseFactory, stock

    if Product.objects.filter(sku__startswith="BI").count() < PRODUCTS:
        warehouse = WarehouseFactory(code="BI")
        for n in range(PRODUCTS):
            stock(ProductFactory(sku=f"BI{n:05d}"), warehouse, 1_000_000)
        for _ in range(CUSTOMERS):
            AddressFactory(customer=CustomerFactory(), kind="shipping")
    return list(Customer.objects.filter(addresses__isnull=False).values_list("number", flat=True)[:CUSTOMERS])


# --- the removed forms, replicated for the measurement ---------------------------------------------------


def _before_bare(model, values):
    from django.db.models.base import ModelState

    made = model.__new__(model)
    made._state = ModelState()
    made.__dict__.update(values)
    return made


def before_new_instance(model, values, related=None):
    made = _before_bare(model, values)
    if related:
        made._state.fields_cache.update(related)
    return made


def before_saved_instance(model, values):
    from django.db import DEFAULT_DB_ALIAS

    loaded = _before_bare(model, values)
    loaded._state.adding, loaded._state.db = False, DEFAULT_DB_ALIAS
    return loaded


def before_instance(model, row):
    from django.db import connection

    from oms import sql

    _, names, converters = sql._shape(model)
    if converters:
        row = list(row)
        for index, field in converters:
            row[index] = field.from_db_value(row[index], None, connection)
    return before_saved_instance(model, dict(zip(names, row, strict=True)))


class RespSocket:
    """The removed hand-written LPUSH over a socket of its own (no AUTH/SELECT: database 0)."""

    def __init__(self, url: str) -> None:
        import socket
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=2)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        database = (parts.path.strip("/") or "0").encode()
        self.call(b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n" % (len(database), database))

    def call(self, command: bytes) -> None:
        self.sock.sendall(command)
        answer = b""
        while not answer.endswith(b"\r\n"):
            answer += self.sock.recv(256)
        if answer.startswith(b"-"):
            raise RuntimeError(answer)

    def lpush(self, key: bytes, value: bytes) -> None:
        self.call(b"*3\r\n$5\r\nLPUSH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))


def senders() -> dict:
    from oms import broker
    from oms.celery import app
    from oms.tasks import outbox_dispatch

    conf = app.conf
    limits = (conf.task_time_limit, conf.task_soft_time_limit)
    resp = RespSocket(conf.broker_url)

    def own_socket(event_ids):
        payload = broker.message(outbox_dispatch.name, [event_ids], QUEUE, limits, app.thread_oid)
        resp.lpush(QUEUE.encode(), payload)

    def apply_async(event_ids):
        outbox_dispatch.apply_async(args=[event_ids], retry=True)

    kept = app.producer_pool.acquire(block=True)  # one producer and its connection for the process

    def apply_async_kept(event_ids):
        outbox_dispatch.apply_async(args=[event_ids], retry=True, producer=kept)

    return {
        "redis-py (now)": broker.send_outbox_batch,
        "RESP socket (before)": own_socket,
        "apply_async": apply_async,
        "apply_async, kept producer": apply_async_kept,
    }


# --- swapping one piece --------------------------------------------------------------------------------


@contextmanager
def swapped(pairs: list[tuple[object, object]]):
    """Replace each function by its stand-in wherever a module imported it by name."""
    done = []
    for func, stand_in in pairs:
        for module in list(sys.modules.values()):
            if getattr(module, func.__name__, None) is func:
                setattr(module, func.__name__, stand_in)
                done.append((module, func))
    try:
        yield
    finally:
        for module, func in done:
            setattr(module, func.__name__, func)


def variants() -> dict[str, dict[str, callable]]:
    from pghistory import runtime as pghistory_runtime

    from oms import audit, broker, sql

    def instances(before: bool):
        pairs = [
            (sql.new_instance, before_new_instance),
            (sql.saved_instance, before_saved_instance),
            (sql.instance, before_instance),
        ]
        return swapped(pairs if before else [])

    @contextmanager
    def wrapper(ours: bool):
        pghistory_runtime._inject_history_context = audit.inject_context_once if ours else audit._inject_every_statement
        try:
            yield
        finally:
            audit.install()

    sends = senders()
    return {
        "instances": {
            "Model.from_db / Model(*values) (now)": lambda: instances(False),
            "ModelState + fields_cache (before)": lambda: instances(True),
        },
        "audit": {
            "oms.audit once per transaction (kept)": lambda: wrapper(True),
            "pghistory's wrapper, every write": lambda: wrapper(False),
        },
        "broker": {
            label: (lambda send=send: swapped([(broker.send_outbox_batch, send)]))
            for label, send in sends.items()
            if label != "apply_async, kept producer"
        },
    }


def place(rng: random.Random, numbers: list[str]) -> None:
    from oms import audit
    from orders.services import order_place

    lines = [{"sku": f"BI{n:05d}", "quantity": rng.randint(1, 3)} for n in rng.sample(range(PRODUCTS), LINES)]
    with audit.context(url="/api/v1/orders/"):
        order_place(
            channel="web",
            customer_ref={"number": rng.choice(numbers)},
            lines=lines,
            shipping_address=ADDRESS,
            payment_method="ideal",
            user=None,
        )


def service_ab(orders: int, numbers: list[str]) -> None:
    rng = random.Random(13)
    for piece, forms in variants().items():
        results = {label: [] for label in forms}
        for enter in forms.values():
            with enter():
                place(rng, numbers)  # warm-up: prepared statements, caches
        for n in range(orders):
            turn = list(forms.items())
            turn = turn[n % len(turn) :] + turn[: n % len(turn)]  # each form first as often as the others
            for label, enter in turn:
                with enter():
                    cpu, wall = time.process_time(), time.perf_counter()
                    place(rng, numbers)
                    results[label].append(((time.process_time() - cpu) * 1e3, (time.perf_counter() - wall) * 1e3))
        print(f"\n{piece}: per 10-line order placed (order_place); forms alternate order by order; medians of {orders}")
        for label, samples in results.items():
            cpu = statistics.median(s[0] for s in samples)
            wall = statistics.median(s[1] for s in samples)
            print(f"  {label:42s} CPU {cpu:6.3f} ms   wall {wall:6.3f} ms")


# --- part 2: single calls ------------------------------------------------------------------------------


def per_call(fn, calls: int, repeats: int = 7) -> tuple[float, float]:
    """Median CPU and wall microseconds per call."""
    samples = []
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append(((time.process_time() - cpu) / calls * 1e6, (time.perf_counter() - wall) / calls * 1e6))
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def row_of(obj) -> tuple:
    """``obj``'s row as ``oms.sql.instance`` reads it (its columns, before their converters)."""
    from django.db import connection

    from oms.sql import model_columns

    model = type(obj)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {model_columns(model)} FROM {model._meta.db_table} WHERE id = %s", [obj.pk])
        return cursor.fetchone()


def calls_ab(calls: int, numbers: list[str]) -> None:
    from decimal import Decimal

    from django.db import connection
    from django.db.models import prefetch_related_objects

    from customers.models import Customer
    from oms import sql
    from orders.api import OrderInSerializer, plain_order
    from orders.models import Order, OrderLine

    body = {
        "channel": "web",
        "customer": {"number": numbers[0]},
        "shipping_address": ADDRESS,
        "lines": [{"sku": f"BI{n:05d}", "quantity": 2} for n in range(LINES)],
        "payment_method": "ideal",
    }

    def serializer():
        data = OrderInSerializer(data=body)
        data.is_valid(raise_exception=True)

    order = Order(pk=1)
    values = {field.attname: None for field in OrderLine._meta.concrete_fields}
    values.update(order_id=1, line_no=1, quantity=1, unit_price=Decimal("1.00"), is_cancelled=False)
    customer = Customer.objects.filter(number=numbers[0]).first()
    addresses = list(customer.addresses.all())

    def cache_related():
        fresh = Customer.from_db(
            "default", sql._shape(Customer)[1], [getattr(customer, n) for n in sql._shape(Customer)[1]]
        )
        sql.cache_related(fresh, "addresses", addresses)

    def prefetch():
        fresh = Customer.from_db(
            "default", sql._shape(Customer)[1], [getattr(customer, n) for n in sql._shape(Customer)[1]]
        )
        prefetch_related_objects([fresh], "addresses")

    from oms.models import OutboxEvent
    from oms.pgbackend.base import _nothing_to_read
    from orders.models import Allocation

    def one_orders_instances(new, saved, read):
        """What a 10-line order placed builds: the customer, an address and ten products read,
        ten lines, ten allocations, two outbox events."""

        def build():
            for model, row in reads:
                read(model, row)
            for _ in range(LINES):
                line = new(OrderLine, values, {"order": order, "product": product})
                new(Allocation, allocation, {"order_line": line})
            for _ in range(2):
                saved(OutboxEvent, event)

        return build

    from django.utils import timezone

    from inventory.models import Product

    product = Product.objects.filter(sku__startswith="BI").first()
    reads = [(Customer, row_of(customer)), (type(addresses[0]), row_of(addresses[0]))]
    reads += [(Product, row_of(product))] * LINES
    allocation = {field.attname: None for field in Allocation._meta.concrete_fields} | {"quantity": 1}
    event = {field.attname: None for field in OutboxEvent._meta.concrete_fields} | {
        "id": 1,
        "name": "order.placed",
        "payload": {"order_id": 1},
        "created_at": timezone.now(),
    }

    connection.ensure_connection()
    sends = senders()
    rows = [
        ("order body, 10 lines", "plain_order (kept)", lambda: plain_order(body), "OrderInSerializer", serializer),
        (
            "health check per request",
            "socket look (kept)",
            lambda: _nothing_to_read(connection.connection),
            "SELECT 1 (Django's)",
            connection.is_usable,
        ),
        (
            "a reverse relation's rows",
            "cache_related (kept)",
            cache_related,
            "prefetch_related_objects",
            prefetch,
        ),
        (
            "a 10-line order's instances",
            "from_db, Model(*values) (now)",
            one_orders_instances(sql.new_instance, sql.saved_instance, sql.instance),
            "ModelState+fields_cache (before)",
            one_orders_instances(before_new_instance, before_saved_instance, before_instance),
        ),
        (
            "one order line",
            "Model(*values)+descriptor (now)",
            lambda: sql.new_instance(OrderLine, values, {"order": order, "product": product}),
            "ModelState+fields_cache (before)",
            lambda: before_new_instance(OrderLine, values, {"order": order, "product": product}),
        ),
        (
            "one outbox message",
            "redis-py (now)",
            lambda: sends["redis-py (now)"]([1, 2]),
            "apply_async",
            lambda: sends["apply_async"]([1, 2]),
        ),
        (
            "one outbox message",
            "redis-py (now)",
            lambda: sends["redis-py (now)"]([1, 2]),
            "RESP socket (before)",
            lambda: sends["RESP socket (before)"]([1, 2]),
        ),
        (
            "one outbox message",
            "redis-py (now)",
            lambda: sends["redis-py (now)"]([1, 2]),
            "apply_async, kept producer",
            lambda: sends["apply_async, kept producer"]([1, 2]),
        ),
    ]
    print("\nsingle calls: medians, microseconds per call, CPU / wall (A and B interleaved, 3 x 7 repeats)")
    for what, label_a, a, label_b, b in rows:
        n = calls if "message" not in what and "health" not in what and "relation" not in what else max(calls // 10, 50)
        first, second = [], []
        for _ in range(3):
            first.append(per_call(a, n))
            second.append(per_call(b, n))
        a_cpu, a_wall = (statistics.median(x[i] for x in first) for i in (0, 1))
        b_cpu, b_wall = (statistics.median(x[i] for x in second) for i in (0, 1))
        print(f"  {what:26s} {label_a:32s} {a_cpu:7.1f} / {a_wall:7.1f}   {label_b:32s} {b_cpu:7.1f} / {b_wall:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300, help="orders per form")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--skip", nargs="*", default=[], choices=["service", "calls"])
    args = parser.parse_args()
    setup_django()
    numbers = seed()
    import redis
    from django.conf import settings

    try:
        if "service" not in args.skip:
            service_ab(args.orders, numbers)
        if "calls" not in args.skip:
            calls_ab(args.calls, numbers)
    finally:
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE)


if __name__ == "__main__":
    main()
