"""Benchmark: the stock screens and the availability API at 100k products x 3 warehouses.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms .venv/bin/python bench/stock_screen.py [--requests 60]

It works in its own database, ``<name of DATABASE_URL's database>_bench`` (created, migrated and
seeded once, then reused; ``--reseed`` starts over), so the demo data is never touched. It seeds
100,000 products (names built from the UCI catalogue's words, every one with an EAN-13) in
three warehouses: 300,000 stock levels with stock, reorder points (about 10% below them, 5% out
of stock), reservations, an opening receipt each, and 5,000 expected receipts.

It prints p50/p95/max server time per scenario: each request goes through the whole Django
stack in process (middleware, session, role check, view, template) with Django's test client,
so network time is left out. Target (issue 3): p95 under 150 ms.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/scratchdb.py
from scratchdb import ensure_database, scratch_database_url  # noqa: E402

PRODUCTS = 100_000
WAREHOUSES = [("AMS", "Amsterdam", 10), ("RTM", "Rotterdam", 20), ("UTR", "Utrecht", 30)]
STAMP = "2026-01-01 00:00:00+00"
WORDS = ["RED", "BLUE", "GREEN", "PINK", "VINTAGE", "LARGE", "SMALL", "SET", "GIFT", "RETRO"]


def bench_database_url() -> str:
    return scratch_database_url("_bench")


def setup_django(url: str, cached_templates: bool) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.base")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.conf import settings

    if cached_templates:
        # What-if: the settings list their template loaders explicitly, which leaves Django's
        # cached loader out, so every request parses its templates again.
        options = settings.TEMPLATES[0]["OPTIONS"]
        partials, inner = options["loaders"][0]
        options["loaders"] = [(partials, [("django.template.loaders.cached.Loader", inner)])]
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- seeding ------------------------------------------------------------------------------------


def seed(reseed: bool) -> None:
    from django.db import connection

    from inventory.models import Product
    from inventory.services import warehouse_upsert

    if reseed:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE inventory_product, inventory_warehouse, inventory_productevent, "
                "inventory_warehouseevent CASCADE"
            )
    if Product.objects.count() >= PRODUCTS:
        return
    started = time.perf_counter()
    for code, city, priority in WAREHOUSES:
        warehouse_upsert(code=code, name=city, city=city, priority=priority)
    _copy_products()
    _stock_levels()
    with connection.cursor() as cursor:
        # The seeding updates left every level twice over; compact to a steady-state table.
        cursor.execute("VACUUM FULL inventory_stocklevel")
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded {PRODUCTS:,} products x {len(WAREHOUSES)} warehouses in {time.perf_counter() - started:.1f} s")


def _copy_products() -> None:
    from django.db import connection
    from stdnum import ean

    names = [row["description"] for row in csv.DictReader((ROOT / "inventory/data/uci_products.csv").open())]
    rng = random.Random(100)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for n in range(PRODUCTS):
        name = f"{rng.choice(names).title()} {rng.choice(WORDS).title()} {n % 97}"
        body = f"871{n:09d}"
        price = f"{rng.randint(50, 20000) / 100:.2f}"
        barcode = body + ean.calc_check_digit(body)
        writer.writerow([f"B{n:06d}", name, "", price, "high", rng.randint(50, 3000), barcode, "t", STAMP, STAMP])
    buffer.seek(0)
    with connection.cursor() as cursor:
        # COPY fires the statement trigger once: 300k stock levels in the same statement.
        cursor.cursor.copy_expert(
            "COPY inventory_product (sku, name, description, list_price, vat_category, weight_grams, barcode, "
            "active, created_at, updated_at) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (description))",
            buffer,
        )


def _stock_levels() -> None:
    from django.db import connection

    statements = [
        "SELECT setseed(0.42)",
        # Stock, a reorder point, ~5% empty, ~10% below the reorder point, some reservations.
        """UPDATE inventory_stocklevel SET
             reorder_point = 5 + (random() * 20)::int,
             reorder_quantity = 40,
             on_hand = CASE WHEN random() < 0.05 THEN 0 ELSE 30 + (random() * 200)::int END""",
        "UPDATE inventory_stocklevel SET on_hand = (random() * (reorder_point - 1))::int "
        "WHERE on_hand > 0 AND random() < 0.11",
        "UPDATE inventory_stocklevel SET reserved = (random() * on_hand * 0.3)::int WHERE random() < 0.2",
        # An opening receipt per level, so on_hand equals the sum of the movements.
        """INSERT INTO inventory_stockmovement (product_id, warehouse_id, kind, quantity, on_hand_after, reference,
             reason, created_at)
           SELECT product_id, warehouse_id, 'receipt', on_hand, on_hand, 'opening stock', '', now() - interval '30 days'
           FROM inventory_stocklevel WHERE on_hand > 0""",
        """INSERT INTO inventory_expectedreceipt
             (product_id, warehouse_id, quantity, expected_date, reference, updated_at)
           SELECT product_id, warehouse_id, 50, current_date + (1 + (id % 20))::int, 'PO-BENCH-' || (id % 500), now()
           FROM inventory_stocklevel WHERE id % 60 = 0""",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


# --- measuring ----------------------------------------------------------------------------------


def scenarios(product_skus: list[str]) -> list[tuple[str, callable]]:
    from django.test import Client

    from oms.api_clients import api_client_create
    from oms.roles import Role

    page = Client()
    page.force_login(_user("bench-warehouse", Role.WAREHOUSE))
    api = Client(HTTP_AUTHORIZATION=f"Token {api_client_create(name='bench stock screen', scopes=['all'])[1]}")
    rng = random.Random(7)
    htmx = {"HTTP_HX_REQUEST": "true"}
    # Words from the names, SKU prefixes as they are typed (B0, B09, B091, ...), a two-word search.
    searches = ["heart", "vintage red", "B0123", "christmas", "bag", "B09", "B0", "lunch box", "candle", "retro set"]
    ams = _ams()

    def overview(params, **headers):
        return lambda: page.get("/inventory/", params() if callable(params) else params, **headers)

    return [
        ("overview: first page (full page)", overview({})),
        ("overview: deep page 200 (htmx)", overview({"page": "200"}, **htmx)),
        ("overview: search as you type (htmx)", overview(lambda: {"q": rng.choice(searches)}, **htmx)),
        ("overview: exact barcode (htmx)", overview(lambda: {"q": _barcode(rng)}, **htmx)),
        ("overview: below reorder point, page 1", overview({"status": "low"}, **htmx)),
        ("overview: below reorder point, page 40", overview({"status": "low", "page": "40"}, **htmx)),
        ("overview: AMS, sorted by available", overview({"warehouse": ams, "sort": "available"}, **htmx)),
        ("overview: all, sorted by name, page 10", overview({"sort": "name", "page": "10"}, **htmx)),
        ("overview: all, most on hand first", overview({"sort": "-on_hand"}, **htmx)),
        ("product page", lambda: page.get(f"/inventory/products/{rng.choice(product_skus)}/")),
        ("API availability", lambda: api.get(f"/api/v1/products/{rng.choice(product_skus)}/availability/")),
    ]


def _ams() -> str:
    from inventory.models import Warehouse

    return str(Warehouse.objects.get(code="AMS").pk)


def _barcode(rng) -> str:
    from stdnum import ean

    body = f"871{rng.randrange(PRODUCTS):09d}"
    return body + ean.calc_check_digit(body)


def _user(username: str, role: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


def measure(name: str, call, requests: int) -> tuple[float, float, float]:
    for _ in range(3):
        assert call().status_code == 200, name
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = call()
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (name, response.status_code)
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    return statistics.median(timings), p95, timings[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--cached-templates", action="store_true", help="wrap the template loaders in the cached one")
    args = parser.parse_args()
    url = bench_database_url()
    ensure_database(url)
    setup_django(url, args.cached_templates)
    seed(args.reseed)
    from inventory.models import Product

    skus = list(Product.objects.order_by("?").values_list("sku", flat=True)[:500])
    print(f"{'scenario':<44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    worst = 0.0
    for name, call in scenarios(skus):
        p50, p95, slowest = measure(name, call, args.requests)
        worst = max(worst, p95)
        print(f"{name:<44} {p50:>8.1f} {p95:>8.1f} {slowest:>8.1f}")
    print(f"worst p95: {worst:.1f} ms (target < 150 ms)")


if __name__ == "__main__":
    main()
