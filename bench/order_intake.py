"""Benchmark: order intake at 100k products (issues 4 and 13).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_ord .venv/bin/python bench/order_intake.py \
        [--seconds 15] [--rounds 3] [--reseed] [--quotes shipping|flat|both] [--prepared on off]

It works in its own database, ``<name of DATABASE_URL's database>_bench`` (created, migrated and
seeded once, then reused; ``--reseed`` starts over). Seeded: 100,000 products in two
warehouses (200,000 stock levels with plenty of stock and an opening receipt each), 1,000
customers with an address, an API user with a token. Orders, the outbox and idempotency
records are emptied before each run.

Every order has 10 lines (line i from the i-th tenth of the catalogue, quantity 1..3, so the
stock rows are distinct and hot rows are rare, as in performance-anchors.md §2) and is placed
with the real work: customer by number, prices and VAT, reservation, allocations, the
delivery quote, timeline, two outbox events handed to Redis after commit (a queue of its own,
deleted at the end), and through the API the token, role check and Idempotency-Key.

What it runs is the production configuration, except where the output says otherwise:

- the delivery quote is the one that ships, shipping's backend (``OMS_DELIVERY_QUOTE_BACKEND``'s
  default), over the demo carriers, services, rates per zone, postcode areas, free-shipping
  thresholds and holidays (``demo_shipping``). ``--quotes flat`` runs orders' flat-rate
  stand-in instead and ``--quotes both`` runs both; every row of the stand-in says so;
- gunicorn with sync workers and persistent database connections (``CONN_MAX_AGE=600``);
- prepared statements on and off (``OMS_PREPARED_STATEMENTS``; off is the mode behind PgBouncer
  in transaction-pooling mode), both by default, each row and round labelled;
- NOT a Celery worker: the events reach the broker as in production, but nothing consumes them
  while it measures, so the handlers' work (invoices, pick lists) is not in these figures.

It measures, in one run, on the same machine:

1. the service ``order_place`` with 2 and 8 threads (in process);
2. the HTTP API under gunicorn (``--workers``, default 2 sync workers, persistent DB
   connections) on loopback, driven by 4 client processes (new connection per request, as wrk
   does against sync workers), and again by wrk when it is installed (the anchors' load
   generator, ``bench/order_intake_wrk.lua``);
3. the raw-SQL ceiling: the anchors' pgbench scripts (10 conditional stock decrements + order
   and line inserts) with one statement per round trip and as one data-modifying CTE;
4. the reference for the API: the anchors' bare 13-query Django order view
   (``bench/bare_order_view.py``) over the pgbench tables, under the same gunicorn and load.

and prints orders/s, p50/p95 latency (p99 for wrk rows), and the queries per order of the
service and the API. ``--rounds`` adds interleaved wrk runs of the API and the bare view, with
each round's rate as a share of the bare view's in the same round, the server's CPU per order
beside the rates (the gunicorn workers and their PostgreSQL backends: on a machine shared with
other work the rates follow the share of the CPU the run gets, the CPU per order much less so),
the WAL written per order (from the cluster's WAL position: the database's work in a figure
that the machine's speed does not change), and the CPU per order spent elsewhere on the machine
meanwhile (wrk, Redis, PostgreSQL's background writers, the kernel's network work). Numbers
from another day are not comparable (this machine's speed varies by a factor of two between
sessions): compare rows of one run.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import multiprocessing
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager, nullcontext
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/scratchdb.py
from scratchdb import ensure_database, scratch_database_url  # noqa: E402

PRODUCTS = 100_000
CUSTOMERS = 1_000
LINES = 10
QUEUE = "bench-order-intake"
WRK_SCRIPT = "order_intake_wrk.lua"
STAMP = "2026-01-01 00:00:00+00"
ADDRESS = {"street": "Oudegracht", "house_number": "12A", "postal_code": "3511 AB", "city": "Utrecht", "country": "NL"}
# The quote backend and OMS_PREPARED_STATEMENTS come from the environment (base settings), so
# one settings module serves every mode.
SETTINGS = f"""
from oms.settings.base import *  # noqa
DEBUG = False
CELERY_TASK_DEFAULT_QUEUE = "{QUEUE}"
LOGGING["root"]["level"] = "WARNING"  # noqa
"""
QUOTES = {"shipping": "shipping.quotes.quote_delivery", "flat": "orders.quotes.quote_delivery"}
QUOTE_LABELS = {"shipping": "shipped quote", "flat": "FLAT STAND-IN quote (not what ships)"}
PREPARED = {"on": "1", "off": "0"}


def mode_env(quotes: str, prepared: str) -> dict[str, str]:
    return {"OMS_DELIVERY_QUOTE_BACKEND": QUOTES[quotes], "OMS_PREPARED_STATEMENTS": PREPARED[prepared]}


def mode_label(quotes: str, prepared: str) -> str:
    return f"{QUOTE_LABELS[quotes]}, prepared {prepared}"


def free_port() -> int:
    """A port nobody listens on now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_database_url() -> str:
    return scratch_database_url("_bench")


