"""Reorder requests: raised on stock.low (through the outbox), by the scan, and edited on the
screen. Rounding to minimum order quantity and pack size, lead-time dates, one open request."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.services import ReserveLine, expected_receipt_set, stock_reserve
from oms.errors import Conflict, ValidationFailed
from oms.models import HandlerRun, OutboxEvent
from purchasing import rules
from purchasing.models import ReorderReason, ReorderRequest, RequestStatus
from purchasing.services import (
    reorder_request_dismiss,
    reorder_request_raise,
    reorder_request_set_quantity,
    reorder_scan,
)
from tests.factories.inventory import ProductFactory, WarehouseFactory, level, stock
from tests.factories.purchasing import SupplierFactory, SupplierProductFactory, draft_purchase_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def ams():
    return WarehouseFactory(code="AMS", priority=10)


@pytest.fixture
def rtm():
    return WarehouseFactory(code="RTM", priority=20)


def configure(product, warehouse, *, on_hand, point, quantity):
    from inventory.services import stock_level_configure

    stock(product, warehouse, on_hand)
    stock_level_configure(stock_level_id=level(product, warehouse).pk, reorder_point=point, reorder_quantity=quantity)


def open_requests():
    return list(ReorderRequest.objects.filter(status=RequestStatus.OPEN).order_by("product__sku", "warehouse_id"))


# --- raised on stock.low ---------------------------------------------------------------------------


def test_reorder_request_raise_on_stock_low_event_suggests_a_rounded_quantity_from_the_preferred_supplier(
    ams, django_capture_on_commit_callbacks
):
    # given: 10 on hand, reorder point 8, fill up to 30; the preferred supplier sells in packs of 12, 5 days
    product = ProductFactory(sku="MUG")
    configure(product, ams, on_hand=10, point=8, quantity=30)
    SupplierProductFactory(product=product, supplier=SupplierFactory(name="Other"), preferred=False, pack_size=1)
    offer = SupplierProductFactory(
        product=product, pack_size=12, min_order_quantity=24, lead_time_days=5, unit_cost=Decimal("2.10")
    )
    # when: an order reserves 4, available drops from 10 to 6 (below 8): inventory publishes stock.low,
    # and the outbox hands it to the handler after commit
    with django_capture_on_commit_callbacks(execute=True):
        stock_reserve(lines=[ReserveLine(product.pk, 4)], warehouse_ids=[ams.pk])
    # then: need 30 - 6 = 24, a multiple of 12 and the minimum of 24
    event = OutboxEvent.objects.get(name="stock.low")
    assert HandlerRun.objects.filter(event=event, handler="purchasing.events.on_stock_low").exists()
    (request,) = open_requests()
    assert (request.product, request.warehouse, request.reason) == (product, ams, ReorderReason.LOW_STOCK)
    assert (request.suggested_quantity, request.quantity) == (24, 24)
    assert (request.supplier, request.unit_cost) == (offer.supplier, Decimal("2.10"))
    assert request.expected_date == rules.expected_arrival(timezone.localdate(), 5)
    assert request.source == f"stock.low event {event.pk}"


def test_reorder_request_raise_rounds_up_to_the_minimum_then_whole_packs(ams):
    product = ProductFactory()
    configure(product, ams, on_hand=2, point=5, quantity=9)  # need 7
    SupplierProductFactory(product=product, min_order_quantity=10, pack_size=6)
    request = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="scan")
    assert request.quantity == 12  # at least 10, in packs of 6


def test_reorder_request_raise_lead_time_falls_back_to_the_supplier_and_skips_the_weekend(ams):
    product = ProductFactory()
    configure(product, ams, on_hand=0, point=5, quantity=10)
    SupplierProductFactory(product=product, supplier=SupplierFactory(lead_time_days=5), lead_time_days=None)
    monday = date(2026, 11, 23)
    request = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="scan", today=monday)
    assert request.expected_date == date(2026, 11, 30)  # Saturday -> Monday


def test_reorder_request_raise_counts_incoming_stock_and_does_nothing_when_it_covers_the_point(ams):
    product = ProductFactory()
    configure(product, ams, on_hand=3, point=5, quantity=20)
    expected_receipt_set(
        reference="PO-X", product_id=product.pk, warehouse_id=ams.pk, quantity=1, expected_date=timezone.localdate()
    )
    request = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="low_stock")
    assert request.quantity == 16  # 3 available + 1 incoming is below 5: fill up to 20
    request.delete()
    expected_receipt_set(
        reference="PO-X", product_id=product.pk, warehouse_id=ams.pk, quantity=2, expected_date=timezone.localdate()
    )
    assert reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="low_stock") is None


def test_reorder_request_raise_without_a_supplier_leaves_the_supplier_open(ams):
    product = ProductFactory()
    configure(product, ams, on_hand=1, point=4, quantity=10)
    request = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="low_stock")
    assert (request.supplier, request.quantity, request.expected_date, request.unit_cost) == (None, 9, None, None)


def test_reorder_request_raise_twice_adds_nothing_and_keeps_one_open_request(ams):
    product = ProductFactory()
    configure(product, ams, on_hand=0, point=4, quantity=10)
    first = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="low_stock")
    again = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="scan")
    assert first is not None and again is None
    assert [(r.pk, r.quantity) for r in open_requests()] == [(first.pk, 10)]


def test_reorder_request_raise_grows_the_open_request_to_the_new_demand_keeping_the_buyers_change(ams, make_user):
    # given: an open request for 10 that a buyer raised to 12
    product = ProductFactory()
    configure(product, ams, on_hand=0, point=4, quantity=10)
    first = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="low_stock")
    reorder_request_set_quantity(request_id=first.pk, quantity=12, user=make_user("purchasing"))
    # when: 50 units are backordered
    again = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="backorder", demand=50)
    # then: the same request, suggesting 10 + 50, and the buyer's +2 kept on top
    assert again is not None and again.pk == first.pk
    assert [(r.pk, r.suggested_quantity, r.quantity) for r in open_requests()] == [(first.pk, 60, 62)]
    # and the same demand again grows nothing
    assert reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="backorder", demand=50) is None
    assert [(r.suggested_quantity, r.quantity) for r in open_requests()] == [(60, 62)]


def test_reorder_scan_tops_up_an_open_request_whose_stock_was_taken_since(ams):
    # given: a request for 6 (fill up to 10 with 4 available); then the 4 are reserved
    product = ProductFactory()
    configure(product, ams, on_hand=4, point=5, quantity=10)
    request = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="low_stock")
    assert request.quantity == 6
    stock_reserve(lines=[ReserveLine(product.pk, 4)], warehouse_ids=[ams.pk])
    # when: the scan runs (it raises nothing new) - twice
    assert reorder_scan() == 0
    assert reorder_scan() == 0
    # then: the open request fills up to 10 again, once
    assert [(r.pk, r.suggested_quantity, r.quantity) for r in open_requests()] == [(request.pk, 10, 10)]


def test_reorder_request_raise_leaves_a_product_on_a_draft_purchase_order_alone(ams):
    product = ProductFactory()
    configure(product, ams, on_hand=0, point=4, quantity=10)
    draft_purchase_order([(product, 10, Decimal("1.00"))], warehouse=ams)
    assert reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="low_stock") is None
    assert open_requests() == []


def test_reorder_request_raise_refuses_an_unknown_reason(ams):
    with pytest.raises(ValidationFailed) as exc:
        reorder_request_raise(product_id=ProductFactory().pk, warehouse_id=ams.pk, reason="whim")
    assert exc.value.field == "reason"


def test_reorder_request_raise_for_a_backorder_adds_the_demand_even_when_the_level_is_not_low(ams):
    product = ProductFactory()
    configure(product, ams, on_hand=0, point=0, quantity=0)  # a slow mover: no reorder point
    SupplierProductFactory(product=product, pack_size=5)
    request = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="backorder", demand=7)
    assert (request.reason, request.quantity) == ("backorder", 10)


# --- the scan -------------------------------------------------------------------------------------


def test_reorder_scan_raises_a_request_per_low_level_and_a_rerun_raises_none(ams, rtm):
    # given: A low in AMS, B low in both, C fine, D low but inactive, E low with an open request already
    products = {sku: ProductFactory(sku=sku) for sku in "ABCDE"}
    configure(products["A"], ams, on_hand=1, point=5, quantity=10)
    configure(products["B"], ams, on_hand=0, point=2, quantity=6)
    configure(products["B"], rtm, on_hand=1, point=3, quantity=4)
    configure(products["C"], ams, on_hand=50, point=5, quantity=10)
    configure(products["D"], ams, on_hand=0, point=5, quantity=10)
    configure(products["E"], ams, on_hand=0, point=5, quantity=10)
    products["D"].active = False
    products["D"].save(update_fields=["active"])
    existing = reorder_request_raise(product_id=products["E"].pk, warehouse_id=ams.pk, reason="low_stock")
    SupplierProductFactory(product=products["B"], pack_size=4)
    # when
    created = reorder_scan()
    # then
    rows = [(r.product.sku, r.warehouse.code, r.quantity, r.reason) for r in open_requests()]
    assert created == 3
    assert rows == [
        ("A", "AMS", 9, "scan"),
        ("B", "AMS", 8, "scan"),  # 6 rounded to packs of 4
        ("B", "RTM", 4, "scan"),  # 3 rounded to packs of 4
        ("E", "AMS", existing.quantity, "low_stock"),
    ]
    assert reorder_scan() == 0
    assert len(open_requests()) == 4


def test_reorder_scan_in_small_batches_gives_the_same_result(ams):
    for n in range(7):
        configure(ProductFactory(sku=f"P{n}"), ams, on_hand=0, point=2, quantity=5)
    assert reorder_scan(batch_size=3) == 7
    assert reorder_scan(batch_size=3) == 0


# --- the purchasing screen's edits ----------------------------------------------------------------


def test_reorder_request_set_quantity_keeps_the_suggestion(ams, make_user):
    product = ProductFactory()
    configure(product, ams, on_hand=0, point=4, quantity=10)
    request = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="scan")
    user = make_user("purchasing")
    reorder_request_set_quantity(request_id=request.pk, quantity=25, user=user)
    request.refresh_from_db()
    assert (request.suggested_quantity, request.quantity, request.decided_by) == (10, 25, user)
    with pytest.raises(ValidationFailed):
        reorder_request_set_quantity(request_id=request.pk, quantity=0, user=user)


def test_reorder_request_dismiss_lets_the_scan_raise_a_new_one_later(ams, make_user):
    product = ProductFactory()
    configure(product, ams, on_hand=0, point=4, quantity=10)
    request = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="scan")
    reorder_request_dismiss(request_id=request.pk, user=make_user("purchasing"))
    request.refresh_from_db()
    assert request.status == RequestStatus.DISMISSED
    with pytest.raises(Conflict) as exc:
        reorder_request_set_quantity(request_id=request.pk, quantity=3, user=None)
    assert exc.value.code == "request_not_open"
    assert reorder_scan() == 1


def test_reorder_requests_assign_suppliers_when_a_product_gets_its_first_supplier(ams, make_user):
    # given: a request raised while the product had no supplier
    product = ProductFactory()
    configure(product, ams, on_hand=0, point=4, quantity=10)
    request = reorder_request_raise(product_id=product.pk, warehouse_id=ams.pk, reason="low_stock")
    assert (request.supplier, request.quantity) == (None, 10)
    # when: a buyer adds the product to a supplier that packs 6, 7 days away
    from purchasing.services import supplier_product_save

    supplier = SupplierFactory(lead_time_days=7)
    supplier_product_save(
        supplier_id=supplier.pk, product_id=product.pk, unit_cost="2.00", pack_size=6, user=make_user("purchasing")
    )
    # then: the open request is that supplier's, rounded to its packs
    request.refresh_from_db()
    assert (request.supplier, request.quantity, request.suggested_quantity) == (supplier, 12, 12)
    assert request.unit_cost == Decimal("2.00") and request.expected_date is not None
