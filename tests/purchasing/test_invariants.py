"""The purchasing invariants hold after real work and catch each kind of damage."""

from decimal import Decimal

import pytest

from inventory.models import ExpectedReceipt
from oms import invariants
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from purchasing.services import goods_receipt_post
from tests.factories.inventory import ProductFactory, WarehouseFactory
from tests.factories.purchasing import sent_purchase_order

pytestmark = pytest.mark.django_db
CHECKS = {
    "expected": "purchasing: expected receipts match open purchase order lines",
    "status": "purchasing: purchase order status matches what was received",
    "receipts": "purchasing: received quantities are the sum of goods receipts",
    "totals": "purchasing: purchase order totals are the sum of their lines",
}


@pytest.fixture
def po():
    po = sent_purchase_order(
        [(ProductFactory(sku="A"), 10, Decimal("1.00")), (ProductFactory(sku="B"), 5, Decimal("2.00"))],
        warehouse=WarehouseFactory(code="AMS"),
    )
    goods_receipt_post(purchase_order_id=po.pk, quantities={po.lines.get(sku="A").pk: 4}, user=None)
    assert invariants.violations() == {}
    return po


def broken(po) -> set[str]:
    found = invariants.violations(list(CHECKS.values()))
    return {key for key, name in CHECKS.items() if name in found}


def test_invariants_catch_an_expected_receipt_that_does_not_match(po):
    ExpectedReceipt.objects.filter(reference=po.number, product__sku="A").update(quantity=99)
    assert broken(po) == {"expected"}


def test_invariants_catch_a_status_that_does_not_match_the_receipts(po):
    PurchaseOrder.objects.filter(pk=po.pk).update(status="received")
    assert broken(po) == {"status", "expected"}


def test_invariants_catch_received_quantities_without_receipts(po):
    PurchaseOrderLine.objects.filter(purchase_order=po, sku="B").update(quantity_received=1)
    assert broken(po) >= {"receipts", "expected"}


def test_invariants_catch_a_total_that_is_not_the_sum_of_lines(po):
    PurchaseOrder.objects.filter(pk=po.pk).update(total_amount=Decimal("1.00"))
    assert broken(po) == {"totals"}