def setup_django(url: str, settings_dir: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_order_intake_settings"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    sys.path.insert(0, settings_dir)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- seeding --------------------------------------------------------------------------------------------


def seed(reseed: bool) -> None:
    from django.db import connection

    from inventory.models import Product

    if reseed:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE inventory_product, inventory_warehouse, inventory_productevent, "
                "inventory_warehouseevent, customers_customer, customers_customerevent, customers_address, "
                "customers_addressevent CASCADE"
            )
    if Product.objects.count() >= PRODUCTS:
        return
    started = time.perf_counter()
    _catalogue()
    _customers()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM FULL inventory_stocklevel")
        cursor.execute("VACUUM ANALYZE")
    print(
        f"seeded {PRODUCTS:,} products x 2 warehouses, {CUSTOMERS:,} customers in {time.perf_counter() - started:.0f} s"
    )


def _catalogue() -> None:
    from django.db import connection

    from inventory.services import warehouse_upsert

    for code, city, priority in (("AMS", "Amsterdam", 10), ("RTM", "Rotterdam", 20)):
        warehouse_upsert(code=code, name=city, city=city, priority=priority)
    rng = random.Random(4)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for n in range(PRODUCTS):
        price = f"{rng.randint(50, 20000) / 100:.2f}"
        category = "low" if n % 7 == 0 else "high"
        writer.writerow([f"P{n:06d}", f"Product {n}", "", price, category, rng.randint(50, 3000), "t", STAMP, STAMP])
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            "COPY inventory_product (sku, name, description, list_price, vat_category, weight_grams, active, "
            "created_at, updated_at) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (description))",
            buffer,
        )
        cursor.execute("UPDATE inventory_stocklevel SET on_hand = 1000000")
        cursor.execute(
            "INSERT INTO inventory_stockmovement (product_id, warehouse_id, kind, quantity, on_hand_after, "
            "reference, reason, created_at) SELECT product_id, warehouse_id, 'receipt', on_hand, on_hand, "
            "'opening stock', '', now() FROM inventory_stocklevel"
        )


def _customers() -> None:
    from customers.models import NUMBER_PREFIX, NUMBER_SEQUENCE, Address, Customer
    from oms.numbering import format_number, next_values

    numbers = next_values(NUMBER_SEQUENCE, CUSTOMERS)
    customers = Customer.objects.bulk_create(
        Customer(number=format_number(NUMBER_PREFIX, n), name=f"Klant {n}", email=f"bench{n}@example.nl")
        for n in numbers
    )
    Address.objects.bulk_create(
        Address(
            customer=c,
            kind=kind,
            street="Damrak",
            house_number="1",
            postal_code="1012 LG",
            city="Amsterdam",
            is_default=True,
        )
        for c in customers
        for kind in ("billing", "shipping")
    )


