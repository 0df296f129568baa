"""Benchmark: the scheduled reorder scan over 100,000 stock levels (issue 5: under 10 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms .venv/bin/python bench/reorder_scan.py [--runs 3]

It works in its own database, ``<name of DATABASE_URL's database>_bench_reorder`` (created,
migrated and seeded once, then reused; ``--reseed`` starts over), so the demo data is never
touched. It seeds 50,000 products in two warehouses (100,000 stock levels) with reorder points
and stock (about 30% of the levels below their point), 5,000 expected receipts (some of which
lift a level back over its point), 30 suppliers and a preferred supplier product with a
minimum order quantity and pack size for every product.

Each run deletes the open requests, then times a full scan (finding the low levels and
raising a request for each, in batches) and a rerun (which must raise none), and prints the
numbers with the time of the candidate query alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/scratchdb.py
from scratchdb import ensure_database, scratch_database_url  # noqa: E402

PRODUCTS = 50_000
SUPPLIERS = 30


def bench_database_url() -> str:
    return scratch_database_url("_bench_reorder")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings.base"
    os.environ["DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("REDIS_URL", None)
    os.environ["OMS_TASKS_INLINE"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


SEED_SQL = [
    # Products: the statement-level trigger gives every product a level in both warehouses.
    f"""INSERT INTO inventory_product (sku, name, description, list_price, vat_category, weight_grams, active,
                                       created_at, updated_at)
        SELECT 'B-' || lpad(n::text, 6, '0'), 'Bench product ' || n, '', (1 + n % 40)::numeric + 0.95, 'high',
               100, true, now(), now()
        FROM generate_series(1, {PRODUCTS}) n""",
    # Stock and reorder settings, deterministic per level: about 30 % below the reorder point.
    """UPDATE inventory_stocklevel SET
           reorder_point = 5 + id % 20,
           reorder_quantity = 20 + id % 60,
           on_hand = CASE WHEN id % 10 < 3 THEN id % 5 ELSE 40 + id % 50 END""",
    """INSERT INTO inventory_expectedreceipt (product_id, warehouse_id, quantity, expected_date, reference, updated_at)
       SELECT product_id, warehouse_id, 10 + id % 30, current_date + (id % 20)::int, 'PO-BENCH-' || id, now()
       FROM inventory_stocklevel WHERE id % 20 = 0""",
    f"""INSERT INTO purchasing_supplier (name, contact_name, email, phone, address, postal_code, city, country,
                                        vat_id, payment_terms_days, lead_time_days, active, notes, created_at,
                                        updated_at)
        SELECT 'Bench supplier ' || n, '', 'orders' || n || '@bench.example', '', '', '', '', 'NL', '', 30,
               2 + n % 10, true, '', now(), now()
        FROM generate_series(1, {SUPPLIERS}) n""",
    """INSERT INTO purchasing_supplierproduct (supplier_id, product_id, supplier_sku, unit_cost, min_order_quantity,
                                               pack_size, lead_time_days, preferred)
       SELECT s.id, p.id, 'S-' || p.sku, round(p.list_price * 0.55, 2), (ARRAY[1, 6, 12, 24])[1 + p.id % 4],
              (ARRAY[1, 6, 12, 24])[1 + p.id % 4], NULL, true
       FROM inventory_product p
       JOIN purchasing_supplier s ON s.name = 'Bench supplier ' || (1 + p.id % 30)""",
]


def seed(reseed: bool) -> None:
    from django.db import connection

    from inventory.models import Product, Warehouse
    from inventory.services import warehouse_upsert

    if Product.objects.filter(sku__startswith="B-").exists() and not reseed:
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE purchasing_goodsreceiptline, purchasing_goodsreceipt, purchasing_timelineentry, "
            "purchasing_purchaseorderline, purchasing_purchaseorder, purchasing_reorderrequest, "
            "purchasing_supplierproduct, purchasing_supplier, inventory_expectedreceipt, inventory_stockmovement, "
            "inventory_stocklevel, inventory_product CASCADE"
        )
    if not Warehouse.objects.exists():
        warehouse_upsert(code="AMS", name="Amsterdam", country="NL")
        warehouse_upsert(code="RTM", name="Rotterdam", country="NL")
    with connection.cursor() as cursor:
        for sql in SEED_SQL:
            cursor.execute(sql)
        cursor.execute("VACUUM ANALYZE inventory_stocklevel")
        cursor.execute("ANALYZE inventory_expectedreceipt")
        cursor.execute("ANALYZE purchasing_supplierproduct")
    print(f"seeded {PRODUCTS:,} products x 2 warehouses in {time.perf_counter() - started:.1f} s")


def worst_case() -> None:
    """Every level below its reorder point at once (a stock-take that zeroed everything)."""
    from django.db import connection

    from purchasing.models import ReorderRequest
    from purchasing.services import reorder_scan

    with connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_stocklevel SET on_hand = 0")
        ReorderRequest.objects.all().delete()
        cursor.execute("VACUUM ANALYZE inventory_stocklevel")
        cursor.execute("VACUUM ANALYZE purchasing_reorderrequest")
    started = time.perf_counter()
    created = reorder_scan()
    elapsed = time.perf_counter() - started
    print(f"worst case: every level low, raised {created:,} in {elapsed:.2f} s")
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL[1])  # the seeded stock again
        ReorderRequest.objects.all().delete()
        cursor.execute("VACUUM ANALYZE inventory_stocklevel")
        cursor.execute("VACUUM ANALYZE purchasing_reorderrequest")


def run(runs: int) -> None:
    from django.db import connection

    from inventory.models import StockLevel
    from purchasing import selectors
    from purchasing.models import ReorderRequest
    from purchasing.services import reorder_scan

    levels = StockLevel.objects.count()
    print(f"stock levels: {levels:,}")
    scans, reruns, queries = [], [], []
    for _ in range(runs):
        ReorderRequest.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE purchasing_reorderrequest")
        started = time.perf_counter()
        candidates = len(selectors.reorder_scan_level_ids())
        queries.append(time.perf_counter() - started)
        started = time.perf_counter()
        created = reorder_scan()
        scans.append(time.perf_counter() - started)
        started = time.perf_counter()
        again = reorder_scan()
        reruns.append(time.perf_counter() - started)
        assert again == 0, f"a rerun raised {again}"
        print(f"  candidates {candidates:,}  raised {created:,}  rerun raised {again}")
    print(f"candidate query      median {statistics.median(queries):6.2f} s  (min {min(queries):.2f})")
    print(
        f"full scan (raising)  median {statistics.median(scans):6.2f} s  (min {min(scans):.2f}, max {max(scans):.2f})"
    )
    print(f"rerun (raises none)  median {statistics.median(reruns):6.2f} s  (min {min(reruns):.2f})")
    print("target: under 10 s for 100k stock levels:", "OK" if max(scans) < 10 else "MISSED")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    url = bench_database_url()
    ensure_database(url)
    setup_django(url)
    seed(args.reseed)
    run(args.runs)
    worst_case()


if __name__ == "__main__":
    main()
