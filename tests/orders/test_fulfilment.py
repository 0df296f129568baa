"""The services shipping and billing call: picking, shipments, delivery, payment, returns."""

from decimal import Decimal

import pytest
from django.db import transaction

from inventory.models import StockMovement
from oms import invariants
from oms.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from oms.models import OutboxEvent
from orders import selectors
from orders.models import Allocation, Order, OrderEvent
from orders.services import (
    order_hand_over,
    order_mark_delivered,
    order_record_payment_total,
    order_record_return,
    order_record_shipment,
    order_start_picking,
)
from tests.factories.inventory import WarehouseFactory, level, stock
from tests.factories.orders import place as place_order

pytestmark = pytest.mark.django_db


def place(customer, *lines, **kwargs):
    """By bank transfer unless told: picked unpaid (iDEAL orders wait for their payment)."""
    kwargs.setdefault("payment_method", "bank_transfer")
    return place_order(customer, *lines, **kwargs)


def state(order):
    order = Order.objects.get(pk=order.pk)
    return order.status, [
        (ln.quantity_allocated, ln.quantity_backordered, ln.quantity_shipped) for ln in order.lines.order_by("line_no")
    ]


def last_event(order):
    return OutboxEvent.objects.filter(payload__order_id=order.pk).order_by("-id").values_list("name", flat=True).first()


def test_a_whole_order_goes_from_picking_to_completed(customer, mug, ams, agent):
    # given an order of 3 mugs
    order = place(customer, ("MUG-RED", 3))
    line = order.lines.get()
    # when it is picked, shipped, delivered and paid
    order_start_picking(order=order, user=agent)
    assert state(order)[0] == "picking" and last_event(order) == "order.picking_started"
    order_record_shipment(order=order, lines=[(line.pk, 3)], user=agent, reference="SH-000001")
    # then the stock left the warehouse and the allocation says so
    assert state(order) == ("shipped", [(3, 0, 3)]) and last_event(order) == "order.shipped"
    lv = level(mug, ams)
    assert (lv.on_hand, lv.reserved) == (7, 0)
    movement = StockMovement.objects.filter(product=mug).latest("id")
    assert (movement.kind, movement.quantity, movement.reference) == ("issue", -3, "SH-000001")
    assert list(Allocation.objects.filter(order_line=line).values_list("status", "quantity")) == [("issued", 3)]
    order_mark_delivered(order=order, user=None)
    assert state(order)[0] == "delivered"
    order_record_payment_total(order=order, amount_paid=str(order.gross_amount), user=None)
    assert state(order)[0] == "completed" and last_event(order) == "order.completed"
    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds == ["placed", "picking", "shipped", "delivered", "payment", "completed"]
    assert invariants.violations() == {}


def test_a_prepaid_order_completes_on_delivery(customer, mug):
    order = place(customer, ("MUG-RED", 1))
    order_record_payment_total(order=order, amount_paid=order.gross_amount, user=None)
    assert Order.objects.get(pk=order.pk).amount_paid == order.gross_amount
    order_record_shipment(order=order, lines=[(order.lines.get().pk, 1)], user=None)
    order_mark_delivered(order=order, user=None)
    assert state(order)[0] == "completed"


def test_a_partial_shipment_splits_the_allocation_and_the_rest_ships_later(customer, mug, ams):
    order = place(customer, ("MUG-RED", 12))  # 10 reserved, 2 backordered
    line = order.lines.get()
    order_start_picking(order=order, user=None)
    order_record_shipment(order=order, lines=[(line.pk, 6)], user=None)
    assert state(order) == ("partially_shipped", [(10, 2, 6)])
    assert sorted(Allocation.objects.filter(order_line=line).values_list("status", "quantity")) == [
        ("issued", 6),
        ("reserved", 4),
    ]
    assert (level(mug, ams).on_hand, level(mug, ams).reserved) == (4, 4)
    order_record_shipment(order=order, lines=[(line.pk, 4)], user=None)
    assert state(order) == ("partially_shipped", [(10, 2, 10)]) and last_event(order) == "order.partially_shipped"
    with pytest.raises(Conflict) as caught:
        order_record_shipment(order=order, lines=[(line.pk, 1)], user=None)
    assert caught.value.code == "not_reserved"
    assert invariants.violations() == {}


def test_a_shipment_takes_stock_from_the_warehouse_it_left(customer, mug, ams):
    rtm = WarehouseFactory(code="RTM", priority=20)
    stock(mug, rtm, 5)
    order = place(customer, ("MUG-RED", 13))  # 10 in AMS, 3 in RTM
    line = order.lines.get()
    order_record_shipment(order=order, lines=[(line.pk, 3)], warehouse_id=rtm.pk, user=None)
    assert (level(mug, rtm).on_hand, level(mug, ams).on_hand) == (2, 10)
    with pytest.raises(Conflict):
        order_record_shipment(order=order, lines=[(line.pk, 1)], warehouse_id=rtm.pk, user=None)
    assert invariants.violations() == {}


def test_picking_is_refused_without_stock_and_for_a_waiting_ship_complete_order(customer, mug):
    from tests.factories.inventory import ProductFactory

    ProductFactory(sku="NONE")
    nothing = place(customer, ("NONE", 1))
    with pytest.raises(Conflict) as caught:
        order_start_picking(order=nothing, user=None)
    assert caught.value.code == "nothing_to_pick"
    complete = place(customer, ("MUG-RED", 1), ("NONE", 1), ship_complete=True)
    with pytest.raises(Conflict) as caught:
        order_start_picking(order=complete, user=None)
    assert caught.value.code == "ship_complete_waiting"
    partial = place(customer, ("MUG-RED", 1), ("NONE", 1))
    assert order_start_picking(order=partial, user=None).status == "picking"