def reset() -> None:
    """Empty the order book, the outbox and idempotency records; give the stock back."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE orders_order, orders_orderline, orders_allocation, orders_orderevent, orders_orderchange, "
            "oms_outboxevent, oms_handlerrun, oms_idempotencyrecord CASCADE"
        )
        cursor.execute("UPDATE inventory_stocklevel SET reserved = 0 WHERE reserved <> 0")
        cursor.execute("VACUUM ANALYZE inventory_stocklevel")
        cursor.execute("CHECKPOINT")


def api_token() -> str:
    """A new API client's token for this run (a client's token is shown once, never stored)."""
    from oms.api_clients import api_client_create

    return api_client_create(name="bench order intake", scopes=["all"])[1]


def customer_numbers() -> list[str]:
    from customers.models import Customer

    return list(Customer.objects.order_by("id").values_list("number", flat=True)[:CUSTOMERS])


def order_lines(rng: random.Random) -> list[dict]:
    tenth = PRODUCTS // LINES
    return [{"sku": f"P{i * tenth + rng.randrange(tenth):06d}", "quantity": rng.randint(1, 3)} for i in range(LINES)]


def order_body(rng: random.Random, numbers: list[str]) -> dict:
    return {
        "channel": "web",
        "customer": {"number": rng.choice(numbers)},
        "shipping_address": ADDRESS,
        "lines": order_lines(rng),
        "payment_method": "ideal",
    }


# --- 1. the service -------------------------------------------------------------------------------------


def place_one(rng, numbers, user):
    from orders.services import order_place

    body = order_body(rng, numbers)
    return order_place(
        channel=body["channel"],
        customer_ref=body["customer"],
        lines=body["lines"],
        shipping_address=body["shipping_address"],
        payment_method=body["payment_method"],
        user=user,
    )


def service_run(threads: int, seconds: float, numbers: list[str]) -> dict:
    from django.db import connection

    latencies: list[float] = []
    failures: list[str] = []
    barrier = threading.Barrier(threads + 1)
    state = {"measure_from": 0.0, "stop": 0.0}

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            while (now := time.perf_counter()) < state["stop"]:
                try:
                    place_one(rng, numbers, None)
                except Exception as exc:  # counted and shown, the run goes on
                    failures.append(type(exc).__name__)
                if now >= state["measure_from"]:
                    latencies.append(time.perf_counter() - now)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    state["measure_from"] = time.perf_counter() + 2.0  # warm-up
    state["stop"] = state["measure_from"] + seconds
    barrier.wait()
    for thread in pool:
        thread.join()
    return summary(f"service, {threads} threads", latencies, seconds, failures)


def summary(label: str, latencies: list[float], seconds: float, failures: list) -> dict:
    ms = sorted(x * 1000 for x in latencies)
    return {
        "label": label,
        "orders": len(ms),
        "rate": len(ms) / seconds,
        "p50": statistics.median(ms) if ms else 0,
        "tail": ("p95", ms[int(len(ms) * 0.95)] if ms else 0),
        "failures": len(failures),
        "failure_kinds": sorted(set(failures))[:5],
    }


def queries_per_order(numbers: list[str], token: str) -> tuple[int, int]:
    """Queries of one order through the service, and of one API request (in process, warm)."""
    from rest_framework.test import APIClient

    rng = random.Random(99)
    place_one(rng, numbers, None)
    service = counted(place_one, rng, numbers, None)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def post():
        key = str(uuid.uuid4())
        return client.post("/api/v1/orders/", order_body(rng, numbers), format="json", HTTP_IDEMPOTENCY_KEY=key)

    post()
    response, api = counted(post)
    assert response.status_code == 201, response.content
    return service, api


def counted(function, *args):
    """``function(*args)`` and its round trips to the database (BEGIN and COMMIT included, as
    Django's query log counts them; the log emptied first, so a request before it cannot skew
    the count)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        result = function(*args)
    return result, len(captured)


@contextmanager
def in_mode(quotes: str, prepared: str):
    """This process's settings in one mode (the gunicorn workers get theirs from the environment)."""
    from django.test import override_settings

    with override_settings(
        OMS_DELIVERY_QUOTE_BACKEND=QUOTES[quotes], OMS_PREPARED_STATEMENTS=PREPARED[prepared] == "1"
    ):
        yield


# --- 2. the HTTP API under gunicorn -------------------------------------------------------------------


def start_gunicorn(
    port: int,
    settings_dir: str,
    url: str,
    workers: int = 2,
    app: str = "oms.wsgi:application",
    extra_env=None,
    code: Path = ROOT,
) -> subprocess.Popen:
    """gunicorn serving ``app`` from the checkout ``code`` (this one unless told), with this
    checkout's virtualenv."""
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="bench_order_intake_settings", CONN_MAX_AGE="600")
    env.update(extra_env or {})
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            app,
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "-k",
            "sync",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            "--pythonpath",
            f"{settings_dir},{code},{code / 'bench'}",
        ],
        cwd=code,  # Celery's Django fixup puts the working directory first on the path
        env=env,
    )
    # generous: on a machine shared with other work, importing Django in two workers can be slow
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health/")
            connection.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn did not start on port {port} (exit code {process.poll()})")


@contextmanager
def serving(*args, **kwargs):
    """gunicorn serving for the duration of the block (the arguments are ``start_gunicorn``'s)."""
    process = start_gunicorn(*args, **kwargs)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(10)


def bare_body(rng: random.Random) -> dict:
    """The anchors' request for the bare view: 10 lines, line i from the i-th tenth of the stock."""
    return {
        "customer": rng.randint(1, 100_000),
        "lines": [[i * 10_000 + rng.randint(1, 10_000), rng.randint(1, 10)] for i in range(10)],
    }


def _client(port: int, token: str, numbers: list[str], seed: int, warmup_end: float, stop: float, out) -> None:
    rng = random.Random(seed)
    results = []
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    path = "/api/v1/orders/" if token else "/order"
    while (started := time.time()) < stop:
        if token:
            body, extra = json.dumps(order_body(rng, numbers)), {"Idempotency-Key": uuid.uuid4().hex}
        else:
            body, extra = json.dumps(bare_body(rng)), {}
        connection = HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("POST", path, body, headers | extra)
            response = connection.getresponse()
            response.read()
            status = response.status
        except OSError as exc:
            status = type(exc).__name__
        finally:
            connection.close()
        if started >= warmup_end:
            results.append((time.time() - started, status))
    out.put(results)


