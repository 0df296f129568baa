"""The scheduled scan at scale: its SQL arithmetic agrees with ``purchasing.rules``, its query
count does not grow with the number of levels, and a few thousand levels take well under a
second (bench/reorder_scan.py measures 100,000)."""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Product, StockLevel
from inventory.services import expected_receipt_set
from purchasing import rules
from purchasing.models import ReorderRequest, SupplierProduct
from purchasing.services import reorder_scan
from tests.factories.inventory import ProductFactory, WarehouseFactory
from tests.factories.purchasing import SupplierFactory

pytestmark = pytest.mark.django_db


def seed_levels(count: int, rng: random.Random, warehouses) -> list:
    """``count`` products in the warehouses, with random stock and reorder settings written
    straight to the levels (the scan reads levels, not movements), and random supplier terms
    (a fifth of the products without a supplier)."""
    products = Product.objects.bulk_create(ProductFactory.build_batch(count))  # one INSERT, levels by trigger
    suppliers = [SupplierFactory(lead_time_days=days) for days in (0, 1, 2, 3, 5, 6, 10, 21)]
    levels = list(StockLevel.objects.filter(product__in=products))
    for level in levels:
        level.reorder_point = rng.choice([0, 1, 5, 12, 40])
        level.reorder_quantity = rng.choice([0, 3, 10, 25, 100])
        level.on_hand = rng.randint(0, 50)
    StockLevel.objects.bulk_update(levels, ["reorder_point", "reorder_quantity", "on_hand"], batch_size=1000)
    offers = []
    for product in products:
        if rng.random() < 0.2:
            continue
        offers.append(
            SupplierProduct(
                supplier=rng.choice(suppliers),
                product=product,
                unit_cost=Decimal(rng.randint(1, 900)) / 100,
                min_order_quantity=rng.choice([1, 1, 5, 12, 50]),
                pack_size=rng.choice([1, 1, 4, 6, 12, 24]),
                lead_time_days=rng.choice([None, None, 0, 4, 9]),
                preferred=True,
            )
        )
    SupplierProduct.objects.bulk_create(offers)
    return levels


def test_reorder_scan_sql_agrees_with_the_rules_for_every_level():
    # given: 150 products x 2 warehouses with random positions, terms and some incoming stock
    rng = random.Random(5)
    ams, rtm = WarehouseFactory(code="AMS"), WarehouseFactory(code="RTM")
    levels = seed_levels(150, rng, [ams, rtm])
    thursday = date(2026, 11, 26)
    for level in rng.sample(levels, 40):
        expected_receipt_set(reference="PO-T", product_id=level.product_id, warehouse_id=level.warehouse_id,
                             quantity=rng.randint(1, 20), expected_date=thursday)  # fmt: skip
    incoming = {(lv.product_id, lv.warehouse_id): 0 for lv in levels}
    from inventory.models import ExpectedReceipt

    for receipt in ExpectedReceipt.objects.all():
        incoming[(receipt.product_id, receipt.warehouse_id)] += receipt.quantity
    offers = {sp.product_id: sp for sp in SupplierProduct.objects.select_related("supplier")}
    # when
    created = reorder_scan(today=thursday, batch_size=64)
    # then: exactly the low levels got a request, with the quantity and date the rules give
    expected = {}
    for level in levels:
        position = level.on_hand + incoming[(level.product_id, level.warehouse_id)]
        if level.reorder_point == 0 or position >= level.reorder_point:
            continue
        offer = offers.get(level.product_id)
        quantity = rules.suggested_quantity(
            reorder_point=level.reorder_point, reorder_quantity=level.reorder_quantity, available=level.on_hand,
            incoming=incoming[(level.product_id, level.warehouse_id)],
            min_order_quantity=offer.min_order_quantity if offer else 1, pack_size=offer.pack_size if offer else 1,
        )  # fmt: skip
        arrives = rules.expected_arrival(thursday, offer.effective_lead_time_days) if offer else None
        expected[(level.product_id, level.warehouse_id)] = (quantity, arrives, offer.supplier_id if offer else None)
    actual = {
        (r.product_id, r.warehouse_id): (r.quantity, r.expected_date, r.supplier_id)
        for r in ReorderRequest.objects.all()
    }
    assert created == len(expected) > 30
    assert actual == expected


def test_reorder_scan_queries_do_not_grow_with_levels():
    # the speed itself is bench/reorder_scan.py's business: a timed test fails on a slow machine
    rng = random.Random(7)
    ams, rtm = WarehouseFactory(code="AMS"), WarehouseFactory(code="RTM")
    seed_levels(1000, rng, [ams, rtm])  # 2,000 levels
    with CaptureQueriesContext(connection) as queries:
        created = reorder_scan(batch_size=100)
    batches = -(-created // 100)
    assert created > 300
    # pending pairs (2), the levels, one statement a batch; then the top-up of open requests: draft
    # lines, the requests, their levels, supplier terms, the home warehouse, backorders (and an
    # UPDATE only when one needs more: none here, each was just raised to its need)
    assert len(statements(queries)) == 3 + batches + 6
    with CaptureQueriesContext(connection) as queries:
        assert reorder_scan(batch_size=100) == 0
    assert len(statements(queries)) == 3 + 6


def statements(queries) -> list[str]:
    """The queries, without the savepoints of the test's wrapping transaction."""
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
