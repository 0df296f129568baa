"""stock_reserve, stock_release, stock_issue and stock_issue_unreserved."""

import pytest
from django.db import transaction

from inventory.models import MovementKind, StockMovement
from inventory.services import (
    InsufficientStockLines,
    Reservation,
    ReserveLine,
    stock_issue,
    stock_issue_unreserved,
    stock_release,
    stock_reserve,
)
from oms.errors import Conflict, InsufficientStock, ValidationFailed
from oms.models import OutboxEvent
from tests.factories.inventory import ProductFactory, WarehouseFactory, level, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def ams():
    return WarehouseFactory(code="AMS", priority=10)


@pytest.fixture
def rtm():
    return WarehouseFactory(code="RTM", priority=20)


def test_stock_reserve_takes_the_preferred_warehouse_first(ams, rtm):
    # given
    product = ProductFactory()
    stock(product, ams, 5)
    stock(product, rtm, 5)
    # when
    result = stock_reserve(lines=[ReserveLine(product.pk, 3)])
    # then
    assert result == [Reservation(0, product.pk, ams.pk, level(product, ams).pk, 3)]
    assert (level(product, ams).reserved, level(product, rtm).reserved) == (3, 0)


def test_stock_reserve_splits_a_line_over_warehouses_in_the_given_order(ams, rtm):
    product = ProductFactory()
    stock(product, ams, 4)
    stock(product, rtm, 4)
    result = stock_reserve(lines=[ReserveLine(product.pk, 6)], warehouse_ids=[rtm.pk, ams.pk])
    assert [(r.warehouse_id, r.quantity) for r in result] == [(rtm.pk, 4), (ams.pk, 2)]
    assert (level(product, ams).reserved, level(product, rtm).reserved) == (2, 4)


def test_stock_reserve_all_or_nothing_reports_every_short_line_and_writes_nothing(ams):
    # given
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    stock(a, ams, 10)
    stock(b, ams, 1)
    # when
    with pytest.raises(InsufficientStock) as caught:
        stock_reserve(lines=[ReserveLine(a.pk, 2), ReserveLine(b.pk, 3), ReserveLine(c.pk, 1)])
    # then
    assert isinstance(caught.value, InsufficientStockLines)
    assert [(e.field, e.extra["available"]) for e in caught.value.errors] == [("lines.1", 1), ("lines.2", 0)]
    assert [e.message for e in caught.value.errors] == [
        f"Only 1 of {b.sku} available, 3 asked.",
        f"Only 0 of {c.sku} available, 1 asked.",
    ]
    assert caught.value.code == "insufficient_stock" and caught.value.status == 409
    assert level(a, ams).reserved == 0 and level(b, ams).reserved == 0


def test_stock_reserve_refusal_leaves_the_callers_transaction_usable(ams):
    product = ProductFactory()
    stock(product, ams, 2)
    with transaction.atomic():
        with pytest.raises(InsufficientStock):
            stock_reserve(lines=[ReserveLine(product.pk, 5)])
        result = stock_reserve(lines=[ReserveLine(product.pk, 5)], partial=True)
    assert [r.quantity for r in result] == [2]
    assert level(product, ams).reserved == 2


def test_stock_reserve_partial_reserves_what_it_can(ams):
    a, b = ProductFactory(), ProductFactory()
    stock(a, ams, 3)
    result = stock_reserve(lines=[ReserveLine(a.pk, 5), ReserveLine(b.pk, 1)], partial=True)
    assert [(r.line_index, r.quantity) for r in result] == [(0, 3)]
    assert level(a, ams).reserved == 3 and level(b, ams).reserved == 0


def test_stock_reserve_lines_of_the_same_product_share_the_stock(ams):
    product = ProductFactory()
    stock(product, ams, 8)
    with pytest.raises(InsufficientStock) as caught:
        stock_reserve(lines=[ReserveLine(product.pk, 5), ReserveLine(product.pk, 5)])
    assert [(e.field, e.extra["available"]) for e in caught.value.errors] == [("lines.1", 3)]
    result = stock_reserve(lines=[ReserveLine(product.pk, 5), ReserveLine(product.pk, 3)])
    assert [(r.line_index, r.quantity) for r in result] == [(0, 5), (1, 3)]
    assert level(product, ams).reserved == 8


def test_stock_reserve_skips_inactive_warehouses_unless_asked_for(ams, rtm):
    product = ProductFactory()
    stock(product, rtm, 5)
    rtm.active = False
    rtm.save(update_fields=["active"])
    with pytest.raises(InsufficientStock):
        stock_reserve(lines=[ReserveLine(product.pk, 1)])
    assert stock_reserve(lines=[ReserveLine(product.pk, 1)], warehouse_ids=[rtm.pk])[0].warehouse_id == rtm.pk


def test_stock_reserve_uses_two_queries_whatever_the_number_of_lines(ams, rtm, django_assert_num_queries):
    products = [ProductFactory() for _ in range(12)]
    for p in products:
        stock(p, ams, 5)
        stock(p, rtm, 5)
    with django_assert_num_queries(2):
        stock_reserve(lines=[ReserveLine(products[0].pk, 1)])
    with django_assert_num_queries(2):
        stock_reserve(lines=[ReserveLine(p.pk, 7) for p in products])


