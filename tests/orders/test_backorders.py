"""Backorders get stock when it arrives: oldest placed order first, partly where they must, through
the ``stock.received`` outbox handler."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.services import stock_receive
from oms import events, invariants
from oms.models import HandlerRun, OutboxEvent
from orders.models import Order, OrderEvent
from orders.services import (
    allocation,
    order_allocate_backorders,
    order_draft_create,
    order_draft_place,
    order_draft_set_lines,
    order_hold,
)
from tests.factories.inventory import ProductFactory, WarehouseFactory, level, stock
from tests.factories.orders import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def lamp(ams):
    return ProductFactory(sku="LAMP")


def waiting(order):
    line = order.lines.get()
    return line.quantity_allocated, line.quantity_backordered


def status(order):
    return Order.objects.get(pk=order.pk).status


def receive(product, warehouse, quantity, capture):
    with capture(execute=True):
        stock_receive(product_id=product.pk, warehouse_id=warehouse.pk, quantity=quantity, reference="PO-000001")


def test_stock_received_fills_backorders_oldest_placed_first_and_partly(
    customer, lamp, ams, agent, django_capture_on_commit_callbacks
):
    # given a draft started first but placed last, and two orders placed in between
    now = timezone.now()
    draft = order_draft_create(channel="phone", customer=customer, user=agent)
    order_draft_set_lines(order=draft, lines=[{"sku": "LAMP", "quantity": 2}], user=agent)
    first = place(customer, ("LAMP", 3), now=now - timedelta(minutes=10))
    second = place(customer, ("LAMP", 4), now=now - timedelta(minutes=5))
    last = order_draft_place(order=draft, user=agent, now=now)
    assert [status(o) for o in (first, second, last)] == ["backordered"] * 3
    # when 5 lamps arrive in Amsterdam
    receive(lamp, ams, 5, django_capture_on_commit_callbacks)
    # then the oldest order is complete, the next gets the rest, the draft-born one waits
    assert [waiting(o) for o in (first, second, last)] == [(3, 0), (2, 2), (0, 2)]
    assert [status(o) for o in (first, second, last)] == ["allocated", "backordered", "backordered"]
    assert level(lamp, ams).reserved == 5
    allocated = OutboxEvent.objects.filter(name="order.allocated").values_list("payload__order_id", flat=True)
    assert list(allocated) == [first.pk]
    note = OrderEvent.objects.filter(order=second, kind="stock_allocated").get()
    assert note.message == "Stock arrived: 2 units reserved; more is still backordered."
    assert invariants.violations() == {}


def test_a_redelivered_stock_received_event_allocates_nothing_twice(
    customer, lamp, ams, django_capture_on_commit_callbacks
):
    order = place(customer, ("LAMP", 2))
    receive(lamp, ams, 5, django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.get(name="stock.received")
    assert HandlerRun.objects.filter(event=event, handler="orders.events.stock_received").exists()
    # the event is delivered again, and the service is called again on top
    OutboxEvent.objects.filter(pk=event.pk).update(status="pending")
    events.dispatch(event.pk)
    order_allocate_backorders(product_id=lamp.pk)
    assert waiting(order) == (2, 0) and level(lamp, ams).reserved == 2


def test_a_receipt_in_one_warehouse_takes_stock_from_that_warehouse(customer, lamp, ams):
    rtm = WarehouseFactory(code="RTM", priority=20)
    order = place(customer, ("LAMP", 3))
    stock(lamp, ams, 2)  # no handler runs here: the outbox callbacks are not executed
    order_allocate_backorders(product_id=lamp.pk, warehouse_id=rtm.pk)
    assert waiting(order) == (0, 3)
    order_allocate_backorders(product_id=lamp.pk, warehouse_id=ams.pk)
    assert waiting(order) == (2, 1) and level(lamp, ams).reserved == 2 and level(lamp, rtm).reserved == 0


def test_orders_on_hold_get_stock_but_no_allocated_event(customer, lamp, ams):
    order = place(customer, ("LAMP", 2))
    order_hold(order=order, user=None, reason="check")
    stock(lamp, ams, 2)
    assert order_allocate_backorders(product_id=lamp.pk) == [order.pk]
    assert waiting(order) == (2, 0) and status(order) == "on_hold"
    assert not OutboxEvent.objects.filter(name="order.allocated", payload__order_id=order.pk).exists()


def test_cancelled_and_draft_orders_get_nothing(customer, lamp, ams, agent):
    from orders.services import order_cancel

    cancelled = place(customer, ("LAMP", 2))
    order_cancel(order=cancelled, user=None)
    draft = order_draft_create(channel="phone", customer=customer, user=agent)
    order_draft_set_lines(order=draft, lines=[{"sku": "LAMP", "quantity": 1}], user=agent)
    stock(lamp, ams, 5)
    assert order_allocate_backorders(product_id=lamp.pk) == []
    assert level(lamp, ams).reserved == 0


def test_a_full_batch_continues_in_a_new_transaction(
    customer, lamp, ams, monkeypatch, django_capture_on_commit_callbacks
):
    # given three waiting orders and a batch of two
    monkeypatch.setattr(allocation, "BACKORDER_BATCH", 2)
    orders = [place(customer, ("LAMP", 1)) for _ in range(3)]
    # when enough arrives for all of them
    receive(lamp, ams, 3, django_capture_on_commit_callbacks)
    # then the first batch published the follow-up, whose handler served the third
    assert OutboxEvent.objects.filter(name="orders.backorders_pending").count() == 1
    assert [status(o) for o in orders] == ["allocated"] * 3


def test_stock_for_a_product_nobody_waits_for_changes_nothing(customer, mug, ams, django_capture_on_commit_callbacks):
    receive(mug, ams, 5, django_capture_on_commit_callbacks)
    assert level(mug, ams).reserved == 0 and not Order.objects.exists()
