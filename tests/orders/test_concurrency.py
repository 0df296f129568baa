"""Orders under concurrency, on PostgreSQL with real threads, connections and API clients.

Each test runs a bounded pool of threads that start at one barrier; every thread closes its own
database connection at the end (tests/concurrency/test_stock_races.py's helper)."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from oms import invariants
from oms.api_clients import api_client_create
from orders.models import Order, OrderLine
from tests.concurrency.test_stock_races import deadlocks, run_concurrently
from tests.factories.inventory import ProductFactory, WarehouseFactory, level, stock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
URL = "/api/v1/orders/"


@pytest.fixture
def setup(make_user):
    from tests.factories.customers import AddressFactory, CustomerFactory

    warehouse = WarehouseFactory(code="AMS")
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    token = api_client_create(name="webshop", scopes=["all"])[1]
    return warehouse, customer, token


def client_for(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_many_api_clients_ordering_the_last_units_never_oversell(setup):
    # given 3 products with 12, 12 and 6 units
    warehouse, customer, token = setup
    products = [ProductFactory(sku=f"LAST-{i}") for i in range(3)]
    for product, units in zip(products, (12, 12, 6), strict=True):
        stock(product, warehouse, units)
    rng = random.Random(4)
    bodies = []
    for n in range(48):
        picked = rng.sample(products, rng.choice((1, 2, 3)))
        lines = [{"sku": p.sku, "quantity": rng.choice((1, 2))} for p in picked]
        policy = "reject" if n % 2 else "allow"
        bodies.append(
            {"channel": "web", "customer": {"number": customer.number}, "lines": lines, "backorder_policy": policy}
        )
    before = deadlocks()

    # when 12 clients send 48 orders at once
    def post(body):
        return client_for(token).post(URL, body, format="json")

    responses = run_concurrently(post, bodies, workers=12)

    # then every answer is 201 or a 409 for stock, never a 5xx, and nothing is oversold
    statuses = [getattr(r, "status_code", repr(r)) for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    assert any(s == 409 for s in statuses) and any(s == 201 for s in statuses)
    for response in responses:
        if response.status_code == 409:
            assert {e["code"] for e in response.json()["errors"]} == {"insufficient_stock"}
    for product in products:
        lv = level(product, warehouse)
        held = sum(OrderLine.objects.filter(product=product).values_list("quantity_allocated", flat=True))
        assert lv.reserved == held <= lv.on_hand
    assert Order.objects.count() == statuses.count(201)
    time.sleep(0.6)  # backends flush their statistics at most once a second
    assert deadlocks() == before
    assert invariants.violations() == {}


def test_concurrent_repeats_of_one_idempotency_key_make_one_order(setup):
    warehouse, customer, token = setup
    product = ProductFactory(sku="ONCE")
    stock(product, warehouse, 100)
    body = {"channel": "web", "customer": {"number": customer.number}, "lines": [{"sku": "ONCE", "quantity": 3}]}

    def post(_):
        return client_for(token).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="same-key-1")

    responses = run_concurrently(post, range(8), workers=8)
    statuses = sorted(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses == [201] * 8, statuses
    assert len({r.json()["number"] for r in responses}) == 1
    assert sum(r.get("Idempotent-Replayed") == "true" for r in responses) == 7
    assert Order.objects.count() == 1 and level(product, warehouse).reserved == 3
    assert invariants.violations() == {}


def test_backorders_cancels_and_receipts_racing_keep_the_books_straight(setup):
    # given 20 orders of 2 units waiting for a product with no stock
    from inventory.services import stock_receive
    from orders.services import order_allocate_backorders, order_cancel, order_place

    warehouse, customer, _ = setup
    product = ProductFactory(sku="RACE")
    orders = [
        order_place(channel="web", customer=customer, lines=[{"sku": "RACE", "quantity": 2}], user=None)
        for _ in range(20)
    ]
    before = deadlocks()
    barrier = threading.Barrier(3)

    # when receipts (with their allocation), cancels and allocation passes run at once
    def receive():
        barrier.wait()
        try:
            for _ in range(5):
                stock_receive(product_id=product.pk, warehouse_id=warehouse.pk, quantity=3, reference="PO")
                order_allocate_backorders(product_id=product.pk)
        finally:
            connection.close()

    def cancel():
        barrier.wait()
        try:
            for order in orders[::3]:
                order_cancel(order=order, user=None)
        finally:
            connection.close()

    def allocate():
        barrier.wait()
        try:
            for _ in range(5):
                order_allocate_backorders(product_id=product.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=fn) for fn in (receive, cancel, allocate)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    order_allocate_backorders(product_id=product.pk)  # what the cancel handlers would do

    # then all 15 units are held by the oldest of the 13 open orders (7 whole, 1 in part)
    lv = level(product, warehouse)
    assert (lv.on_hand, lv.reserved) == (15, 15)
    open_lines = OrderLine.objects.filter(order__status__in=["allocated", "backordered"]).order_by("order_id")
    held = [line.quantity_allocated for line in open_lines]
    assert held == [2] * 7 + [1] + [0] * 5, held
    time.sleep(0.6)
    assert deadlocks() == before
    assert invariants.violations() == {}
