"""Benchmark: the order screens with a real worker. Server time per step of a phone order with
100k products, adding a line by draft length, the order list and order page at 1M orders, and
the first pick-list PDF of a worker, cold and warmed up, and the pick screen's link serving the
PDF the worker stored.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/order_screens.py [--requests 40] [--database NAME] [--orders N]
        [--only entry|sweep|list|pdf|seed] [--inline]

It works in its own database (``--database``, else ``<name of DATABASE_URL's database>_orders_bench``;
created, migrated and seeded with bulk SQL once, then reused; ``--reseed`` starts over), so no
demo or test data is touched: 100,000 products in three warehouses with stock and expected
receipts, 100,000 customers with an address each, ``--orders`` (1,000,000) orders over three
years (web, phone, B2B and store; nearly all completed, a few thousand open, some late), and
three lines plus a timeline row for each of the newest 20,000 orders. The carriers are the
shipping demo's, so the phone steps ask shipping's real delivery-quote backend. With fewer
than 1M orders the output says so in capitals.

As in production, a Celery worker (prefork, two processes) runs on Redis beside it and gets the
tasks the steps queue (``--inline`` runs them in the request instead), and the settings keep
database connections open. Each request goes through the whole Django stack in this process
(middleware, session, role check, view, template) with Django's test client, so network time
is left out; it prints p50/p95/max per scenario, the median CPU time of this process per
request (which a loaded machine distorts far less than the clock) and the queries of one
request. Targets (issue 19): every step's p95 under 150 ms; adding a line constant in the
number of lines; the first PDF of a worker under a second.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # bench/scratchdb.py, stock_screen's catalogue seeding
from scratchdb import ensure_database, scratch_database_url  # noqa: E402

PRODUCTS = 100_000
CUSTOMERS = 100_000
ORDERS = 1_000_000
WITH_LINES = 20_000
HTMX = {"HTTP_HX_REQUEST": "true"}
FIRST = "Daan Sem Lucas Levi Finn Emma Julia Mila Tess Sophie Anna Eva Bram Noor Isa Lisa Femke Jan Henk Petra".split()
LAST = (
    "de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Visser|Smit|Meijer|de Boer|Mulder|de Groot|Bos|Vos|"
    "Peters|Hendriks|Dekker|Brouwer|Dijkstra|Kok|Jacobs|de Haan|Vermeulen|Prins|Blom|Huisman|Kramer|Postma|Vink"
).split("|")
CITIES = "Amsterdam Rotterdam Utrecht Eindhoven Groningen Tilburg Almere Breda Nijmegen Haarlem".split()


def bench_database_url() -> str:
    return scratch_database_url("_orders_bench")


def setup_django(url: str, queue: str | None) -> None:
    """``queue``: tasks go to a real worker on Redis listening there (as in production); None:
    every task runs inline in the request (``--inline``, the quick start before issue 19)."""
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.base")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("CONN_MAX_AGE", None)  # the settings' default: persistent connections, as in production
    if queue:
        if not os.environ.get("REDIS_URL"):
            sys.exit("set REDIS_URL: the bench runs a real Celery worker on Redis (or pass --inline)")
        os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
        os.environ.pop("OMS_TASKS_INLINE", None)
    else:
        os.environ.pop("REDIS_URL", None)  # events are dispatched inline: nothing leaves the process
        os.environ["OMS_TASKS_INLINE"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class BenchWorker:
    """A Celery worker as production runs it (prefork, two processes: ``make run``, compose) on
    its own queue, against the bench database, with bench/pdf_probe.py loaded."""

    def __init__(self, url: str, queue: str, *, warm_up: bool = True) -> None:
        self.url, self.queue, self.warm_up = url, queue, warm_up
        self.log: list[str] = []
        self.proc = None

    def start(self, timeout: float = 180) -> BenchWorker:
        import subprocess
        import threading

        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "oms.settings.base",
            "DEBUG": "false",
            "LOG_LEVEL": "INFO",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "OMS_PDF_WARM_UP": "true" if self.warm_up else "false",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")]),
        }
        env.pop("OMS_TASKS_INLINE", None)
        cmd = [sys.executable, "-m", "celery", "-A", "oms", "worker", "--concurrency=2", "-Q", self.queue,
               "-n", f"{self.queue}@bench", "-I", "pdf_probe", "--loglevel=INFO", "--without-gossip",
               "--without-mingle", "--without-heartbeat"]  # fmt: skip
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        ready = threading.Event()

        def read() -> None:
            for line in self.proc.stdout:
                self.log.append(line)
                if " ready." in line:
                    self.ready_after = time.perf_counter() - self.started
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(timeout):
            self.stop()
            sys.exit("the Celery worker did not start:\n" + "".join(self.log[-30:]))
        return self

    def warmed_up_in(self) -> str:
        found = [line.split("warmed up in", 1)[1].strip() for line in self.log if "PDF engine warmed up in" in line]
        return found[0] if found else "no warm-up"

    def stop(self) -> None:
        import subprocess

        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# --- seeding --------------------------------------------------------------------------------------


def seed(reseed: bool, orders: int = ORDERS) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from orders.models import Order

    if reseed:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE orders_order, customers_customer, inventory_product, inventory_warehouse, "
                "inventory_productevent, inventory_warehouseevent, customers_customerevent, "
                "customers_addressevent CASCADE"
            )
    if Order.objects.filter(external_reference="BENCH-DONE").exists():
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")  # seeding statements run for minutes
    _catalogue()
    call_command("demo_shipping", stdout=open(os.devnull, "w"))  # noqa: SIM115
    with transaction.atomic():
        _customers()
    with transaction.atomic():
        _orders(orders)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def _catalogue() -> None:
    """100k products in three warehouses with stock, as bench/stock_screen.py seeds them."""
    from stock_screen import WAREHOUSES, _copy_products, _stock_levels

    from inventory.models import Product
    from inventory.services import warehouse_upsert

    if Product.objects.count() >= PRODUCTS:
        return
    for code, city, priority in WAREHOUSES:
        warehouse_upsert(code=code, name=city, city=city, priority=priority)
    _copy_products()
    _stock_levels()


def _customers() -> None:
    from django.db import connection

    from customers.models import Customer

    if Customer.objects.count() >= CUSTOMERS:
        return
    sql = [
        "SELECT setseed(0.17)",
        f"""INSERT INTO customers_customer (number, kind, name, company_name, email, phone, vat_id, coc_number,
              preferred_payment_method, payment_terms_days, credit_limit, credit_hold, credit_hold_reason, language,
              notes, external_ref, search_document, created_at, updated_at)
            SELECT 'C-' || lpad(g::text, 6, '0'), 'b2c', f.name, '', lower(replace(f.name, ' ', '.')) || '.' || g
                   || '@example.nl', '+316' || lpad((10000000 + g)::text, 8, '0'), '', '', 'ideal', 14, 0, false, '',
                   'nl', '', NULL, '', now(), now()
            FROM generate_series(1, {CUSTOMERS}) g,
                 LATERAL (SELECT (ARRAY{FIRST})[1 + (g * 7) % {len(FIRST)}] || ' '
                                 || (ARRAY{LAST})[1 + (g * 13) % {len(LAST)}] AS name) f""",
        f"""INSERT INTO customers_address (customer_id, kind, street, house_number, house_number_addition,
              postal_code, city, country, is_default, created_at)
            SELECT id, 'shipping', 'Kerkstraat', (1 + id % 200)::text, '',
                   (1000 + id % 8999)::text || ' ' || chr(65 + (id % 26)::int) || chr(65 + (id / 26 % 26)::int),
                   (ARRAY{CITIES})[1 + id % {len(CITIES)}], 'NL', true, now()
            FROM customers_customer""",
        """UPDATE customers_customer c SET search_document = lower(c.number || ' ' || c.name || ' ' || c.email
              || ' ' || c.phone || ' 0' || substr(c.phone, 4) || ' ' || a.postal_code || ' '
              || replace(a.postal_code, ' ', ''))
            FROM customers_address a WHERE a.customer_id = c.id""",
        "SELECT setval('customers_customer_number', (SELECT count(*) FROM customers_customer))",
    ]
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def _orders(ORDERS: int) -> None:  # noqa: N803 (the module's constant, made a parameter)
    """``ORDERS`` orders in id (= date) order over three years; the newest few thousand are open."""
    from django.db import connection

    open_from = ORDERS - 4000
    sql = [
        "SELECT setseed(0.29)",
        f"""INSERT INTO orders_order (channel, customer_id, status, billing_address, shipping_address, payment_method,
              ship_complete, vat_regime, currency, net_amount, shipping_amount, shipping_vat_rate, vat_amount,
              gross_amount, amount_paid, supply_date, promised_delivery_date, first_delivery_date, carrier_code,
              service_code, external_reference, notes, entered_by_id, placed_at, created_at, updated_at)
            SELECT o.channel, o.customer_id, o.status, o.address, o.address, 'ideal', false, 'domestic', 'EUR',
                   o.net, o.shipping, 21, round((o.net + o.shipping) * 0.21, 2),
                   o.net + o.shipping + round((o.net + o.shipping) * 0.21, 2), 0, o.at::date,
                   o.at::date + 2, o.at::date + 2, 'pakketpost', 'standard',
                   CASE WHEN o.channel = 'web' THEN 'WEB-' || o.g END, '', NULL, o.at, o.at, o.at
            FROM (
              SELECT g, c.id AS customer_id,
                     jsonb_build_object('street', a.street, 'house_number', a.house_number, 'house_number_addition', '',
                                        'postal_code', a.postal_code, 'city', a.city, 'country', 'NL') AS address,
                     (ARRAY['web','web','web','web','web','web','web','phone','phone','b2b','store'])[1 + (g % 11)]
                       AS channel,
                     CASE WHEN g > {open_from} THEN
                            (ARRAY['allocated','allocated','allocated','backordered','on_hold','picking'])[1 + g % 6]
                          WHEN g % 40 = 0 THEN 'cancelled' WHEN g > {ORDERS - 30000} THEN 'delivered'
                          ELSE 'completed' END AS status,
                     round((5 + random() * 400)::numeric, 2) AS net,
                     CASE WHEN g % 3 = 0 THEN 0 ELSE 4.95 END AS shipping,
                     CASE WHEN g > {open_from} THEN now() - interval '12 days' * ({ORDERS} - g) / 4000
                          ELSE now() - interval '1095 days' + interval '1080 days' * g / {open_from} END AS at
              FROM generate_series(1, {ORDERS}) g
              JOIN customers_customer c ON c.number = 'C-' || lpad((1 + (g::bigint * 7919) % {CUSTOMERS})::text, 6, '0')
              JOIN customers_address a ON a.customer_id = c.id
            ) o ORDER BY o.g""",
        f"""INSERT INTO orders_orderline (order_id, line_no, product_id, sku, name, vat_category, vat_rate, unit_price,
              discount_percent, quantity, quantity_allocated, quantity_backordered, quantity_shipped,
              quantity_returned, line_total, is_cancelled)
            SELECT o.id, n, p.id, p.sku, p.name, 'high', 21, p.list_price, 0, 2, 2, 0, 0, 0, p.list_price * 2, false
            FROM (SELECT id FROM orders_order ORDER BY id DESC LIMIT {WITH_LINES}) o, generate_series(1, 3) n,
                 LATERAL (SELECT * FROM inventory_product
                          WHERE sku = 'B' || lpad(((o.id * 31 + n * 7) % {PRODUCTS})::text, 6, '0')) p""",
        f"""INSERT INTO orders_orderevent (order_id, kind, message, data, user_id, created_at)
            SELECT id, 'placed', 'Placed via Webshop: 3 lines.', '{{}}', NULL, created_at
            FROM orders_order ORDER BY id DESC LIMIT {WITH_LINES}""",
        "UPDATE orders_order SET external_reference = 'BENCH-DONE', channel = 'store' "
        "WHERE id = (SELECT min(id) FROM orders_order)",
    ]
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


# --- measuring ------------------------------------------------------------------------------------


def _user(username: str, role: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


def measure(name: str, call, requests: int) -> tuple[float, float, float, float, int]:
    """p50, p95 and max server time (ms), the median CPU time of this process per request (ms;
    it survives a loaded machine better than the clock) and the queries of one request."""

    for _ in range(2):
        assert call().status_code in (200, 302), name
    queries = _queries(call)
    timings, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = call()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code in (200, 302), (name, response.status_code, response.content[:300])
    return (*_percentiles(timings), statistics.median(cpu), queries)


def _queries(call) -> int:
    from django.db import connection

    executed: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *args: executed.append(sql) or execute(sql, *args)):
        call()
    return len(executed)


def _percentiles(timings: list[float]) -> tuple[float, float, float]:
    timings = sorted(timings)
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    return statistics.median(timings), p95, timings[-1]


HEADER = f"{'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'cpu ms':>7} {'queries':>7}"


def report(title: str, scenarios, requests: int) -> float:
    print(f"\n{title}\n{'scenario':<52} {HEADER}")
    worst = 0.0
    for name, call in scenarios:
        p50, p95, slowest, cpu, queries = measure(name, call, requests)
        worst = max(worst, p95)
        print(f"{name:<52} {p50:>7.1f} {p95:>7.1f} {slowest:>7.1f} {cpu:>7.1f} {queries:>7}", flush=True)
    return worst


class Drafts:
    """Drafts prepared outside the timings: one being filled line by line, one with 20 lines to
    change, and a pool of 20-line drafts to place."""

    def __init__(self, client, customer_ids: list[int], product_ids: list[int], places: int, adds: int):
        from customers.selectors import customer_get
        from orders.services import order_draft_create, order_draft_set_lines

        self.client, self.rng, self.products = client, random.Random(5), product_ids
        user = _user("bench-cs", "customer_service")

        def draft(lines: int):
            order = order_draft_create(channel="phone", customer=customer_get(self.rng.choice(customer_ids)), user=user)
            if lines:
                chosen = self.rng.sample(product_ids, lines)
                order_draft_set_lines(order=order, lines=[{"product_id": p, "quantity": 2} for p in chosen], user=user)
            return order

        self.filling = [draft(0) for _ in range(adds // 20 + 2)]
        self.added = 0
        self.full = draft(20)
        self.full_lines = list(self.full.lines.values_list("id", flat=True))
        self.address = _address_of(self.full.customer_id)
        self.to_place = [draft(20) for _ in range(places)]

    def add_line(self):
        order = self.filling[self.added // 20]
        self.added += 1
        data = {"product_id": self.rng.choice(self.products), "code": "", "quantity": self.rng.randint(1, 3)}
        return self.client.post(f"/orders/enter/{order.pk}/lines/", data, **HTMX)

    def change_quantity(self):
        line = self.rng.choice(self.full_lines)
        return self.client.post(
            f"/orders/enter/{self.full.pk}/lines/{line}/", {"quantity": self.rng.randint(1, 5)}, **HTMX
        )

    def choose_address(self):
        return self.client.post(f"/orders/enter/{self.full.pk}/address/", {"address": self.address}, **HTMX)

    def choose_payment(self):
        method = self.rng.choice(["ideal", "klarna", "card", "bank_transfer"])
        return self.client.post(f"/orders/enter/{self.full.pk}/payment/", {"payment_method": method}, **HTMX)

    def page(self):
        return self.client.get(f"/orders/enter/{self.full.pk}/")

    def place(self):
        return self.client.post(f"/orders/enter/{self.to_place.pop().pk}/place/", **HTMX)


def _address_of(customer_id: int) -> int:
    from customers.selectors import customer_addresses

    return customer_addresses(customer_id)[0].pk


def entry_scenarios(client, requests: int) -> list:
    from customers.models import Customer
    from inventory.models import Product

    rng = random.Random(11)
    customers = list(Customer.objects.filter(id__in=_sample_ids("customers_customer", 300)).values_list("id", "name"))
    surnames = [name.split(" ", 1)[1] for _, name in customers]
    products = list(Product.objects.filter(id__in=_sample_ids("inventory_product", 3000)).values_list("id", flat=True))
    searches = [
        "heart",
        "vintage red",
        "B0123",
        "christmas",
        "bag",
        "B09",
        "lunch box",
        "candle",
        "retro set",
        "8710000",
    ]
    drafts = Drafts(client, [c for c, _ in customers], products, places=requests + 3, adds=requests + 3)
    probe = drafts.full.pk
    return [
        (
            "customer search as you type (htmx)",
            lambda: client.get("/orders/enter/customers/", {"q": rng.choice(surnames)}, **HTMX),
        ),
        (
            "start a draft for the chosen customer (htmx)",
            lambda: client.post("/orders/enter/start/", {"customer_id": rng.choice(customers)[0]}, **HTMX),
        ),
        (
            "product search as you type (htmx)",
            lambda: client.get(f"/orders/enter/{probe}/products/", {"code": rng.choice(searches)}, **HTMX),
        ),
        ("add a line to a draft of 0-19 lines (htmx)", drafts.add_line),
        ("change a quantity in a 20-line draft (htmx)", drafts.change_quantity),
        ("choose the delivery address (htmx)", drafts.choose_address),
        ("choose the payment method (htmx)", drafts.choose_payment),
        ("the draft page with 20 lines (full page)", drafts.page),
        ("place a 20-line draft (htmx)", drafts.place),
    ]


SWEEP = (1, 10, 40)


def line_sweep(client, rounds: int) -> float:
    """Adding the 1st, 10th and 40th line of a draft, interleaved (one of each per round, so the
    machine's load falls on all three alike): server time, CPU and queries per draft length."""

    from customers.models import Customer
    from customers.selectors import customer_get
    from inventory.models import Product
    from orders.services import order_draft_create, order_draft_set_lines

    rng = random.Random(23)
    customers = list(
        Customer.objects.filter(id__in=_sample_ids("customers_customer", 200)).values_list("id", flat=True)
    )
    products = list(Product.objects.filter(id__in=_sample_ids("inventory_product", 2000)).values_list("id", flat=True))
    user = _user("bench-cs", "customer_service")

    def draft(lines: int):
        order = order_draft_create(channel="phone", customer=customer_get(rng.choice(customers)), user=user)
        if lines:
            chosen = [{"product_id": p, "quantity": 2} for p in rng.sample(products, lines)]
            order_draft_set_lines(order=order, lines=chosen, user=user)
        return order

    drafts = {n: [draft(n - 1) for _ in range(rounds + 3)] for n in SWEEP}

    def add(order):
        data = {"product_id": rng.choice(products), "code": "", "quantity": 1}
        response = client.post(f"/orders/enter/{order.pk}/lines/", data, **HTMX)
        assert response.status_code == 200, response.content[:300]
        return response

    queries = {}
    for n in SWEEP:
        add(drafts[n].pop())  # the process's caches
        order = drafts[n].pop()
        queries[n] = _queries(lambda order=order: add(order))
    timings = {n: [] for n in SWEEP}
    cpu = {n: [] for n in SWEEP}
    for _ in range(rounds):
        for n in SWEEP:
            started, started_cpu = time.perf_counter(), time.process_time()
            add(drafts[n].pop())
            timings[n].append((time.perf_counter() - started) * 1000)
            cpu[n].append((time.process_time() - started_cpu) * 1000)
    print(f"\nAdding a line by draft length ({rounds} rounds, interleaved)\n{'the line added is the':<52} {HEADER}")
    for n in SWEEP:
        p50, p95, slowest = _percentiles(timings[n])
        label = f"line {n}"
        print(f"{label:<52} {p50:>7.1f} {p95:>7.1f} {slowest:>7.1f} {statistics.median(cpu[n]):>7.1f} {queries[n]:>7}")
    ratio = statistics.median(cpu[SWEEP[-1]]) / statistics.median(cpu[SWEEP[0]])
    print(f"CPU of adding line {SWEEP[-1]} / line {SWEEP[0]}: {ratio:.2f} (constant: about 1)")
    return max(_percentiles(timings[n])[1] for n in SWEEP)


def _orders_to_pick(user, count: int = 12) -> tuple[int, list[int]]:
    """Place ``count`` phone orders paid by bank transfer (picked before payment), eight lines
    each; returns the warehouse holding most of them and those orders."""
    from customers.models import Customer
    from customers.selectors import customer_get
    from inventory.models import Product
    from orders.models import Allocation
    from orders.services import (
        order_draft_create,
        order_draft_place,
        order_draft_set_lines,
        order_draft_set_payment_method,
    )

    rng = random.Random(31)
    customers = list(Customer.objects.filter(id__in=_sample_ids("customers_customer", 50)).values_list("id", flat=True))
    products = list(Product.objects.filter(id__in=_sample_ids("inventory_product", 500)).values_list("id", flat=True))
    placed = []
    for _ in range(count):
        order = order_draft_create(channel="phone", customer=customer_get(rng.choice(customers)), user=user)
        lines = [{"product_id": p, "quantity": 1} for p in rng.sample(products, 8)]
        order = order_draft_set_lines(order=order, lines=lines, user=user)
        order = order_draft_set_payment_method(order=order, payment_method="bank_transfer", user=user)
        placed.append(order_draft_place(order=order, user=user).pk)
    by_warehouse: dict[int, set[int]] = {}
    reserved = Allocation.objects.filter(status="reserved", order_line__order_id__in=placed)
    for warehouse_id, order_id in reserved.values_list("warehouse_id", "order_line__order_id"):
        by_warehouse.setdefault(warehouse_id, set()).add(order_id)
    warehouse_id, order_ids = max(by_warehouse.items(), key=lambda item: len(item[1]))
    return warehouse_id, sorted(order_ids)


def pdf_first(url: str, requests: int) -> None:
    """The first pick-list PDF: rendered in this process (the pick screen's link before issue 19,
    and still with tasks inline: ``?now=1`` takes that path), as the first task of a fresh worker
    started without and with the warm-up, and the pick screen's link once that worker stored it."""
    import redis
    from django.conf import settings
    from django.test import Client

    from oms.celery import app
    from oms.roles import Role
    from shipping.services.picking import pick_list_create

    user = _user("bench-warehouse", Role.WAREHOUSE)
    warehouse_id, order_ids = _orders_to_pick(_user("bench-cs", Role.CUSTOMER_SERVICE))
    pick_list = pick_list_create(warehouse_id=warehouse_id, order_ids=order_ids, user=user).pick_list
    client = Client()
    client.force_login(user)
    path = f"/shipping/pick/lists/{pick_list.pk}/pdf/?now=1"
    web, web_cpu = [], []
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        web.append((time.perf_counter() - started) * 1000)
        web_cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), response.status_code
    print(f"\nThe first pick-list PDF ({pick_list.number}, {len(response.content):,} bytes)")
    print(
        f"rendered in the web process (the link before issue 19), 1st / 2nd / 3rd: {web[0]:.0f} / {web[1]:.0f} /"
        f" {web[2]:.0f} ms ({web_cpu[0]:.0f} / {web_cpu[1]:.0f} / {web_cpu[2]:.0f} ms CPU)"
    )
    store = redis.Redis.from_url(settings.REDIS_URL)
    for warm_up in (False, True):
        queue = f"bench-pdf-{os.getpid()}-{int(warm_up)}"
        worker = BenchWorker(url, queue, warm_up=warm_up).start()
        try:
            seconds, cpu = [], []
            for attempt in range(2):
                key = f"{queue}-{attempt}"
                app.send_task("pdf_probe.pick_list_pdf_time", args=[pick_list.pk, key], queue=queue)
                deadline = time.monotonic() + 120
                while not store.get(key) and time.monotonic() < deadline:
                    time.sleep(0.05)
                value = store.get(key)
                wall, used = (float(x) * 1000 for x in value.split()[:2]) if value else (float("nan"),) * 2
                seconds.append(wall)
                cpu.append(used)
            if warm_up:
                stored = _pdf_stored_link(app, client, user, queue)
        finally:
            worker.stop()
        label = "worker with warm-up" if warm_up else "worker without warm-up (OMS_PDF_WARM_UP=false)"
        print(
            f"{label}: ready after {worker.ready_after:.1f} s (warm-up {worker.warmed_up_in()}); "
            f"1st PDF {seconds[0]:.0f} ms ({cpu[0]:.0f} ms CPU), 2nd {seconds[1]:.0f} ms ({cpu[1]:.0f} ms CPU)"
        )
    print(stored)


