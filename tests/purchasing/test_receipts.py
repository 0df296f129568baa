"""Goods receipts: partial and complete deliveries, over-receipt within and beyond the
tolerance, double submits, and what the receipt does to stock and expected receipts."""

from decimal import Decimal

import pytest

from inventory.models import ExpectedReceipt, StockMovement
from oms import invariants
from oms.errors import Conflict, InvalidTransition, MultipleErrors, ValidationFailed
from oms.models import OutboxEvent
from purchasing.models import GoodsReceipt, POStatus
from purchasing.services import goods_receipt_post
from tests.factories.inventory import ProductFactory, WarehouseFactory, level
from tests.factories.purchasing import draft_purchase_order, sent_purchase_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def ams():
    return WarehouseFactory(code="AMS", priority=10)


@pytest.fixture
def clerk(make_user):
    return make_user("warehouse")


@pytest.fixture
def po(ams):
    return sent_purchase_order(
        [(ProductFactory(sku="A"), 10, Decimal("1.00")), (ProductFactory(sku="B"), 5, Decimal("2.00"))], warehouse=ams
    )


def lines(po):
    return {line.sku: line for line in po.lines.all()}


def expected(po):
    return dict(ExpectedReceipt.objects.filter(reference=po.number).values_list("product__sku", "quantity"))


def snapshot(po):
    """Everything a receipt may change, to prove a refused one changed nothing."""
    return (
        po.__class__.objects.get(pk=po.pk).status,
        sorted(po.lines.values_list("sku", "quantity_received")),
        expected(po),
        StockMovement.objects.count(),
        GoodsReceipt.objects.count(),
        OutboxEvent.objects.count(),
    )


def test_goods_receipt_post_partial_books_stock_and_leaves_the_rest_expected(po, ams, clerk):
    a, b = lines(po)["A"], lines(po)["B"]
    receipt = goods_receipt_post(purchase_order_id=po.pk, quantities={a.pk: 4, b.pk: 0}, user=clerk)
    po.refresh_from_db()
    assert po.status == POStatus.PARTIALLY_RECEIVED
    assert [(rl.purchase_order_line.sku, rl.quantity) for rl in receipt.lines.all()] == [("A", 4)]
    assert level(a.product, ams).on_hand == 4
    movement = StockMovement.objects.get(product=a.product)
    assert (movement.kind, movement.quantity, movement.reference, movement.user) == ("receipt", 4, po.number, clerk)
    assert expected(po) == {"A": 6, "B": 5}
    event = OutboxEvent.objects.get(name="stock.received")
    assert event.payload["product_id"] == a.product_id and event.payload["quantity"] == 4
    assert po.timeline.order_by("-id").first().message == "Received 4 unit(s): 4 x A."
    assert invariants.violations() == {}


def test_goods_receipt_post_the_rest_completes_the_order_and_clears_expected_receipts(po, clerk):
    a, b = lines(po)["A"], lines(po)["B"]
    goods_receipt_post(purchase_order_id=po.pk, quantities={a.pk: 4}, user=clerk)
    goods_receipt_post(purchase_order_id=po.pk, quantities={a.pk: 6, b.pk: 5}, user=clerk)
    po.refresh_from_db()
    assert po.status == POStatus.RECEIVED and expected(po) == {}
    assert sorted(po.lines.values_list("sku", "quantity_received")) == [("A", 10), ("B", 5)]
    with pytest.raises(InvalidTransition):
        goods_receipt_post(purchase_order_id=po.pk, quantities={a.pk: 1}, user=clerk)
    assert invariants.violations() == {}


def test_goods_receipt_post_accepts_over_delivery_within_the_tolerance(po, clerk, settings):
    settings.OMS_RECEIPT_TOLERANCE_PERCENT = 10
    a, b = lines(po)["A"], lines(po)["B"]
    goods_receipt_post(purchase_order_id=po.pk, quantities={a.pk: 11, b.pk: 5}, user=clerk)  # 10 % of 10 = 1 more
    po.refresh_from_db()
    assert po.status == POStatus.RECEIVED
    assert lines(po)["A"].quantity_received == 11
    assert invariants.violations() == {}


def test_goods_receipt_post_refuses_over_receipt_beyond_the_tolerance_and_books_nothing(po, clerk, settings):
    # given: 10 % tolerance; A: 10 ordered, 8 received already
    settings.OMS_RECEIPT_TOLERANCE_PERCENT = 10
    a, b = lines(po)["A"], lines(po)["B"]
    goods_receipt_post(purchase_order_id=po.pk, quantities={a.pk: 8}, user=clerk)
    before = snapshot(po)
    # when: 4 more of A (12 > 11) together with a fine line B
    with pytest.raises(Conflict) as exc:
        goods_receipt_post(purchase_order_id=po.pk, quantities={a.pk: 4, b.pk: 5}, user=clerk)
    # then: a clear error on line A, and nothing of B was booked either
    error = exc.value
    assert (error.code, error.field, error.extra["limit"]) == ("over_receipt", f"lines.{a.pk}", 11)
    assert error.message == (
        "Line 1 (A): 4 is too many. 10 were ordered and 8 received already; with the 10% over-delivery "
        "tolerance at most 3 more can be received. Refuse the surplus or ask purchasing to order more."
    )
    assert snapshot(po) == before


def test_goods_receipt_post_reports_every_line_beyond_the_tolerance(po, clerk):
    a, b = lines(po)["A"], lines(po)["B"]
    with pytest.raises(MultipleErrors) as exc:
        goods_receipt_post(purchase_order_id=po.pk, quantities={a.pk: 50, b.pk: 50}, user=clerk)
    assert sorted(e.field for e in exc.value.errors) == sorted([f"lines.{a.pk}", f"lines.{b.pk}"])
    assert exc.value.status == 409


def test_goods_receipt_post_with_the_same_key_books_once(po, ams, clerk):
    a = lines(po)["A"]
    first = goods_receipt_post(purchase_order_id=po.pk, quantities={a.pk: 3}, user=clerk, key="form-1")
    again = goods_receipt_post(purchase_order_id=po.pk, quantities={a.pk: 3}, user=clerk, key="form-1")
    assert first.pk == again.pk
    assert level(a.product, ams).on_hand == 3


@pytest.mark.parametrize(
    ("quantities", "code"),
    [
        ("none", "nothing_received"),
        ("zero", "nothing_received"),
        ("negative", "invalid_quantity"),
        ("text", "invalid_quantity"),
    ],
)
def test_goods_receipt_post_refuses_bad_quantities(po, clerk, quantities, code):
    a = lines(po)["A"]
    values = {"none": {}, "zero": {a.pk: 0}, "negative": {a.pk: -1}, "text": {a.pk: "3"}}[quantities]
    with pytest.raises(ValidationFailed) as exc:
        goods_receipt_post(purchase_order_id=po.pk, quantities=values, user=clerk)
    assert exc.value.code == code


def test_goods_receipt_post_refuses_a_line_of_another_order_and_a_draft(po, ams, clerk):
    other = sent_purchase_order([(ProductFactory(sku="Z"), 3, Decimal("1.00"))], warehouse=ams)
    with pytest.raises(ValidationFailed) as exc:
        goods_receipt_post(purchase_order_id=po.pk, quantities={other.lines.get().pk: 1}, user=clerk)
    assert exc.value.code == "unknown_line"
    draft = draft_purchase_order([(ProductFactory(sku="D"), 3, Decimal("1.00"))], warehouse=ams)
    with pytest.raises(InvalidTransition):
        goods_receipt_post(purchase_order_id=draft.pk, quantities={draft.lines.get().pk: 1}, user=clerk)
