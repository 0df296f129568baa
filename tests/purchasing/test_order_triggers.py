"""Orders and purchasing together: a backordered order and a large order raise reorder
requests (through their events), and a goods receipt fills waiting backorders oldest first."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.services import stock_level_configure
from oms import invariants
from orders.models import Order
from purchasing.models import ReorderRequest, RequestStatus
from purchasing.services import goods_receipt_post
from tests.factories.customers import CustomerFactory
from tests.factories.inventory import ProductFactory, WarehouseFactory, level, stock
from tests.factories.orders import place
from tests.factories.purchasing import SupplierProductFactory, sent_purchase_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _flat_shipping(settings):
    # Shipping's carriers are not what these tests are about: orders' own default quote.
    settings.OMS_DELIVERY_QUOTE_BACKEND = "orders.quotes.quote_delivery"


@pytest.fixture
def ams():
    return WarehouseFactory(code="AMS", name="Amsterdam", priority=10)


@pytest.fixture
def rtm():
    return WarehouseFactory(code="RTM", name="Rotterdam", priority=20)


def requests_for(product):
    return list(ReorderRequest.objects.filter(product=product, status=RequestStatus.OPEN))


def test_reorder_requests_for_backorders_raised_when_an_order_is_backordered(
    ams, rtm, django_capture_on_commit_callbacks
):
    # given: nothing in stock; AMS (orders take from it first) fills up to 10, packs of 6
    lamp = ProductFactory(sku="LAMP", list_price=Decimal("20.00"))
    stock_level_configure(stock_level_id=level(lamp, ams).pk, reorder_point=0, reorder_quantity=10)
    SupplierProductFactory(product=lamp, pack_size=6)
    # when: an order for 7 is placed and backordered; its events reach the handlers after commit
    with django_capture_on_commit_callbacks(execute=True):
        order = place(CustomerFactory(), ("LAMP", 7))
    # then: one request for AMS: 10 + 7 backordered = 17, in packs of 6 = 18
    assert order.status == "backordered"
    (request,) = requests_for(lamp)
    assert (request.reason, request.warehouse, request.quantity) == ("backorder", ams, 18)
    assert request.source == order.number
    # and a second backordered order grows the open request: 10 + 7 + 3 = 20, in packs of 6 = 24
    with django_capture_on_commit_callbacks(execute=True):
        place(CustomerFactory(), ("LAMP", 3))
    (grown,) = requests_for(lamp)
    assert (grown.pk, grown.suggested_quantity, grown.quantity) == (request.pk, 24, 24)


def test_reorder_request_open_with_one_unit_grows_to_the_units_backordered_behind_it(
    ams, django_capture_on_commit_callbacks
):
    """Issue 15 defect 5: a 1-unit request stayed at 1 while 17 units were backordered behind it."""
    # given: one cup left, reorder point 2, fill up to 2: the stock.low trigger asks for 1
    cup = ProductFactory(sku="CUP", list_price=Decimal("4.00"))
    stock(cup, ams, 2)
    stock_level_configure(stock_level_id=level(cup, ams).pk, reorder_point=2, reorder_quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        place(CustomerFactory(), ("CUP", 1))
    (request,) = requests_for(cup)
    assert request.quantity == 1
    # when: orders for 18 more come in: 1 allocated, 17 backordered
    with django_capture_on_commit_callbacks(execute=True):
        place(CustomerFactory(), ("CUP", 10))
        place(CustomerFactory(), ("CUP", 8))
    # then: the open request covers the level (2) and the 17 waiting, less nothing available
    (grown,) = requests_for(cup)
    assert grown.pk == request.pk
    assert grown.quantity == 2 + 17
    assert invariants.violations() == {}


def test_reorder_requests_for_large_lines_raised_when_a_line_takes_most_of_the_stock(
    ams, django_capture_on_commit_callbacks
):
    # given: 20 vases in AMS, no reorder point (so stock.low stays quiet), fill up to 0
    vase = ProductFactory(sku="VASE", list_price=Decimal("30.00"))
    small = ProductFactory(sku="SMALL", list_price=Decimal("5.00"))
    stock(vase, ams, 20)
    stock(small, ams, 20)
    SupplierProductFactory(product=vase, pack_size=4)
    # when: one order takes 15 vases (75% > 50%) and 5 of the other (25%)
    with django_capture_on_commit_callbacks(execute=True):
        order = place(CustomerFactory(), ("VASE", 15), ("SMALL", 5))
    # then: the vase is reordered for what the line took, in packs of 4; the other is not
    assert order.status == "allocated"
    (request,) = requests_for(vase)
    assert (request.reason, request.warehouse, request.quantity) == ("large_order", ams, 16)
    assert requests_for(small) == []


def test_goods_receipt_post_fills_backorders_oldest_first_partially_where_it_must(
    ams, django_capture_on_commit_callbacks
):
    # given: three orders wait for mugs, placed a minute apart: 4, then 5, then 3
    mug = ProductFactory(sku="MUG", list_price=Decimal("8.00"))
    customers = CustomerFactory.create_batch(3)
    start = timezone.now() - timedelta(hours=1)
    orders = [
        place(customer, ("MUG", quantity), now=start + timedelta(minutes=n))
        for n, (customer, quantity) in enumerate(zip(customers, [4, 5, 3], strict=True))
    ]
    assert [o.status for o in orders] == ["backordered"] * 3
    po = sent_purchase_order([(mug, 8, Decimal("3.00"))], warehouse=ams)
    # when: 8 arrive; stock.received goes to orders after commit
    with django_capture_on_commit_callbacks(execute=True):
        goods_receipt_post(purchase_order_id=po.pk, quantities={po.lines.get().pk: 8}, user=None)
    # then: the first order is complete, the second gets 4 of 5, the third waits
    lines = {o.pk: Order.objects.get(pk=o.pk).lines.get() for o in orders}
    assert [(lines[o.pk].quantity_allocated, lines[o.pk].quantity_backordered) for o in orders] == [
        (4, 0),
        (4, 1),
        (0, 3),
    ]
    assert [Order.objects.get(pk=o.pk).status for o in orders] == ["allocated", "backordered", "backordered"]
    assert level(mug, ams).on_hand == 8 and level(mug, ams).reserved == 8
    assert invariants.violations() == {}