def _pdf_stored_link(app, client, user, queue: str) -> str:
    """A new pick list whose PDF the warm worker renders and stores (``shipping.tasks.
    pick_list_pdf_render``), then the pick screen's link serving that file: the time from making
    the list to the stored file, and the link's time and CPU in this process (no render here)."""
    from oms.roles import Role
    from shipping import documents
    from shipping.models import PickList
    from shipping.services.picking import pick_list_create

    warehouse_id, order_ids = _orders_to_pick(_user("bench-cs", Role.CUSTOMER_SERVICE))
    started = time.perf_counter()
    pick_list = pick_list_create(warehouse_id=warehouse_id, order_ids=order_ids, user=user).pick_list
    # pick_list_create queued the render on the bench's default queue, which no worker reads now:
    # the same task goes to the warm worker's queue.
    app.send_task("shipping.tasks.pick_list_pdf_render", kwargs={"pick_list_id": pick_list.pk}, queue=queue)
    deadline = time.monotonic() + 120
    while not PickList.objects.filter(pk=pick_list.pk).exclude(pdf="").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    stored_after = (time.perf_counter() - started) * 1000
    renders = documents.renders["pick_list"]
    link, link_cpu = [], []
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(f"/shipping/pick/lists/{pick_list.pk}/pdf/")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        link.append((time.perf_counter() - started) * 1000)
        link_cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200 and body.startswith(b"%PDF"), (response.status_code, body[:80])
    assert documents.renders["pick_list"] == renders, "the link rendered in the web process"
    return (
        f"pick screen's link, PDF rendered by the warm worker ({pick_list.number}): stored {stored_after:.0f} ms after"
        f" the list was made; link 1st / 2nd / 3rd: {link[0]:.0f} / {link[1]:.0f} / {link[2]:.0f} ms"
        f" ({link_cpu[0]:.0f} / {link_cpu[1]:.0f} / {link_cpu[2]:.0f} ms CPU), no render in the web process"
    )


