"""Stock under concurrency, on PostgreSQL with real threads and connections
(reliability-security.md §1.4 INV-1, INV-2, INV-3).

Each test runs its jobs on a bounded pool of threads (the test database server is shared, so
not 200 connections at once) that all start at one barrier; every thread closes its own
connection at the end.
"""

from __future__ import annotations

import queue
import random
import threading
import time

import pytest
from django.db import connection, transaction

from inventory.models import StockLevel
from inventory.services import ReserveLine, product_upsert, stock_receive, stock_reserve, warehouse_upsert
from oms import invariants
from oms.errors import InsufficientStock
from tests.factories.inventory import ProductFactory, WarehouseFactory, level, stock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
WORKERS = 20


def run_concurrently(job, payloads, workers=WORKERS):
    """Run ``job(payload)`` for every payload on ``workers`` threads; returns results in
    payload order: the return value, or the exception raised."""
    todo: queue.Queue = queue.Queue()
    for index, payload in enumerate(payloads):
        todo.put((index, payload))
    results: list = [None] * len(payloads)
    barrier = threading.Barrier(workers)

    def worker():
        try:
            barrier.wait()
            while True:
                try:
                    index, payload = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[index] = job(payload)
                except Exception as exc:  # kept and asserted on by the test
                    results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def reserve_in_own_transaction(lines):
    with transaction.atomic():
        result = stock_reserve(lines=lines)
        time.sleep(0.001)  # hold the locks a moment, as a real order placement does
        return result


def test_stock_reserve_200_single_units_against_50_exactly_50_succeed():
    # given
    warehouse = WarehouseFactory(code="AMS")
    product = ProductFactory()
    stock(product, warehouse, 50)
    # when
    results = run_concurrently(reserve_in_own_transaction, [[ReserveLine(product.pk, 1)] for _ in range(200)])
    # then
    won = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert len(won) == 50 and len(refused) == 150, {type(r).__name__ for r in results}
    lv = level(product, warehouse)
    assert (lv.on_hand, lv.reserved) == (50, 50)
    assert invariants.violations() == {}


def test_stock_reserve_200_three_line_orders_in_random_order_never_deadlock():
    # given: 10 SKUs of 45 units, 200 orders of 3 distinct SKUs: some orders must be refused
    warehouse = WarehouseFactory(code="AMS")
    products = [ProductFactory() for _ in range(10)]
    for product in products:
        stock(product, warehouse, 45)
    rng = random.Random(7)
    orders = [[ReserveLine(p.pk, 1) for p in rng.sample(products, 3)] for _ in range(200)]
    before = deadlocks()
    # when
    results = run_concurrently(reserve_in_own_transaction, orders)
    # then: every order all or nothing, and the reserved totals are exactly the winners' lines
    assert all(isinstance(r, (list, InsufficientStock)) for r in results), {type(r).__name__ for r in results}
    won = [order for order, r in zip(orders, results, strict=True) if isinstance(r, list)]
    assert all(len(r) == 3 for r in results if isinstance(r, list))
    assert len(won) < 200
    for product in products:
        expected = sum(1 for order in won for line in order if line.product_id == product.pk)
        assert level(product, warehouse).reserved == expected
    time.sleep(0.6)  # statistics are flushed by backends at most once a second
    assert deadlocks() == before
    assert invariants.violations() == {}


def test_the_first_reservations_on_a_just_created_pair_race_safely():
    warehouse = WarehouseFactory(code="AMS")
    for round_ in range(8):
        # given: a product created a moment ago, and its first receipt
        product, _ = product_upsert(sku=f"NEW-{round_}", name="New", list_price="1.00", vat_category="high")
        stock_receive(product_id=product.pk, warehouse_id=warehouse.pk, quantity=10, reference="first")
        # when: four orders of 8 arrive together
        results = run_concurrently(reserve_in_own_transaction, [[ReserveLine(product.pk, 8)]] * 4, workers=4)
        # then
        assert sum(isinstance(r, list) for r in results) == 1
        assert sum(isinstance(r, InsufficientStock) for r in results) == 3
        assert level(product, warehouse).reserved == 8


def test_products_and_a_warehouse_created_at_the_same_moment_all_get_levels():
    WarehouseFactory(code="AMS")

    def create(payload):
        kind, n = payload
        if kind == "warehouse":
            return warehouse_upsert(code=f"WH{n}", name=f"Warehouse {n}")
        with transaction.atomic():
            product_upsert(sku=f"RACE-{n}", name="Race", list_price="1.00", vat_category="high")
            time.sleep(0.005)  # a product transaction still open while the warehouse arrives

    jobs = [("product", n) for n in range(12)] + [("warehouse", 1), ("warehouse", 2)]
    results = run_concurrently(create, jobs, workers=len(jobs))
    assert not [r for r in results if isinstance(r, Exception)]
    assert StockLevel.objects.count() == 12 * 3
    assert invariants.violations() == {}


def test_a_warehouse_is_created_while_products_are_being_updated():
    """Issue 14 §4: the warehouse trigger used to take a SHARE lock on the whole product table,
    so it waited for every open product update (and deadlocked with a product PUT). Now a
    warehouse is created while product updates are open, and they finish too."""
    # given products, two of them being updated in transactions that stay open for a while
    WarehouseFactory(code="AMS")
    products = [ProductFactory(sku=f"UPD-{n}") for n in range(4)]
    updating = threading.Barrier(3)
    timings: dict[str, float] = {}

    def update(product):
        try:
            with transaction.atomic():
                product_upsert(sku=product.sku, name="Renamed", list_price="2.00", vat_category="high")
                updating.wait()
                time.sleep(2)
        finally:
            connection.close()

    def create_warehouse():
        try:
            updating.wait()
            started = time.monotonic()
            warehouse_upsert(code="NEW", name="New warehouse")
            timings["warehouse"] = time.monotonic() - started
        finally:
            connection.close()

    threads = [threading.Thread(target=update, args=(p,)) for p in products[:2]]
    threads.append(threading.Thread(target=create_warehouse))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # then the warehouse did not wait for the updates, and it has a level for every product
    assert timings["warehouse"] < 1.0, timings
    assert StockLevel.objects.filter(warehouse__code="NEW").count() == len(products)
    assert StockLevel.objects.filter(product__name="Renamed").count() == 2 * 2
    assert invariants.violations() == {}
