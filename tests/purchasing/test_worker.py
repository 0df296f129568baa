"""A real Celery worker on Redis raises reorder requests from events (stock.low, and
order.backordered from a real order) and sends a purchase order's PDF."""

from decimal import Decimal

import pytest
from django.db import transaction

from inventory.services import ReserveLine, stock_level_configure, stock_receive, stock_reserve
from oms.models import HandlerRun, OutboxEvent
from purchasing.models import PurchaseOrderDocument, ReorderRequest
from purchasing.services import purchase_order_send
from tests.factories.customers import CustomerFactory
from tests.factories.inventory import ProductFactory, WarehouseFactory, level
from tests.factories.orders import place
from tests.factories.purchasing import SupplierProductFactory, draft_purchase_order
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.services import redis_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.worker]


@pytest.fixture(scope="module")
def worker(django_db_setup):
    """One worker for the module, started once the test database exists (it connects to it)."""
    queue = new_queue()
    running = Worker(queue, redis_url()).start()
    with use_broker(redis_url(), queue):
        yield running
    running.stop()


def test_reorder_request_raised_by_a_worker_from_a_stock_low_event(worker):
    # given: 10 in stock, reorder point 8, fill up to 24, bought in packs of 6
    ams = WarehouseFactory(code="AMS")
    product = ProductFactory(sku="MUG")
    stock_receive(product_id=product.pk, warehouse_id=ams.pk, quantity=10, reference="opening")
    stock_level_configure(stock_level_id=level(product, ams).pk, reorder_point=8, reorder_quantity=24)
    SupplierProductFactory(product=product, pack_size=6)
    # when: an order reserves 5; the stock.low event goes to the worker after commit
    with transaction.atomic():
        stock_reserve(lines=[ReserveLine(product.pk, 5)], warehouse_ids=[ams.pk])
    # then
    request = wait_until(lambda: ReorderRequest.objects.filter(product=product).first(), timeout=30)
    assert request, "".join(worker.log[-30:])
    assert (request.reason, request.warehouse, request.quantity) == ("low_stock", ams, 24)  # 24 - 5 = 19 -> 24
    event = OutboxEvent.objects.get(name="stock.low")
    assert HandlerRun.objects.filter(event=event, handler="purchasing.events.on_stock_low").count() == 1


def test_reorder_request_raised_by_a_worker_from_a_backorder_event(worker, settings):
    # given: no lamps in stock; Amsterdam fills up to 10, bought in packs of 6
    settings.OMS_DELIVERY_QUOTE_BACKEND = "orders.quotes.quote_delivery"
    ams = WarehouseFactory(code="AMS")
    lamp = ProductFactory(sku="LAMP")
    stock_level_configure(stock_level_id=level(lamp, ams).pk, reorder_point=0, reorder_quantity=10)
    SupplierProductFactory(product=lamp, pack_size=6)
    # when: an order for 7 is placed and backordered; order.backordered goes to the worker
    order = place(CustomerFactory(), ("LAMP", 7))
    # then: the worker raised a request for the backordered lamps: 10 + 7 = 17 -> 18
    request = wait_until(lambda: ReorderRequest.objects.filter(product=lamp).first(), timeout=30)
    assert request, "".join(worker.log[-30:])
    assert (request.reason, request.warehouse, request.quantity, request.source) == ("backorder", ams, 18, order.number)
    event = OutboxEvent.objects.get(name="order.backordered")
    assert HandlerRun.objects.filter(event=event, handler="purchasing.events.on_order_backordered").count() == 1


def test_purchase_order_pdf_rendered_and_emailed_by_a_worker(worker):
    ams = WarehouseFactory(code="AMS")
    po = draft_purchase_order([(ProductFactory(sku="MUG"), 12, Decimal("1.10"))], warehouse=ams)
    purchase_order_send(purchase_order_id=po.pk, user=None)
    sent = wait_until(
        lambda: PurchaseOrderDocument.objects.filter(purchase_order=po, emailed_at__isnull=False).first(), timeout=30
    )
    assert sent, "".join(worker.log[-30:])
    assert bytes(sent.pdf).startswith(b"%PDF") and sent.emailed_to == po.supplier.email