def _sample_ids(table: str, count: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} TABLESAMPLE SYSTEM (5) LIMIT %s", [count])
        return [row[0] for row in cursor.fetchall()]


def list_scenarios(client) -> list:
    from customers.models import Address, Customer
    from orders.models import Order

    rng = random.Random(13)
    top = Order.objects.order_by("-id").values_list("id", flat=True).first()
    sample = list(
        Order.objects.filter(id__in=_sample_ids("orders_order", 400)).values_list("number", "external_reference")
    )
    numbers = [n for n, _ in sample]
    references = [r for _, r in sample if r and r.startswith("WEB-")]
    customers = list(
        Customer.objects.filter(id__in=_sample_ids("customers_customer", 300)).values_list("number", "name", "email")
    )
    postcodes = list(
        Address.objects.filter(customer__number__in=[c for c, _, _ in customers]).values_list("postal_code", flat=True)
    )
    recent = list(Order.objects.order_by("-id").values_list("number", flat=True)[: WITH_LINES // 2])
    from django.utils import timezone

    year_ago = timezone.localdate().replace(day=1).replace(year=timezone.localdate().year - 1)

    def page(params=None, **headers):
        return lambda: client.get("/orders/", params() if callable(params) else (params or {}), **headers)

    return [
        ("list: first page (full page)", page()),
        ("list: first page (htmx)", page({}, **HTMX)),
        ("list: a page in the middle (keyset cursor)", page(lambda: {"after": rng.randint(1, top)}, **HTMX)),
        ("list: previous page (keyset cursor)", page(lambda: {"before": rng.randint(1, top)}, **HTMX)),
        ("list: status completed", page({"status": "completed"}, **HTMX)),
        ("list: status on hold (rare)", page({"status": "on_hold"}, **HTMX)),
        ("list: backordered", page({"backordered": "on"}, **HTMX)),
        ("list: late", page({"late": "on"}, **HTMX)),
        (
            "list: channel phone, page in the middle",
            page(lambda: {"channel": "phone", "after": rng.randint(1, top)}, **HTMX),
        ),
        (
            "list: one month a year ago",
            page({"date_from": str(year_ago), "date_to": str(year_ago.replace(day=28))}, **HTMX),
        ),
        ("list: one customer (number)", page(lambda: {"customer": rng.choice(customers)[0]}, **HTMX)),
        ("list: highest total first", page({"sort": "-total"}, **HTMX)),
        ("list: by total, page in the middle", page(lambda: {"sort": "total", "after": rng.randint(1, top)}, **HTMX)),
        ("list: by number, oldest first", page({"sort": "number"}, **HTMX)),
        ("list: completed, highest total first", page({"status": "completed", "sort": "-total"}, **HTMX)),
        ("list: search an order number", page(lambda: {"q": rng.choice(numbers)}, **HTMX)),
        ("list: search an external reference", page(lambda: {"q": rng.choice(references)}, **HTMX)),
        ("list: search a postcode", page(lambda: {"q": rng.choice(postcodes)}, **HTMX)),
        ("list: search a customer name", page(lambda: {"q": rng.choice(customers)[1]}, **HTMX)),
        ("list: search a surname (many customers)", page(lambda: {"q": rng.choice(LAST)}, **HTMX)),
        ("list: search an e-mail", page(lambda: {"q": rng.choice(customers)[2]}, **HTMX)),
        (
            "list: search a name, status completed, by total",
            page(lambda: {"q": rng.choice(customers)[1], "status": "completed", "sort": "-total"}, **HTMX),
        ),
        (
            "list: search a surname, status completed, by total",
            page(lambda: {"q": rng.choice(LAST), "status": "completed", "sort": "-total"}, **HTMX),
        ),
        ("order page (full page, 3 lines)", lambda: client.get(f"/orders/{rng.choice(recent)}/")),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--only", choices=["entry", "list", "sweep", "pdf", "seed"], default=None)
    parser.add_argument("--orders", type=int, default=ORDERS, help="orders to seed (the target is 1M)")
    parser.add_argument("--database", default=None, help="scratch database name (default <db>_orders_bench)")
    parser.add_argument("--inline", action="store_true", help="run tasks in the request, without a worker")
    args = parser.parse_args()
    url = bench_database_url()
    if args.database:
        from urllib.parse import urlparse, urlunparse

        url = urlunparse(urlparse(url)._replace(path="/" + args.database))
    queue = None if args.inline else f"bench-orders-{os.getpid()}"
    setup_django(url, queue)
    seed(args.reseed, args.orders)
    if args.only == "seed":
        return
    from django.test import Client

    from oms.roles import Role
    from orders.models import Order

    client = Client()
    client.force_login(_user("bench-cs", Role.CUSTOMER_SERVICE))
    top = Order.objects.order_by("-id").values_list("id", flat=True).first() or 0
    print(f"{top:,} orders (max id), {PRODUCTS:,} products; machine load {os.getloadavg()[0]:.1f} (1 min)")
    if top < ORDERS:
        print(f"!!! ONLY {top:,} ORDERS: THE TARGET IS {ORDERS:,}; THESE NUMBERS ARE NOT THE 1M BENCHMARK !!!")
    worker = None
    if queue:
        worker = BenchWorker(url, queue).start()
        print(f"worker: prefork x2 on Redis queue {queue}, ready after {worker.ready_after:.1f} s")
    else:
        print("no worker: every task runs inline in the request (--inline)")
    try:
        if args.only in (None, "entry"):
            worst = report(
                "Phone order, one step each (100k products)", entry_scenarios(client, args.requests), args.requests
            )
            print(f"worst p95 of a phone-order step: {worst:.1f} ms (target < 150 ms)")
        if args.only in (None, "sweep"):
            line_sweep(client, args.requests)
        if args.only in (None, "list"):
            worst = report("Order list and order page (1M orders)", list_scenarios(client), args.requests)
            print(f"worst p95 of the order screens: {worst:.1f} ms")
    finally:
        if worker:
            worker.stop()
    if args.only in (None, "pdf") and queue:
        pdf_first(url, args.requests)
    if queue:
        _forget_queues(queue)


def _forget_queues(queue: str) -> None:
    """Drop what the bench left in Redis: its queues (events of orders placed after its worker
    stopped), kombu's bindings for them and the probe's answers."""
    import redis
    from django.conf import settings

    store = redis.Redis.from_url(settings.REDIS_URL)
    pid = queue.rsplit("-", 1)[-1]
    for pattern in (f"*bench-orders-{pid}*", f"*bench-pdf-{pid}-*"):
        for key in store.scan_iter(pattern):
            store.delete(key)


if __name__ == "__main__":
    main()