def test_stock_reserve_publishes_stock_low_once_when_crossing_the_reorder_point(ams):
    product = ProductFactory()
    lv = stock(product, ams, 10, reorder_point=5)
    stock_reserve(lines=[ReserveLine(product.pk, 4), ReserveLine(product.pk, 2)])  # 10 -> 4: crosses once
    stock_reserve(lines=[ReserveLine(product.pk, 1)])  # 4 -> 3: already below
    events = list(OutboxEvent.objects.filter(name="stock.low"))
    assert [e.payload for e in events] == [{"stock_level_id": lv.pk, "product_id": product.pk, "warehouse_id": ams.pk}]


@pytest.mark.parametrize("quantity", [0, -1, 1.5, True])
def test_stock_reserve_refuses_bad_quantities(ams, quantity):
    product = ProductFactory()
    with pytest.raises(ValidationFailed) as caught:
        stock_reserve(lines=[ReserveLine(product.pk, quantity)])
    assert caught.value.field == "lines.0.quantity"


def test_stock_release_gives_reserved_stock_back(ams):
    product = ProductFactory()
    lv = stock(product, ams, 5, reserved=4)
    stock_release(items=[(lv.pk, 1), (lv.pk, 2)])
    assert level(product, ams).reserved == 1


def test_stock_release_refuses_more_than_reserved_and_changes_nothing(ams):
    a, b = ProductFactory(), ProductFactory()
    la, lb = stock(a, ams, 5, reserved=2), stock(b, ams, 5, reserved=1)
    with pytest.raises(Conflict) as caught, transaction.atomic():
        stock_release(items=[(la.pk, 1), (lb.pk, 2)])
    assert caught.value.code == "release_exceeds_reserved"
    assert (level(a, ams).reserved, level(b, ams).reserved) == (2, 1)


def test_stock_issue_refuses_more_than_reserved_and_changes_nothing(ams):
    a, b = ProductFactory(), ProductFactory()
    la, lb = stock(a, ams, 5, reserved=2), stock(b, ams, 5, reserved=1)
    with pytest.raises(Conflict) as caught, transaction.atomic():
        stock_issue(items=[(la.pk, 1), (lb.pk, 2)], reference="SO-1")
    assert (caught.value.code, caught.value.message) == (
        "issue_exceeds_reserved",
        "Cannot issue more than is reserved.",
    )
    assert (level(a, ams).on_hand, level(a, ams).reserved, level(b, ams).reserved) == (5, 2, 1)
    assert not StockMovement.objects.filter(kind=MovementKind.ISSUE).exists()


def test_stock_issue_takes_on_hand_and_reserved_down_together(ams, rtm, django_assert_num_queries, make_user):
    # given
    a, b = ProductFactory(), ProductFactory()
    la, lb = stock(a, ams, 5, reserved=3), stock(b, rtm, 4, reserved=4)
    user = make_user("warehouse")
    # when
    with django_assert_num_queries(2):
        stock_issue(items=[(la.pk, 3), (lb.pk, 4)], reference="SH-000001", user=user)
    # then
    la.refresh_from_db()
    lb.refresh_from_db()
    assert (la.on_hand, la.reserved, lb.on_hand, lb.reserved) == (2, 0, 0, 0)
    issues = StockMovement.objects.filter(kind=MovementKind.ISSUE).order_by("id")
    assert [(m.product_id, m.quantity, m.on_hand_after, m.reference, m.user) for m in issues] == [
        (a.pk, -3, 2, "SH-000001", user),
        (b.pk, -4, 0, "SH-000001", user),
    ]


def test_stock_issue_refuses_unreserved_quantities(ams):
    product = ProductFactory()
    lv = stock(product, ams, 5, reserved=1)
    with pytest.raises(Conflict), transaction.atomic():
        stock_issue(items=[(lv.pk, 2)], reference="SH-1")
    assert level(product, ams).on_hand == 5
    assert not StockMovement.objects.filter(kind=MovementKind.ISSUE).exists()


def test_stock_issue_unreserved_sells_only_what_is_not_reserved(ams):
    # given: 5 on hand of which 3 are promised to orders
    a, b = ProductFactory(), ProductFactory()
    stock(a, ams, 5, reserved=3)
    stock(b, ams, 5)
    # when / then: 3 of a would eat into reservations
    with pytest.raises(InsufficientStock) as caught:
        stock_issue_unreserved(items=[(b.pk, ams.pk, 1), (a.pk, ams.pk, 3)], reference="POS-1")
    assert [(e.field, e.extra["available"]) for e in caught.value.errors] == [("items.1", 2)]
    assert level(b, ams).on_hand == 5
    stock_issue_unreserved(items=[(b.pk, ams.pk, 1), (a.pk, ams.pk, 2)], reference="POS-1")
    assert (level(a, ams).on_hand, level(a, ams).reserved, level(b, ams).on_hand) == (3, 3, 4)
    assert StockMovement.objects.filter(kind=MovementKind.ISSUE, reference="POS-1").count() == 2
