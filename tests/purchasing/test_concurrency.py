"""Purchasing under concurrency, on PostgreSQL with real threads and connections: triggers
for the same product and warehouse make one open request; two buyers ordering the same
requests make one purchase order; two receipts at once cannot pass the tolerance together."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from inventory.services import stock_level_configure
from oms import events, invariants
from oms.errors import Conflict, OmsError
from purchasing import selectors
from purchasing.models import PurchaseOrder, ReorderRequest, RequestStatus, SupplierProduct
from purchasing.services import (
    goods_receipt_post,
    purchase_orders_create_from_requests,
    reorder_request_raise,
    reorder_scan,
    supplier_product_save,
)
from tests.factories.inventory import ProductFactory, WarehouseFactory, level
from tests.factories.purchasing import ReorderRequestFactory, SupplierFactory, sent_purchase_order
from tests.support.celery_worker import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _backends_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def run_together(jobs):
    """Start every job at one barrier on its own thread and connection; returns each job's
    return value or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # kept for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def low_level():
    warehouse = WarehouseFactory(code="AMS")
    product = ProductFactory(sku="HOT")
    stock_level_configure(stock_level_id=level(product, warehouse).pk, reorder_point=5, reorder_quantity=20)
    return product, warehouse


def open_requests(product):
    return list(ReorderRequest.objects.filter(product=product, status=RequestStatus.OPEN))


def test_reorder_request_raise_concurrent_triggers_make_one_open_request(low_level):
    # given: eight stock.low events for the same level, handled by eight dispatches at once,
    # with a scan and a backorder trigger racing them
    product, warehouse = low_level
    payload = {"stock_level_id": level(product, warehouse).pk, "product_id": product.pk, "warehouse_id": warehouse.pk}
    with transaction.atomic():
        event_ids = [events.publish("stock.low", payload).pk for _ in range(6)]

    def backorder():
        with transaction.atomic():
            return reorder_request_raise(product_id=product.pk, warehouse_id=warehouse.pk, reason="backorder", demand=3)

    # when
    results = run_together([*(lambda e=e: events.dispatch(e) for e in event_ids), reorder_scan, backorder])
    # then
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(open_requests(product)) == 1
    assert reorder_scan() == 0  # and a rerun of the scan makes none
    assert len(open_requests(product)) == 1
    assert invariants.violations() == {}


def test_reorder_request_raise_waits_for_a_concurrent_insert_and_then_adds_nothing(low_level):
    """The window the pending check cannot close: the second trigger checks before the first
    commits. The partial unique index makes it wait, then skip."""
    product, warehouse = low_level
    first_inserted, let_first_commit = threading.Event(), threading.Event()
    second_checked = threading.Event()

    def first():
        with transaction.atomic():
            request = reorder_request_raise(product_id=product.pk, warehouse_id=warehouse.pk, reason="low_stock")
            first_inserted.set()
            let_first_commit.wait(10)
        return request

    def second():
        first_inserted.wait(10)
        with transaction.atomic():
            assert not selectors.already_pending(product.pk, warehouse.pk)  # it cannot see the first yet
            second_checked.set()
            return reorder_request_raise(product_id=product.pk, warehouse_id=warehouse.pk, reason="scan")

    def referee():
        """Let the first commit once the second is seen waiting for a lock (its INSERT on the
        first's uncommitted index entry); True if it was seen."""
        second_checked.wait(10)
        try:
            return wait_until(lambda: _backends_waiting_for_a_lock() > 0, timeout=5)
        finally:
            let_first_commit.set()

    made, skipped, second_waited = run_together([first, second, referee])
    assert second_waited, "the second trigger never waited on the first's insert"
    assert isinstance(made, ReorderRequest) and skipped is None
    assert [r.pk for r in open_requests(product)] == [made.pk]


def test_purchase_orders_create_from_requests_twice_at_once_makes_one_purchase_order():
    warehouse = WarehouseFactory(code="AMS")
    supplier = SupplierFactory(name="Alpha")
    ids = [ReorderRequestFactory(warehouse=warehouse, supplier=supplier).pk for _ in range(3)]

    def order():
        return purchase_orders_create_from_requests(request_ids=list(reversed(ids)), user=None)

    results = run_together([order, order, order])
    made = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, OmsError)]
    assert len(made) == 1 and len(refused) == 2, results
    assert {r.code for r in refused} == {"request_not_open"} and {r.status for r in refused} == {409}
    assert PurchaseOrder.objects.count() == 1 and PurchaseOrder.objects.get().lines.count() == 3


def test_goods_receipt_post_two_receipts_at_once_cannot_pass_the_tolerance_together(settings):
    # given: 10 ordered, 10 % tolerance: 11 may come in; two clerks book 6 each at the same time
    settings.OMS_RECEIPT_TOLERANCE_PERCENT = 10
    warehouse = WarehouseFactory(code="AMS")
    po = sent_purchase_order([(ProductFactory(sku="A"), 10, Decimal("1.00"))], warehouse=warehouse)
    line = po.lines.get()

    def receive():
        return goods_receipt_post(purchase_order_id=po.pk, quantities={line.pk: 6}, user=None)

    results = run_together([receive, receive])
    refused = [r for r in results if isinstance(r, OmsError)]
    assert len(refused) == 1 and refused[0].code == "over_receipt", results
    line.refresh_from_db()
    assert line.quantity_received == 6 and level(line.product, warehouse).on_hand == 6
    assert invariants.violations() == {}


def test_supplier_product_save_two_preferred_suppliers_at_once_leaves_one(db):
    product = ProductFactory(sku="MUG")
    suppliers = [SupplierFactory(name=f"S{n}") for n in range(4)]

    def prefer(supplier):
        return lambda: supplier_product_save(
            supplier_id=supplier.pk, product_id=product.pk, unit_cost="1.00", preferred=True, user=None
        )

    results = run_together([prefer(s) for s in suppliers])
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)], results
    assert SupplierProduct.objects.filter(product=product, preferred=True).count() == 1


def test_reorder_requests_top_up_two_scans_at_once_grow_a_request_once(low_level):
    # given: an open request for 20 (nothing on hand, fill up to 20); then 17 units backordered
    # behind it, as the order trigger would find them
    product, warehouse = low_level
    request = reorder_request_raise(product_id=product.pk, warehouse_id=warehouse.pk, reason="low_stock")
    assert request.quantity == 20
    waiting = {product.pk: 17}

    # when: two scans top the request up at the same moment
    from orders import selectors as order_selectors

    original = order_selectors.backordered_quantities
    order_selectors.backordered_quantities = lambda ids: {p: q for p, q in waiting.items() if p in set(ids)}
    try:
        results = run_together([reorder_scan, reorder_scan])
    finally:
        order_selectors.backordered_quantities = original
    # then: it grows by the 17 once, not twice
    assert results == [0, 0]
    (grown,) = open_requests(product)
    assert (grown.pk, grown.suggested_quantity, grown.quantity) == (request.pk, 37, 37)