def test_shipment_input_is_checked(customer, mug):
    order = place(customer, ("MUG-RED", 2))
    other = place(customer, ("MUG-RED", 1))
    line = order.lines.get()
    with pytest.raises(ValidationFailed):
        order_record_shipment(order=order, lines=[], user=None)
    with pytest.raises(ValidationFailed) as caught:
        order_record_shipment(order=order, lines=[(line.pk, 0)], user=None)
    assert caught.value.field == "lines.0.quantity"
    with pytest.raises(NotFound):
        order_record_shipment(order=order, lines=[(other.lines.get().pk, 1)], user=None)
    with pytest.raises(Conflict):
        order_record_shipment(order=order, lines=[(line.pk, 3)], user=None)
    assert state(order) == ("allocated", [(2, 0, 0)])


def test_delivery_before_shipping_is_refused(customer, mug):
    with pytest.raises(InvalidTransition):
        order_mark_delivered(order=place(customer, ("MUG-RED", 1)), user=None)


def test_payment_total_is_checked_and_recorded_once(customer, mug):
    order = place(customer, ("MUG-RED", 1))
    with pytest.raises(ValidationFailed):
        order_record_payment_total(order=order, amount_paid="-1", user=None)
    order_record_payment_total(order=order, amount_paid="5.00", user=None)
    order_record_payment_total(order=order, amount_paid=Decimal("5.00"), user=None)
    assert OrderEvent.objects.filter(order=order, kind="payment").count() == 1
    assert selectors.order_get(order.pk).amount_due == order.gross_amount - Decimal("5.00")


def test_a_return_restocks_and_feeds_waiting_backorders(customer, mug, ams, django_capture_on_commit_callbacks):
    # given a shipped order of 10 mugs and another order waiting for 2
    order = place(customer, ("MUG-RED", 10))
    line = order.lines.get()
    order_record_shipment(order=order, lines=[(line.pk, 10)], user=None)
    waiting = place(customer, ("MUG-RED", 2))
    # when 3 come back into Amsterdam
    with django_capture_on_commit_callbacks(execute=True):
        order_record_return(order=order, lines=[(line.pk, 3)], warehouse_id=ams.pk, reason="broken box", user=None)
    # then the line records it, stock is back and the waiting order got 2 of it
    assert order.lines.get().quantity_returned == 3 and state(order)[0] == "shipped"
    assert state(waiting) == ("allocated", [(2, 0, 0)])
    assert (level(mug, ams).on_hand, level(mug, ams).reserved) == (3, 2)
    with pytest.raises(Conflict) as caught:
        order_record_return(order=order, lines=[(line.pk, 8)], user=None)
    assert caught.value.code == "more_than_shipped"
    assert invariants.violations() == {}


def test_allocations_for_order_is_what_shipping_picks_from(customer, mug, ams, django_assert_num_queries):
    order = place(customer, ("MUG-RED", 2))
    level_id = level(mug, ams).pk
    with django_assert_num_queries(1):
        allocations = selectors.allocations_for_order(order)
        assert [(a.order_line.sku, a.warehouse.code, a.stock_level_id, a.quantity) for a in allocations] == [
            ("MUG-RED", "AMS", level_id, 2)
        ]


def test_a_hand_over_issues_everything_and_delivers_then_completes_once_paid(customer, mug, ams, agent):
    # given an order of 3 mugs and a second one, unpaid (a bank transfer)
    order = place(customer, ("MUG-RED", 3))
    unpaid = place(customer, ("MUG-RED", 2))
    transaction_events = OutboxEvent.objects.count()
    # when the first is handed over paid in full, the second without a payment
    done = order_hand_over(order=order, amount_paid=str(order.gross_amount), user=agent)
    order_hand_over(order=unpaid, user=agent, reference="TILL-7")
    # then both left the stock, shipped in full from issued allocations
    assert state(order) == ("completed", [(3, 0, 3)]) and state(unpaid) == ("delivered", [(2, 0, 2)])
    assert (level(mug, ams).on_hand, level(mug, ams).reserved) == (5, 0)
    assert StockMovement.objects.filter(product=mug).latest("id").reference == "TILL-7"
    assert done.amount_paid == order.gross_amount == Order.objects.get(pk=order.pk).amount_paid
    # and the timeline and events tell each step, as shipping, delivery and payment would
    kinds = OrderEvent.objects.filter(order=order).order_by("id").values_list("kind", flat=True)
    assert list(kinds)[-4:] == ["shipped", "delivered", "payment", "completed"]
    names = OutboxEvent.objects.order_by("id").values_list("payload__order_id", "name")[transaction_events:]
    assert list(names) == [
        (order.pk, "order.shipped"),
        (order.pk, "order.delivered"),
        (order.pk, "order.completed"),
        (unpaid.pk, "order.shipped"),
        (unpaid.pk, "order.delivered"),
    ]
    # and a hand-over of an order with nothing left to hand over is refused (failing its
    # caller's transaction: a savepoint here stands for the sale's own)
    with pytest.raises(InvalidTransition), transaction.atomic():
        order_hand_over(order=unpaid, user=agent)
    assert invariants.violations() == {}
