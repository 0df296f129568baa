"""The order invariant checks hold after real work and catch each kind of corruption."""

from decimal import Decimal

import pytest

from inventory.models import StockLevel
from inventory.services import ReserveLine, stock_reserve
from oms import invariants
from orders.models import Allocation, Order, OrderLine
from tests.factories.inventory import level
from tests.factories.orders import place

pytestmark = pytest.mark.django_db
ORDER_CHECKS = [name for name in invariants.CHECKS if name.startswith("orders:")]


def broken() -> dict:
    return invariants.violations(only=ORDER_CHECKS)


def test_the_checks_are_registered_and_hold_after_real_orders(customer, mug, book):
    assert len(ORDER_CHECKS) == 5
    place(customer, ("MUG-RED", 12), ("BOOK-1", 2))
    place(customer, ("BOOK-1", 1))
    assert broken() == {}


def test_a_reservation_without_an_allocation_is_caught(customer, mug, ams):
    place(customer, ("MUG-RED", 2))
    stock_reserve(lines=[ReserveLine(mug.pk, 1)])  # stock held for nobody
    assert list(broken()) == ["orders: reserved stock equals reserved allocations"]
    row = broken()["orders: reserved stock equals reserved allocations"][0]
    assert (row["sku"], row["reserved"], row["reserved_allocations"]) == ("MUG-RED", 3, 2)


def test_a_reservation_of_a_product_never_ordered_is_inventorys_business(mug, ams):
    stock_reserve(lines=[ReserveLine(mug.pk, 1)])
    assert broken() == {}


def test_a_line_that_disagrees_with_its_allocations_is_caught(customer, mug):
    order = place(customer, ("MUG-RED", 2))
    Allocation.objects.filter(order_line__order=order).update(quantity=1)
    found = broken()
    assert "orders: line quantities match their allocations" in found
    assert "orders: reserved stock equals reserved allocations" in found


def test_an_allocation_left_on_a_cancelled_line_is_caught(customer, mug):
    order = place(customer, ("MUG-RED", 2))
    OrderLine.objects.filter(order=order).update(is_cancelled=True)
    assert "orders: nothing reserved for closed lines" in broken()


def test_totals_that_do_not_add_up_are_caught(customer, mug, book):
    order = place(customer, ("MUG-RED", 3), ("BOOK-1", 1))
    Order.objects.filter(pk=order.pk).update(vat_amount=order.vat_amount + 1, gross_amount=order.gross_amount + 1)
    # a consumer's order: its gross is no longer its shelf prices either
    shelf = "orders: consumers pay shelf prices incl. VAT, businesses excl. VAT"
    assert list(broken()) == ["orders: totals = lines + shipping + VAT", shelf]
    Order.objects.filter(pk=order.pk).update(vat_amount=order.vat_amount, gross_amount=order.gross_amount)
    OrderLine.objects.filter(order=order, sku="BOOK-1").update(line_total=Decimal("19.99"))
    assert list(broken()) == ["orders: totals = lines + shipping + VAT", shelf]


def test_a_consumer_order_priced_excluding_vat_is_caught(customer, b2b, mug):
    place(b2b, ("MUG-RED", 1))
    order = place(customer, ("MUG-RED", 1))
    assert broken() == {}
    Order.objects.filter(pk=order.pk).update(prices_include_vat=False)
    rows = broken()["orders: consumers pay shelf prices incl. VAT, businesses excl. VAT"]
    assert [(row["order"], row["customer_kind"]) for row in rows] == [(order.number, "b2c")]


def test_stock_level_reserved_matches_after_cancel_and_change(customer, mug, ams):
    from orders.services import order_cancel, order_lines_change

    first = place(customer, ("MUG-RED", 4))
    second = place(customer, ("MUG-RED", 4))
    order_lines_change(order=second, changes=[{"line_id": second.lines.get().pk, "quantity": 9}], user=None)
    order_cancel(order=first, user=None)
    assert StockLevel.objects.get(pk=level(mug, ams).pk).reserved == 6
    assert broken() == {}
