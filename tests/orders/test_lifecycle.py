"""Cancel, hold, release and lines change on placed orders."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from oms import invariants
from oms.errors import Conflict, InvalidTransition, ValidationFailed
from oms.models import OutboxEvent
from orders.models import Allocation, Order, OrderEvent, OrderLine
from orders.services import order_cancel, order_hold, order_lines_change, order_release_hold
from tests.factories.inventory import ProductFactory, level, stock
from tests.factories.orders import OrderFactory, place

pytestmark = pytest.mark.django_db


def last_events(order, n=1):
    names = OutboxEvent.objects.filter(payload__order_id=order.pk).order_by("-id").values_list("name", flat=True)
    return list(names[:n])[::-1]


def line_state(order):
    return [
        (ln.sku, ln.quantity, ln.quantity_allocated, ln.quantity_backordered, ln.is_cancelled)
        for ln in OrderLine.objects.filter(order=order).order_by("line_no")
    ]


# --- cancel --------------------------------------------------------------------------------------


def test_order_cancel_releases_every_reservation_and_marks_the_lines(customer, mug, book, ams, agent):
    # given an order holding 3 mugs and 2 books
    order = place(customer, ("MUG-RED", 3), ("BOOK-1", 2))
    gross = order.gross_amount
    # when customer service cancels it
    order_cancel(order=order, user=agent, reason="changed her mind")
    # then the stock is free again, the allocations say released, the lines are cancelled
    order.refresh_from_db()
    assert order.status == "cancelled" and order.gross_amount == gross
    assert (level(mug, ams).reserved, level(book, ams).reserved) == (0, 0)
    assert set(Allocation.objects.filter(order_line__order=order).values_list("status", flat=True)) == {"released"}
    assert all(cancelled for *_, cancelled in line_state(order))
    entry = OrderEvent.objects.filter(order=order).last()
    assert entry.kind == "cancelled" and entry.user == agent
    assert entry.message == "Cancelled: changed her mind. 5 reserved units back in stock."
    assert last_events(order) == ["order.cancelled"]
    assert invariants.violations() == {}


@pytest.mark.parametrize("status", ["partially_shipped", "shipped", "delivered", "completed", "cancelled"])
def test_order_cancel_is_refused_once_shipped(status):
    order = OrderFactory(status=status)
    with pytest.raises(InvalidTransition) as caught:
        order_cancel(order=order, user=None)
    assert caught.value.code == "invalid_transition" and caught.value.status == 409
    assert Order.objects.get(pk=order.pk).status == status


def test_order_cancel_of_a_backordered_order_frees_its_partial_stock(customer, mug, ams):
    order = place(customer, ("MUG-RED", 15))
    order_cancel(order=order, user=None)
    assert level(mug, ams).reserved == 0 and Order.objects.get(pk=order.pk).status == "cancelled"


def test_order_cancel_is_durable():
    order = OrderFactory()
    with pytest.raises(RuntimeError), transaction.atomic(durable=True):
        order_cancel(order=order, user=None)


# --- hold / release ------------------------------------------------------------------------------


def test_order_hold_keeps_the_reservation_and_release_restores_the_stock_status(customer, mug, ams, agent):
    order = place(customer, ("MUG-RED", 12))
    order_hold(order=order, user=agent, reason="payment check")
    order.refresh_from_db()
    assert order.status == "on_hold" and level(mug, ams).reserved == 10
    assert last_events(order) == ["order.held"]
    order_release_hold(order=order, user=agent)
    order.refresh_from_db()
    assert order.status == "backordered" and last_events(order) == ["order.backordered"]
    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", "message"))
    assert kinds[-2:] == [("held", "On hold: payment check"), ("hold_released", "Hold released.")]


def test_order_hold_needs_a_reason_and_release_needs_a_hold(customer, mug):
    order = place(customer, ("MUG-RED", 1))
    with pytest.raises(ValidationFailed) as caught:
        order_hold(order=order, user=None, reason=" ")
    assert (caught.value.field, caught.value.code) == ("reason", "required")
    with pytest.raises(InvalidTransition):
        order_release_hold(order=order, user=None)
    order_hold(order=order, user=None, reason="check")
    assert order_release_hold(order=order, user=None).status == "allocated"


def test_order_hold_is_refused_while_picking():
    with pytest.raises(InvalidTransition):
        order_hold(order=OrderFactory(status="picking"), user=None, reason="late")


# --- lines change --------------------------------------------------------------------------------


def test_order_lines_change_lowers_backorders_first_then_reservations(customer, mug, ams, agent):
    # given 14 mugs ordered: 10 reserved, 4 backordered
    order = place(customer, ("MUG-RED", 14))
    line = order.lines.get()
    # when the customer wants 12: only backorders go
    order_lines_change(order=order, changes=[{"line_id": line.pk, "quantity": 12}], user=agent)
    assert line_state(order) == [("MUG-RED", 12, 10, 2, False)] and level(mug, ams).reserved == 10
    # and then 7: the rest of the backorder and 3 reserved units go
    order_lines_change(order=order, changes=[{"line_id": line.pk, "quantity": 7}], user=agent)
    assert line_state(order) == [("MUG-RED", 7, 7, 0, False)] and level(mug, ams).reserved == 7
    order.refresh_from_db()
    # 7 x 9.99 + 5.99 shipping incl. VAT = 75.92 holds 13.18 VAT: 62.74 net, 4.95 of it shipping
    assert order.status == "allocated" and order.net_amount == Decimal("57.79")
    assert last_events(order, 2) == ["order.allocated", "order.changed"]
    assert sorted(Allocation.objects.filter(order_line=line).values_list("status", "quantity")) == [
        ("released", 3),
        ("reserved", 7),
    ]
    assert invariants.violations() == {}


def test_order_lines_change_reserves_more_and_adds_lines(customer, mug, book, ams, make_user):
    order = place(customer, ("MUG-RED", 2))
    line = order.lines.get()
    order_lines_change(
        order=order,
        changes=[
            {"line_id": line.pk, "quantity": 11},
            {"sku": "BOOK-1", "quantity": 2, "unit_price": "18.00", "reason": "offer"},
        ],
        user=make_user("manager"),  # an own price needs the permission (line_prices)
    )
    assert line_state(order) == [("MUG-RED", 11, 10, 1, False), ("BOOK-1", 2, 2, 0, False)]
    order.refresh_from_db()
    assert order.status == "backordered"
    # incl. VAT (a consumer): 11 x 9.99 + 5.99 shipping holds 20.11 at 21%, 2 x 18.00 holds 2.97 at 9%
    assert order.net_amount == Decimal("123.85")
    book_line = order.lines.get(sku="BOOK-1")
    assert (book_line.vat_rate, book_line.unit_price, book_line.line_no) == (Decimal("9.00"), Decimal("18.00"), 2)
    assert (level(mug, ams).reserved, level(book, ams).reserved) == (10, 2)
    assert "MUG-RED to 11" in OrderEvent.objects.filter(order=order).last().message
    assert invariants.violations() == {}


def test_order_lines_change_removes_a_line_and_keeps_it_as_history(customer, mug, book, ams):
    order = place(customer, ("MUG-RED", 2), ("BOOK-1", 1))
    mug_line = order.lines.get(sku="MUG-RED")
    order_lines_change(order=order, changes=[{"line_id": mug_line.pk, "quantity": 0}], user=None)
    assert line_state(order) == [("MUG-RED", 2, 2, 0, True), ("BOOK-1", 1, 1, 0, False)]
    order.refresh_from_db()
    assert order.net_amount == Decimal("20.00") and level(mug, ams).reserved == 0
    with pytest.raises(ValidationFailed) as caught:
        order_lines_change(order=order, changes=[{"line_id": mug_line.pk, "quantity": 1}], user=None)
    assert (caught.value.field, caught.value.code) == ("changes.0.line_id", "not_found")
    book_line = order.lines.get(sku="BOOK-1")
    with pytest.raises(ValidationFailed) as caught:
        order_lines_change(order=order, changes=[{"line_id": book_line.pk, "quantity": 0}], user=None)
    assert caught.value.code == "no_lines_left"
    assert invariants.violations() == {}


def test_order_lines_change_is_refused_once_picking_started(customer, mug):
    order = place(customer, ("MUG-RED", 1))
    Order.objects.filter(pk=order.pk).update(status="picking")
    with pytest.raises(Conflict) as caught:
        order_lines_change(order=order, changes=[{"line_id": order.lines.get().pk, "quantity": 2}], user=None)
    assert caught.value.code == "invalid_transition"


def test_order_lines_change_checks_the_credit_limit_on_a_dearer_order(b2b, mug, ams):
    order = place(b2b, ("MUG-RED", 2))
    OrderFactory(
        customer=b2b,
        payment_method="on_account",
        gross_amount=Decimal("4960.00"),
        net_amount=Decimal("4960.00"),
        vat_amount=0,
    )
    with pytest.raises(Conflict) as caught:
        order_lines_change(order=order, changes=[{"line_id": order.lines.get().pk, "quantity": 5}], user=None)
    assert caught.value.code == "credit_limit_exceeded"
    assert level(mug, ams).reserved == 2
    # making it cheaper is always fine
    order_lines_change(order=order, changes=[{"line_id": order.lines.get().pk, "quantity": 1}], user=None)
    assert level(mug, ams).reserved == 1


@pytest.mark.parametrize(
    "change,field,code",
    [
        ({"line_id": 999999, "quantity": 1}, "changes.0.line_id", "not_found"),
        ({"line_id": "x", "quantity": 1}, "changes.0.line_id", "not_found"),
        ({"sku": "NOPE", "quantity": 1}, "changes.0.sku", "unknown_sku"),
        ({"sku": "MUG-RED", "quantity": -1}, "changes.0.quantity", "invalid_quantity"),
    ],
)
def test_order_lines_change_bad_changes_are_field_errors(customer, mug, change, field, code):
    order = place(customer, ("MUG-RED", 1))
    with pytest.raises(ValidationFailed) as caught:
        order_lines_change(order=order, changes=[change], user=None)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_order_line_quantities_are_kept_by_the_database(customer, mug):
    line = place(customer, ("MUG-RED", 2)).lines.get()
    for values in ({"quantity_backordered": 1}, {"quantity_shipped": 3}, {"quantity_returned": 1}):
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderLine.objects.filter(pk=line.pk).update(**values)


def test_stock_freed_by_a_cancel_goes_to_waiting_backorders(customer, mug, ams, django_capture_on_commit_callbacks):
    # given one order holding all 10 mugs and a later one waiting for 4
    first = place(customer, ("MUG-RED", 10))
    waiting = place(customer, ("MUG-RED", 4))
    # when the first is cancelled (the outbox runs the handler after commit)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=first, user=None)
    # then the waiting order got the released stock
    assert line_state(waiting) == [("MUG-RED", 4, 4, 0, False)]
    assert Order.objects.get(pk=waiting.pk).status == "allocated"
    assert level(mug, ams).reserved == 4
    assert invariants.violations() == {}


def test_new_products_can_be_ordered_after_placing(customer, ams):
    product = ProductFactory(sku="LATE")
    stock(product, ams, 1)
    assert place(customer, ("LATE", 1)).status == "allocated"
