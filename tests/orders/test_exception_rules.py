"""Orders' rule in the exception inbox: an order still waiting for stock (or on hold) some hours
after it was placed is listed for customer service, and closes by itself once allocated."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oms import exceptions
from oms.models import ExceptionItem
from oms.roles import Role
from orders.models import Order
from tests.factories.orders import OrderFactory

pytestmark = pytest.mark.django_db


def refresh():
    exceptions.refresh_exceptions(only=["orders.unallocated"])
    return list(ExceptionItem.objects.filter(rule="orders.unallocated", closed_at__isnull=True))


def test_order_waiting_for_stock_too_long_is_listed_and_closes_when_allocated(settings):
    settings.OMS_EXCEPTION_UNALLOCATED_HOURS = 48
    old = timezone.now() - timedelta(hours=49)
    waiting = OrderFactory(status="backordered", placed_at=old)
    OrderFactory(status="backordered", placed_at=timezone.now() - timedelta(hours=47))  # not yet
    OrderFactory(status="allocated", placed_at=old)  # fine
    held = OrderFactory(status="on_hold", placed_at=old)
    items = sorted(refresh(), key=lambda i: i.subject)
    assert [i.subject for i in items] == sorted([f"order:{waiting.pk}", f"order:{held.pk}"])
    assert all(i.role == Role.CUSTOMER_SERVICE for i in items)
    item = next(i for i in items if i.subject == f"order:{waiting.pk}")
    assert waiting.number in item.title and "waiting for stock" in item.title
    assert item.url == f"/orders/{waiting.number}/"
    # stock arrived and the order was allocated: the item closes by itself
    Order.objects.filter(pk=waiting.pk).update(status="allocated")
    assert [i.subject for i in refresh()] == [f"order:{held.pk}"]
    closed = ExceptionItem.objects.get(subject=f"order:{waiting.pk}")
    assert closed.close_reason == "cleared" and closed.closed_by is None