def api_run(port: int, token: str, numbers: list[str], seconds: float, clients: int = 4) -> dict:
    """Python client processes, one connection per request; ``token=""`` drives the bare view."""
    out = multiprocessing.Queue()
    warmup_end = time.time() + 3
    stop = warmup_end + seconds
    procs = [
        multiprocessing.Process(target=_client, args=(port, token, numbers, n, warmup_end, stop, out))
        for n in range(clients)
    ]
    for proc in procs:
        proc.start()
    results = [item for _ in procs for item in out.get()]
    for proc in procs:
        proc.join()
    placed = [latency for latency, status in results if status == 201]
    failures = [str(status) for _, status in results if status != 201]
    return summary(f"API, gunicorn 2 workers, {clients} clients", placed, seconds, failures)


def wrk_run(label: str, port: int, script: str, seconds: float, token: str = "", meter=None) -> dict | None:
    """The anchors' load generator (C, next to no CPU of its own): ``-t2 -c4`` after a 3 s warm-up,
    ``None`` when wrk is not installed. ``meter``: a context manager around the measured run only."""
    if shutil.which("wrk") is None:
        return None
    env = dict(os.environ, TOKEN=token)
    base = ["wrk", "-t2", "-c4", "--timeout", "5s", "-s", str(ROOT / "bench" / script), f"http://127.0.0.1:{port}/"]
    subprocess.run(base[:1] + ["-d3s"] + base[1:], env=env, capture_output=True, check=True)
    with meter or nullcontext():
        output = subprocess.run(
            base[:1] + [f"-d{int(seconds)}s", "--latency"] + base[1:],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "label": label,
        "rate": rate,
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50": _wrk_ms(output, "50%"),
        "tail": ("p99", _wrk_ms(output, "99%")),  # wrk prints p50/75/90/99
        "failures": int(non_2xx.group(1)) if non_2xx else 0,
        "failure_kinds": ["non-2xx"] if non_2xx else [],
    }


