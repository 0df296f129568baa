"""Benchmark: order intake at 100k products (issue 4 "Benchmark").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_ord .venv/bin/python bench/order_intake.py \
        [--seconds 15] [--port 8104] [--reseed] [--quotes flat|shipping]

It works in its own database, ``<name of DATABASE_URL's database>_bench`` (created, migrated and
seeded once, then reused; ``--reseed`` starts over). Seeded: 100,000 products in two
warehouses (200,000 stock levels with plenty of stock and an opening receipt each), 1,000
customers with an address, an API user with a token. Orders, the outbox and idempotency
records are emptied before each run.

Every order has 10 lines (line i from the i-th tenth of the catalogue, quantity 1..3, so the
stock rows are distinct and hot rows are rare, as in performance-anchors.md §2) and is placed
with the real work: customer by number, prices and VAT, reservation, allocations, the
delivery quote (orders' flat-rate stand-in by default; ``--quotes shipping`` asks shipping's
backend, with its demo carriers), timeline, two outbox events handed to Redis after commit (a queue of its own,
deleted at the end), and through the API the token, role check and Idempotency-Key.

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
service and the API. Numbers from another day are not comparable (this machine's speed varies
by a factor of two between sessions): compare rows of one run.
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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
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
SETTINGS = f"""
from oms.settings.base import *  # noqa
DEBUG = False
CELERY_TASK_DEFAULT_QUEUE = "{QUEUE}"
OMS_DELIVERY_QUOTE_BACKEND = "{{backend}}"
LOGGING["root"]["level"] = "WARNING"  # noqa
"""


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
    """Queries of one order through the service, and of one API request (in process)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    rng = random.Random(99)
    place_one(rng, numbers, None)
    with CaptureQueriesContext(connection) as service:
        place_one(rng, numbers, None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.post("/api/v1/orders/", order_body(rng, numbers), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    with CaptureQueriesContext(connection) as api:
        response = client.post(
            "/api/v1/orders/", order_body(rng, numbers), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
        )
    assert response.status_code == 201, response.content
    return len(service), len(api)


# --- 2. the HTTP API under gunicorn -------------------------------------------------------------------


def start_gunicorn(
    port: int, settings_dir: str, url: str, workers: int = 2, app: str = "oms.wsgi:application"
) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="bench_order_intake_settings", CONN_MAX_AGE="600")
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
            f"{settings_dir},{ROOT},{ROOT / 'bench'}",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health/")
            connection.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


@contextmanager
def serving(port: int, settings_dir: str, url: str, workers: int = 2, app: str = "oms.wsgi:application"):
    """gunicorn serving ``app`` for the duration of the block."""
    process = start_gunicorn(port, settings_dir, url, workers, app)
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


def wrk_run(label: str, port: int, script: str, seconds: float, token: str = "") -> dict | None:
    """The anchors' load generator (C, next to no CPU of its own): ``-t2 -c4`` after a 3 s warm-up,
    ``None`` when wrk is not installed."""
    if shutil.which("wrk") is None:
        return None
    env = dict(os.environ, TOKEN=token)
    base = ["wrk", "-t2", "-c4", "--timeout", "5s", "-s", str(ROOT / "bench" / script), f"http://127.0.0.1:{port}/"]
    subprocess.run(base[:1] + ["-d3s"] + base[1:], env=env, capture_output=True, check=True)
    output = subprocess.run(
        base[:1] + [f"-d{int(seconds)}s", "--latency"] + base[1:], env=env, capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "label": label,
        "rate": rate,
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


def bare_view_run(url: str, seconds: float, port: int, settings_dir: str, database: str, workers: list[int]) -> list:
    """research/performance-anchors.md §3's bare 13-query order view (bench/bare_order_view.py) on
    the raw-SQL tables (inside ``perf_tables``), under the same gunicorn and load as our API."""
    from django.db import connection

    rows = []
    for count in workers:
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


def compare_rounds(url: str, seconds: float, port: int, settings_dir: str, token: str, rounds: int) -> None:
    """Our API and the bare view (inside ``perf_tables``) under wrk, alternately, ``rounds`` times
    each: this machine's speed drifts within minutes, so one pair of runs can mislead; the
    medians of interleaved runs are the comparison to quote."""
    ours, bare = [], []
    for _ in range(rounds):
        for app, script, rates in (
            ("oms.wsgi:application", WRK_SCRIPT, ours),
            ("bare_order_view:application", "bare_order_wrk.lua", bare),
        ):
            reset()
            with serving(port, settings_dir, url, 2, app=app):
                rates.append(wrk_run("", port, script, seconds, token)["rate"])
    print(f"interleaved wrk runs, 2 workers: API {' '.join(f'{r:.0f}' for r in ours)} orders/s")
    print(f"                            bare view {' '.join(f'{r:.0f}' for r in bare)} orders/s")
    ratio = statistics.median(ours) / statistics.median(bare)
    print(f"medians: API {statistics.median(ours):.0f}, bare view {statistics.median(bare):.0f} ({ratio:.0%})")


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
        found, frontier = set(), {os.getpid()}
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


def print_row(row: dict, foreign: ForeignCpu) -> None:
    failed = f"  ({row['failures']} failed: {', '.join(map(str, row['failure_kinds']))})" if row["failures"] else ""
    tail_name, tail = row["tail"]
    print(
        f"{row['label']:<42} {row['rate']:>6.0f} orders/s   p50 {row['p50']:6.1f} ms   {tail_name} {tail:6.1f} ms"
        f"   foreign CPU {foreign.seconds:4.1f} s{failed}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--port", type=int, default=8104)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--skip", nargs="*", default=[], choices=["service", "api", "sql"])
    parser.add_argument("--workers", type=int, nargs="*", default=[2], help="gunicorn sync workers (one run each)")
    parser.add_argument(
        "--rounds", type=int, default=0, help="then this many interleaved wrk runs of the API and the bare view"
    )
    parser.add_argument(
        "--quotes",
        choices=["flat", "shipping"],
        default="flat",
        help="the delivery quote: orders' flat-rate stand-in, or shipping's backend with its demo carriers",
    )
    args = parser.parse_args()
    url = bench_database_url()
    ensure_database(url)
    settings_dir = tempfile.mkdtemp(prefix="bench-orders-")
    backend = "shipping.quotes.quote_delivery" if args.quotes == "shipping" else "orders.quotes.quote_delivery"
    Path(settings_dir, "bench_order_intake_settings.py").write_text(SETTINGS.replace("{backend}", backend))
    setup_django(url, settings_dir)
    seed(args.reseed)
    if args.quotes == "shipping":
        from django.core.management import call_command

        call_command("demo_shipping", verbosity=0)
    print(f"delivery quotes: {backend}")
    reset()
    numbers, token = customer_numbers(), api_token()
    service_queries, api_queries = queries_per_order(numbers, token)
    print(f"queries per 10-line order: service {service_queries}, API request {api_queries} (constant in the lines)")
    database = urlparse(url).path.lstrip("/")
    try:
        if "service" not in args.skip:
            for threads in (2, 8):
                reset()
                with ForeignCpu(database) as foreign:
                    row = service_run(threads, args.seconds, numbers)
                print_row(row, foreign)
        for workers in args.workers if "api" not in args.skip else []:
            reset()
            with serving(args.port, settings_dir, url, workers):
                with ForeignCpu(database) as foreign:
                    row = api_run(args.port, token, numbers, args.seconds)
                row["label"] = row["label"].replace("2 workers", f"{workers} workers")
                print_row(row, foreign)
                reset()
                with ForeignCpu(database) as foreign:
                    row = wrk_run(f"API, gunicorn {workers} workers, wrk", args.port, WRK_SCRIPT, args.seconds, token)
                if row:
                    print_row(row, foreign)
        print("invariant violations after the runs:", check_books() or "none")
        with perf_tables():
            if "sql" not in args.skip:
                for label, clients, tps in sql_ceiling(url, int(args.seconds)):
                    print(f"{'raw SQL (pgbench), ' + label + f', {clients} clients':<42} {tps:>6.0f} orders/s")
                for row, foreign in bare_view_run(url, args.seconds, args.port, settings_dir, database, args.workers):
                    print_row(row, foreign)
            if args.rounds and shutil.which("wrk"):
                compare_rounds(url, args.seconds, args.port, settings_dir, token, args.rounds)
    finally:
        drop_queue()
        reset()


if __name__ == "__main__":
    main()
