"""Purchasing's rule in the exception inbox: a purchase order past its expected date and not
fully received is listed for purchasing and closes by itself once received."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from oms import exceptions
from oms.models import ExceptionItem
from oms.roles import Role
from purchasing.models import PurchaseOrder
from tests.factories.inventory import ProductFactory, WarehouseFactory
from tests.factories.purchasing import sent_purchase_order

pytestmark = pytest.mark.django_db


def refresh():
    exceptions.refresh_exceptions(only=["purchasing.receipt_overdue"])
    return list(ExceptionItem.objects.filter(rule="purchasing.receipt_overdue", closed_at__isnull=True))


def test_overdue_purchase_order_is_listed_until_received():
    po = sent_purchase_order([(ProductFactory(sku="A"), 5, Decimal("1.00"))], warehouse=WarehouseFactory())
    assert refresh() == []  # expected in the future
    PurchaseOrder.objects.filter(pk=po.pk).update(expected_date=timezone.localdate() - timedelta(days=1))
    (item,) = refresh()
    assert item.subject == f"purchase_order:{po.pk}" and item.role == Role.PURCHASING
    assert po.number in item.title and "not received" in item.title
    PurchaseOrder.objects.filter(pk=po.pk).update(status="received")
    assert refresh() == []
    assert ExceptionItem.objects.get().close_reason == "cleared"