def _wrk_ms(output: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


# --- 3. the raw-SQL ceiling (pgbench) -----------------------------------------------------------------


SCHEMA = """
DROP TABLE IF EXISTS perf_order_line, perf_orders, perf_stock CASCADE;
CREATE TABLE perf_stock (id integer PRIMARY KEY, warehouse_id integer NOT NULL, product_id integer NOT NULL,
    qty integer NOT NULL CHECK (qty >= 0), price numeric(12,2) NOT NULL);
CREATE TABLE perf_orders (id bigserial PRIMARY KEY, customer_id integer NOT NULL, warehouse_id integer NOT NULL,
    status smallint NOT NULL, created_at timestamptz NOT NULL, total numeric(14,2) NOT NULL);
CREATE INDEX perf_orders_customer_idx ON perf_orders (customer_id);
CREATE TABLE perf_order_line (id bigserial PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES perf_orders (id) DEFERRABLE INITIALLY DEFERRED, line_no smallint NOT NULL,
    stock_id integer NOT NULL REFERENCES perf_stock (id) DEFERRABLE INITIALLY DEFERRED, qty integer NOT NULL,
    unit_price numeric(12,2) NOT NULL, amount numeric(14,2) NOT NULL);
CREATE INDEX perf_order_line_order_idx ON perf_order_line (order_id);
CREATE INDEX perf_order_line_stock_idx ON perf_order_line (stock_id);
INSERT INTO perf_stock
    SELECT g, 1, g, 1000000, round((1 + random() * 99)::numeric, 2) FROM generate_series(1, 100000) g;
"""


def _pgbench_sets() -> str:
    return "\\set c random(1, 100000)\n" + "".join(
        f"\\set i{n} random({(n - 1) * 10000 + 1}, {n * 10000})\n\\set q{n} random(1, 3)\n" for n in range(1, 11)
    )


def pgbench_scripts(directory: Path) -> dict[str, Path]:
    round_trip = [_pgbench_sets(), "BEGIN;\n"]
    round_trip.append(
        "INSERT INTO perf_orders (customer_id, warehouse_id, status, created_at, total) "
        "VALUES (:c, 1, 0, now(), 0) RETURNING id AS oid \\gset\n"
    )
    for n in range(1, 11):
        round_trip.append(
            f"UPDATE perf_stock SET qty = qty - :q{n} WHERE id = :i{n} AND qty >= :q{n} "
            f"RETURNING price AS p{n} \\gset\n"
        )
        round_trip.append(
            f"INSERT INTO perf_order_line (order_id, line_no, stock_id, qty, unit_price, amount) "
            f"VALUES (:oid, {n}, :i{n}, :q{n}, :p{n}, :p{n}::numeric * :q{n}::int);\n"
        )
    round_trip.append(
        "UPDATE perf_orders SET total = (SELECT sum(amount) FROM perf_order_line "
        "WHERE order_id = :oid) WHERE id = :oid;\nCOMMIT;\n"
    )
    values = ", ".join(f"({n}, :i{n}::int, :q{n}::int)" for n in range(1, 11))
    cte = (
        f"WITH req(line_no, stock_id, qty) AS (VALUES {values}), oid AS (SELECT nextval('perf_orders_id_seq') AS id), "
        "s AS (UPDATE perf_stock SET qty = perf_stock.qty - req.qty FROM req WHERE perf_stock.id = req.stock_id "
        "AND perf_stock.qty >= req.qty RETURNING req.line_no, perf_stock.id AS stock_id, req.qty, perf_stock.price), "
        "l AS (INSERT INTO perf_order_line (order_id, line_no, stock_id, qty, unit_price, amount) "
        "SELECT oid.id, s.line_no, s.stock_id, s.qty, s.price, s.price * s.qty FROM oid, s RETURNING amount) "
        "INSERT INTO perf_orders (id, customer_id, warehouse_id, status, created_at, total) "
        "SELECT oid.id, :c, 1, 0, now(), (SELECT sum(amount) FROM l) FROM oid RETURNING id, total;\n"
    )
    paths = {"round trips": directory / "neworder_rt.sql", "one CTE": directory / "neworder_cte.sql"}
    paths["round trips"].write_text("".join(round_trip))
    paths["one CTE"].write_text(_pgbench_sets() + cte)
    return paths


def pgbench_run(url: str, script: Path, clients: int, seconds: int) -> float:
    parsed = urlparse(url)
    command = [
        "pgbench",
        "-h",
        parsed.hostname or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
        "-n",
        "-M",
        "prepared",
        "-c",
        str(clients),
        "-j",
        "2",
        "-T",
        str(seconds),
        "-f",
        str(script),
        parsed.path.lstrip("/"),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", output).group(1))


@contextmanager
def perf_tables():
    """The raw-SQL ceiling's tables (also the bare view's), for the duration of the block."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(SCHEMA)
        cursor.execute("VACUUM ANALYZE perf_stock")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE perf_order_line, perf_orders, perf_stock")


def sql_ceiling(url: str, seconds: int) -> list[tuple[str, int, float]]:
    """The pgbench figures (inside ``perf_tables``)."""
    from django.db import connection

    results = []
    with tempfile.TemporaryDirectory() as directory:
        for label, script in pgbench_scripts(Path(directory)).items():
            for clients in (2, 8):
                with connection.cursor() as cursor:
                    cursor.execute("CHECKPOINT")
                results.append((label, clients, pgbench_run(url, script, clients, seconds)))
    return results


def bare_view_run(url: str, seconds: float, settings_dir: str, database: str, workers: list[int]) -> list:
    """research/performance-anchors.md §3's bare 13-query order view (bench/bare_order_view.py) on
    the raw-SQL tables (inside ``perf_tables``), under the same gunicorn and load as our API."""
    from django.db import connection

    rows = []
    for count in workers:
        port = free_port()
        with serving(port, settings_dir, url, count, app="bare_order_view:application"):
            with connection.cursor() as cursor:
                cursor.execute("CHECKPOINT")
            with ForeignCpu(database) as foreign:
                row = api_run(port, "", [], seconds)
            row["label"] = f"bare 13-query view, {count} workers, 4 clients"
            rows.append((row, foreign))
            with ForeignCpu(database) as foreign:
                row = wrk_run(f"bare 13-query view, {count} workers, wrk", port, "bare_order_wrk.lua", seconds)
            if row:
                rows.append((row, foreign))
    return rows


def compare_rounds(
    url: str, seconds: float, settings_dir: str, token: str, rounds: int, modes: list, others: list[Path] = ()
) -> None:
    """Our API in each mode and the bare view (inside ``perf_tables``) under wrk, one after the
    other, ``rounds`` times, each round starting with the next contestant: this machine's speed
    drifts within minutes, so one pair of runs can mislead; the medians of interleaved runs are the
    comparison to quote. Beside the rates, the
    server's CPU per order (the gunicorn workers and their PostgreSQL backends, ``ServerCpu``),
    which other work on a shared machine changes far less than it changes the rates. ``others``:
    checkouts whose API runs as contestants of their own (in the first mode), e.g. the code
    before a change, or a variant that leaves a piece of work out to see what it costs."""
    contestants = [
        (f"API, {mode_label(*mode)}", "oms.wsgi:application", WRK_SCRIPT, mode_env(*mode), ROOT) for mode in modes
    ]
    for number, code in enumerate(others, 1):
        print(f"API, --also-api-from ({number}): {code}")
        contestants.append(
            (f"API, --also-api-from ({number})", "oms.wsgi:application", WRK_SCRIPT, contestants[0][3], code)
        )
    contestants.append(("bare 13-query view", "bare_order_view:application", "bare_order_wrk.lua", {}, ROOT))
    rates: dict[str, list[float]] = {label: [] for label, *_ in contestants}
    cpu: dict[str, list[float]] = {label: [] for label in rates}
    split: dict[str, list[tuple[float, float]]] = {label: [] for label in rates}
    wal: dict[str, list[float]] = {label: [] for label in rates}
    elsewhere: dict[str, list[float]] = {label: [] for label in rates}
    messages: dict[str, list[float]] = {label: [] for label in rates}
    failed: dict[str, int] = dict.fromkeys(rates, 0)
    database = urlparse(url).path.lstrip("/")
    for round_no in range(rounds):
        # each round starts with the next contestant: the machine's drift within a round then
        # favours no one in particular
        turn = round_no % len(contestants)
        for label, app, script, env, code in contestants[turn:] + contestants[:turn]:
            reset()
            port = free_port()
            with serving(port, settings_dir, url, 2, app=app, extra_env=env, code=code) as server:
                meter = ServerCpu(server.pid, database)
                row = wrk_run("", port, script, seconds, token, meter=meter)
            # from the measured run's start (after the warm-up) until the server has stopped: its
            # workers push what they still hold as they exit
            messages[label].append((queue_length() - meter.queued_from) / max(row["requests"], 1))
            rates[label].append(row["rate"])
            cpu[label].append(meter.seconds * 1000 / max(row["requests"], 1))
            split[label].append((meter.python, meter.database_seconds, row["requests"]))
            wal[label].append(meter.wal_bytes / max(row["requests"], 1))
            elsewhere[label].append(meter.elsewhere * 1000 / max(row["requests"], 1))
            failed[label] += row["failures"]
    report_rounds(rounds, rates, cpu, split, wal, elsewhere, failed)
    print("broker messages per order, the same runs (the events' hand-off after commit: oms.broker):")
    for label, runs in messages.items():
        print(f"  {label:<58} {' '.join(f'{m:5.2f}' for m in runs)}   median {statistics.median(runs):5.2f}")


def report_rounds(rounds: int, rates: dict, cpu: dict, split: dict, wal: dict, elsewhere: dict, failed: dict) -> None:
    bare_label = "bare 13-query view"
    bare, bare_cpu = statistics.median(rates[bare_label]), statistics.median(cpu[bare_label])
    print(f"interleaved wrk runs, 2 workers, {rounds} rounds (orders/s; median; share of the bare view's median):")
    for label, runs in rates.items():
        median = statistics.median(runs)
        note = f"   ({failed[label]} non-2xx answers)" if failed[label] else ""
        print(
            f"  {label:<58} {' '.join(f'{r:4.0f}' for r in runs)}   median {median:4.0f}   {median / bare:4.0%}{note}"
        )
    print("each round's rate as a share of the bare view's in the same round (paired: drift between rounds cancels):")
    for label, runs in rates.items():
        if label != bare_label:
            shares = [r / b for r, b in zip(runs, rates[bare_label], strict=True)]
            print(f"  {label:<58} {' '.join(f'{s:4.0%}' for s in shares)}   median {statistics.median(shares):4.0%}")
    print("server CPU per order, the same runs (ms; median; orders per CPU second as a share of the bare view's):")
    for label, runs in cpu.items():
        median = statistics.median(runs)
        print(f"  {label:<58} {' '.join(f'{r:5.2f}' for r in runs)}   median {median:5.2f}   {bare_cpu / median:4.0%}")
    print("  of which (ms per order; the rounds summed, then each round): gunicorn workers (Python) | PostgreSQL")
    for label, parts in split.items():
        orders = max(sum(n for _, _, n in parts), 1)
        python, database = (sum(p[i] for p in parts) * 1000 / orders for i in (0, 1))
        rounds_split = "  ".join(f"{p * 1000 / max(n, 1):4.2f}|{d * 1000 / max(n, 1):4.2f}" for p, d, n in parts)
        print(f"  {label:<58} Python {python:5.2f}   PostgreSQL {database:5.2f}   by round {rounds_split}")
    print("WAL per order, the same runs (kB; median; each round starts after a checkpoint, so it holds")
    print("the first change of every page since, in full):")
    for label, runs in wal.items():
        median = statistics.median(runs) / 1000
        print(f"  {label:<58} {' '.join(f'{r / 1000:5.1f}' for r in runs)}   median {median:5.1f}")
    print("CPU per order elsewhere on the machine, the same runs (ms; median): wrk, Redis, PostgreSQL's")
    print("background writers, the kernel's network work, and anything else running:")
    for label, runs in elsewhere.items():
        print(f"  {label:<58} {' '.join(f'{r:5.2f}' for r in runs)}   median {statistics.median(runs):5.2f}")


# --- how busy the machine was with other work ---------------------------------------------------------


def _ticks() -> dict[int, tuple[int, str]]:
    """CPU ticks (user + system) and command of every process."""
    result = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        result[int(entry.name)] = (int(fields[11]) + int(fields[12]), command)
    return result


def _wal_position() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        return cursor.fetchone()[0]


def _wal_bytes_since(position: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [position])
        return int(cursor.fetchone()[0])


def _machine_busy_ticks() -> int:
    """Clock ticks every CPU of the machine has spent busy (``/proc/stat``: user, nice, system,
    irq, softirq) since boot."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return user + nice + system + irq + softirq


class ServerCpu:
    """CPU seconds used during a run by a server: the process tree of ``pid`` (gunicorn and its
    workers) and the PostgreSQL backends of ``database``, and by everything else on the machine
    meanwhile (the load generator, Redis, PostgreSQL's background writers, the kernel's network
    work, other sessions); and the bytes of WAL the whole cluster wrote (the same for the same
    work on any day: a measure of the database's work that the machine's speed does not blur)."""

    def __init__(self, pid: int, database: str) -> None:
        self.pid, self.database = pid, database

    def _server_ticks(self) -> dict[int, tuple[int, bool]]:
        """Ticks per process, and whether it is one of gunicorn's (else a PostgreSQL backend)."""
        tree = {self.pid, *_descendants(self.pid)}
        return {
            pid: (ticks, pid in tree)
            for pid, (ticks, command) in _ticks().items()
            if pid in tree or f" {self.database} " in command
        }

    def __enter__(self):
        self.before = self._server_ticks()
        self.machine_before = _machine_busy_ticks()
        self.wal_from = _wal_position()
        self.queued_from = queue_length()  # the events' messages so far
        return self

    def __exit__(self, *exc) -> None:
        after = self._server_ticks()
        machine = _machine_busy_ticks() - self.machine_before
        self.wal_bytes = _wal_bytes_since(self.wal_from)
        hz = os.sysconf("SC_CLK_TCK")
        used = {True: 0, False: 0}
        for pid, (ticks, python) in after.items():
            used[python] += ticks - self.before.get(pid, (0, python))[0]
        self.python, self.database_seconds = used[True] / hz, used[False] / hz
        self.seconds = self.python + self.database_seconds
        self.elsewhere = max(machine / hz - self.seconds, 0.0)


class ForeignCpu:
    """CPU seconds used during a run by processes that are not this benchmark: not its own
    process tree and not the PostgreSQL backends of its database (performance-anchors §5.7)."""

    def __init__(self, database: str) -> None:
        self.database = database

    def __enter__(self):
        self.before = _ticks()
        return self

    def __exit__(self, *exc) -> None:
        after = _ticks()
        hz = os.sysconf("SC_CLK_TCK")
        ours = {os.getpid(), *self._children()}
        foreign = 0
        for pid, (ticks, command) in after.items():
            mine = pid in ours or f" {self.database} " in command or "bench/order_intake" in command
            if not mine:
                foreign += ticks - self.before.get(pid, (0, ""))[0]
        self.seconds = foreign / hz

    @staticmethod
    def _children() -> set[int]:
        return _descendants(os.getpid())


def _descendants(root: int) -> set[int]:
    found, frontier = set(), {root}
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


# --- main ---------------------------------------------------------------------------------------------


def check_books() -> dict:
    from oms import invariants

    names = [name for name in invariants.CHECKS if name.startswith(("orders:", "stock: 0"))]
    return {name: len(rows) for name, rows in invariants.violations(only=names).items()}


def drop_queue() -> None:
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).delete(QUEUE)


def queue_length() -> int:
    """Messages waiting in the events' queue (nobody consumes them while the bench runs)."""
    import redis

    return redis.Redis.from_url(os.environ["REDIS_URL"]).llen(QUEUE)


def print_row(row: dict, foreign: ForeignCpu) -> None:
    failed = f"  ({row['failures']} failed: {', '.join(map(str, row['failure_kinds']))})" if row["failures"] else ""
    tail_name, tail = row["tail"]
    print(
        f"{row['label']:<70} {row['rate']:>6.0f} orders/s   p50 {row['p50']:6.1f} ms   {tail_name} {tail:6.1f} ms"
        f"   foreign CPU {foreign.seconds:4.1f} s{failed}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--skip", nargs="*", default=[], choices=["service", "api", "sql"])
    parser.add_argument("--workers", type=int, nargs="*", default=[2], help="gunicorn sync workers (one run each)")
    parser.add_argument(
        "--rounds", type=int, default=0, help="then this many interleaved wrk runs of the API and the bare view"
    )
    parser.add_argument(
        "--quotes",
        choices=["shipping", "flat", "both"],
        default="shipping",
        help="the delivery quote: shipping's backend, which ships (default), orders' flat-rate stand-in, or both",
    )
    parser.add_argument(
        "--prepared", nargs="+", choices=["on", "off"], default=["on", "off"], help="OMS_PREPARED_STATEMENTS modes"
    )
    parser.add_argument(
        "--also-api-from",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="with --rounds: also the API of another checkout (e.g. before a change), in turn; may be repeated",
    )
    args = parser.parse_args()
    quote_modes = ["shipping", "flat"] if args.quotes == "both" else [args.quotes]
    modes = [(quotes, prepared) for quotes in quote_modes for prepared in args.prepared]
    url = bench_database_url()
    ensure_database(url)
    settings_dir = tempfile.mkdtemp(prefix="bench-orders-")
    Path(settings_dir, "bench_order_intake_settings.py").write_text(SETTINGS)
    os.environ.update(mode_env(*modes[0]))
    setup_django(url, settings_dir)
    seed(args.reseed)
    from django.core.management import call_command

    call_command("demo_shipping", verbosity=0)  # idempotent: the shipped quote's carriers, rates, holidays
    print("configuration: gunicorn sync workers, persistent connections (CONN_MAX_AGE=600), events to Redis;")
    print("  NO Celery worker consumes the events while it measures (their handlers' work is not in these figures)")
    for quotes in quote_modes:
        print(f"delivery quote: {QUOTES[quotes]} ({QUOTE_LABELS[quotes]})")
    reset()
    numbers, token = customer_numbers(), api_token()
    for mode in modes:
        with in_mode(*mode):
            service_queries, api_queries = queries_per_order(numbers, token)
        print(
            f"queries per 10-line order, {mode_label(*mode)}: service {service_queries}, API request {api_queries}"
            " (constant in the lines)"
        )
    database = urlparse(url).path.lstrip("/")
    try:
        for mode in modes if "service" not in args.skip else []:
            for threads in (2, 8):
                reset()
                with in_mode(*mode), ForeignCpu(database) as foreign:
                    row = service_run(threads, args.seconds, numbers)
                row["label"] += f" ({mode_label(*mode)})"
                print_row(row, foreign)
        for mode in modes if "api" not in args.skip else []:
            for workers in args.workers:
                api_rows(url, args.seconds, settings_dir, database, token, numbers, workers, mode)
        print("invariant violations after the runs:", check_books() or "none")
        with perf_tables():
            if "sql" not in args.skip:
                for label, clients, tps in sql_ceiling(url, int(args.seconds)):
                    print(f"{'raw SQL (pgbench), ' + label + f', {clients} clients':<70} {tps:>6.0f} orders/s")
                for row, foreign in bare_view_run(url, args.seconds, settings_dir, database, args.workers):
                    print_row(row, foreign)
            if args.rounds and shutil.which("wrk"):
                compare_rounds(url, args.seconds, settings_dir, token, args.rounds, modes, args.also_api_from)
    finally:
        drop_queue()
        reset()


def api_rows(url, seconds, settings_dir, database, token, numbers, workers: int, mode) -> None:
    """The API under gunicorn in one mode: Python clients, then wrk."""
    reset()
    port = free_port()
    with serving(port, settings_dir, url, workers, extra_env=mode_env(*mode)):
        with ForeignCpu(database) as foreign:
            row = api_run(port, token, numbers, seconds)
        row["label"] = f"API, {workers} workers, 4 clients ({mode_label(*mode)})"
        print_row(row, foreign)
        reset()
        with ForeignCpu(database) as foreign:
            row = wrk_run(f"API, {workers} workers, wrk ({mode_label(*mode)})", port, WRK_SCRIPT, seconds, token)
        if row:
            print_row(row, foreign)


if __name__ == "__main__":
    main()
