"""receive, return, adjust, count, transfer: the level and its ledger change together."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, InternalError, connection, transaction

from inventory.models import StockLevel, StockMovement
from inventory.services import (
    expected_receipt_set,
    expected_receipts_clear,
    stock_adjust,
    stock_count,
    stock_receive,
    stock_return,
    stock_transfer,
)
from oms import invariants
from oms.errors import InsufficientStock, NotFound, ValidationFailed
from oms.models import OutboxEvent
from tests.factories.inventory import ProductFactory, WarehouseFactory, level, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def ams():
    return WarehouseFactory(code="AMS", priority=10)


@pytest.fixture
def rtm():
    return WarehouseFactory(code="RTM", priority=20)


def movements(product):
    return [
        (m.warehouse.code, m.kind, m.quantity, m.on_hand_after)
        for m in StockMovement.objects.filter(product=product).order_by("id")
    ]


def test_a_new_product_and_a_new_warehouse_get_their_stock_levels(ams):
    product = ProductFactory()
    assert StockLevel.objects.filter(product=product, warehouse=ams, on_hand=0, reserved=0).exists()
    rtm = WarehouseFactory(code="RTM")
    assert StockLevel.objects.filter(product=product, warehouse=rtm).exists()
    assert invariants.violations() == {}


def test_stock_receive_adds_stock_appends_a_movement_and_publishes_stock_received(ams, make_user):
    product = ProductFactory()
    user = make_user("warehouse")
    lv = stock_receive(product_id=product.pk, warehouse_id=ams.pk, quantity=12, reference="PO-000001", user=user)
    assert lv.on_hand == 12 and level(product, ams).on_hand == 12
    assert movements(product) == [("AMS", "receipt", 12, 12)]
    event = OutboxEvent.objects.get(name="stock.received")
    assert event.payload == {
        "product_id": product.pk,
        "warehouse_id": ams.pk,
        "quantity": 12,
        "reference": "PO-000001",
        "kind": "receipt",
    }


def test_stock_return_books_a_return_movement(ams):
    product = ProductFactory()
    stock_return(product_id=product.pk, warehouse_id=ams.pk, quantity=2, reference="RMA-1")
    assert movements(product) == [("AMS", "return", 2, 2)]


def test_stock_receive_for_an_unknown_pair_is_not_found(ams):
    with pytest.raises(NotFound):
        stock_receive(product_id=999_999, warehouse_id=ams.pk, quantity=1, reference="x")


def test_stock_adjust_refuses_to_go_below_what_is_reserved(ams, make_user):
    # given: 5 on hand, 3 reserved
    product = ProductFactory()
    stock(product, ams, 5, reserved=3)
    user = make_user("warehouse")
    # when / then
    with pytest.raises(InsufficientStock) as caught:
        stock_adjust(product_id=product.pk, warehouse_id=ams.pk, delta=-3, reason="damage", user=user)
    assert caught.value.field == "delta" and caught.value.extra["available"] == 2
    lv = stock_adjust(product_id=product.pk, warehouse_id=ams.pk, delta=-2, reason="damage", user=user)
    assert (lv.on_hand, lv.reserved) == (3, 3)
    last = StockMovement.objects.filter(product=product).latest("id")
    assert (last.kind, last.quantity, last.reason, last.user) == ("adjustment", -2, "damage", user)


@pytest.mark.parametrize("delta,reason", [(0, "damage"), (3, "theft"), (1.0, "count")])
def test_stock_adjust_refuses_bad_input(ams, delta, reason):
    product = ProductFactory()
    with pytest.raises(ValidationFailed):
        stock_adjust(product_id=product.pk, warehouse_id=ams.pk, delta=delta, reason=reason, user=None)


def test_stock_adjust_publishes_stock_low_when_crossing(ams):
    product = ProductFactory()
    stock(product, ams, 10, reorder_point=5)
    stock_adjust(product_id=product.pk, warehouse_id=ams.pk, delta=-6, reason="damage", user=None)
    assert OutboxEvent.objects.filter(name="stock.low").count() == 1


def test_stock_count_books_the_difference(ams):
    product = ProductFactory()
    stock(product, ams, 10)
    stock_count(product_id=product.pk, warehouse_id=ams.pk, counted=7, user=None)
    stock_count(product_id=product.pk, warehouse_id=ams.pk, counted=7, user=None)
    assert level(product, ams).on_hand == 7
    assert movements(product)[-2:] == [("AMS", "count", -3, 7), ("AMS", "count", 0, 7)]


def test_stock_count_below_reserved_is_refused_with_a_clear_error(ams):
    product = ProductFactory()
    stock(product, ams, 10, reserved=4)
    with pytest.raises(InsufficientStock) as caught:
        stock_count(product_id=product.pk, warehouse_id=ams.pk, counted=3, user=None)
    assert caught.value.code == "count_below_reserved" and caught.value.field == "counted"
    assert "4 are reserved" in caught.value.message
    assert level(product, ams).on_hand == 10


def test_stock_transfer_moves_stock_with_two_movements(ams, rtm):
    product = ProductFactory()
    stock(product, ams, 10, reserved=2)
    source, target = stock_transfer(
        product_id=product.pk, from_warehouse_id=ams.pk, to_warehouse_id=rtm.pk, quantity=8, user=None
    )
    assert (source.on_hand, target.on_hand) == (2, 8)
    assert movements(product)[-2:] == [("AMS", "transfer_out", -8, 2), ("RTM", "transfer_in", 8, 8)]
    assert invariants.violations() == {}


def test_stock_transfer_of_more_than_available_is_refused(ams, rtm):
    product = ProductFactory()
    stock(product, ams, 10, reserved=5)
    with pytest.raises(InsufficientStock) as caught:
        stock_transfer(product_id=product.pk, from_warehouse_id=ams.pk, to_warehouse_id=rtm.pk, quantity=6, user=None)
    assert caught.value.extra["available"] == 5
    with pytest.raises(ValidationFailed):
        stock_transfer(product_id=product.pk, from_warehouse_id=ams.pk, to_warehouse_id=ams.pk, quantity=1, user=None)


def test_movements_are_append_only(ams):
    product = ProductFactory()
    stock(product, ams, 3)
    movement = StockMovement.objects.get(product=product)
    with pytest.raises(InternalError, match="Cannot update or delete"), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(quantity=30)
    with pytest.raises(InternalError, match="Cannot update or delete"), transaction.atomic():
        movement.delete()


def test_the_database_refuses_reserved_above_on_hand(ams):
    product = ProductFactory()
    stock(product, ams, 3)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(product=product, warehouse=ams).update(reserved=4)


def test_check_invariants_lists_a_level_that_disagrees_with_its_ledger(ams, capsys):
    product = ProductFactory()
    stock(product, ams, 3)
    call_command("check_invariants")
    assert "ok   stock: on hand equals the sum of movements" in capsys.readouterr().out
    with connection.cursor() as cursor:  # a bug that bypassed the services
        cursor.execute("UPDATE inventory_stocklevel SET on_hand = 5 WHERE product_id = %s", [product.pk])
    with pytest.raises(SystemExit):
        call_command("check_invariants")
    out = capsys.readouterr().out
    assert "FAIL stock: on hand equals the sum of movements (1 rows)" in out and product.sku in out


def test_expected_receipt_set_upserts_and_zero_removes(ams):
    product = ProductFactory()
    day = date.today() + timedelta(days=5)
    expected_receipt_set(reference="PO-1", product_id=product.pk, warehouse_id=ams.pk, quantity=10, expected_date=day)
    receipt = expected_receipt_set(
        reference="PO-1", product_id=product.pk, warehouse_id=ams.pk, quantity=6, expected_date=day
    )
    assert (receipt.quantity, product.expected_receipts.count()) == (6, 1)
    expected_receipt_set(reference="PO-1", product_id=product.pk, warehouse_id=ams.pk, quantity=0, expected_date=day)
    assert not product.expected_receipts.exists()
    expected_receipt_set(reference="PO-2", product_id=product.pk, warehouse_id=ams.pk, quantity=1, expected_date=day)
    assert expected_receipts_clear(reference="PO-2") == 1
