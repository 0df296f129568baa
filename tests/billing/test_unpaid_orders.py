"""Issue 17: unpaid prepaid orders are reminded (with a link that works) and later cancelled
(stock released, customer told), each once, both on the timeline."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import LinkPurpose, LinkStatus, PaymentFetch, PaymentLink
from billing.services import unpaid
from inventory.models import StockLevel
from orders.models import Order, OrderEvent, OrderStatus
from tests.factories.payments import dispatch_pending, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def call(step, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = step(*args, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_pending()
        return result

    return call


@pytest.fixture
def hours(settings):
    settings.OMS_PAYMENT_REMINDER_HOURS = 24
    settings.OMS_UNPAID_CANCEL_HOURS = 72
    settings.OMS_PAYMENT_LINK_EXPIRY_HOURS = 24


def _placed(shop, run, *, hours_ago: int, quantity: int = 3) -> Order:
    order = run(place, shop.consumer, ("MUG-RED", quantity), method="ideal", channel="phone")
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(hours=hours_ago))
    mail.outbox.clear()
    return Order.objects.get(pk=order.pk)


def _reserved(shop) -> int:
    return StockLevel.objects.get(product=shop.mug, warehouse=shop.ams).reserved


def test_an_unpaid_order_is_reminded_once_with_a_fresh_link_when_the_old_one_expired(
    shop, fake_mollie, run, hours, no_delivery
):
    order = _placed(shop, run, hours_ago=25)
    first = PaymentLink.objects.get(order=order)
    Order.objects.filter(pk=order.pk).update(payment_url_expires_at=timezone.now() - timedelta(hours=1))
    # when the beat task runs (twice)
    assert run(unpaid.unpaid_orders_chase) == {"reminded": 1, "cancelled": 0}
    assert run(unpaid.unpaid_orders_chase) == {"reminded": 0, "cancelled": 0}
    # then a new link was made first, and the one reminder carries it
    fresh = PaymentLink.objects.filter(order=order).exclude(pk=first.pk).get()
    assert fresh.purpose == LinkPurpose.REMINDER and fresh.status == LinkStatus.OPEN
    (message,) = mail.outbox
    assert fresh.checkout_url in message.body and first.checkout_url not in message.body
    assert order.number in message.subject
    assert OrderEvent.objects.filter(order=order, message="Payment reminder sent.").count() == 1


def test_a_reminder_with_a_valid_link_makes_no_new_one_and_a_fresh_order_is_left_alone(
    shop, fake_mollie, run, hours, no_delivery
):
    due = _placed(shop, run, hours_ago=25, quantity=1)
    young = _placed(shop, run, hours_ago=2, quantity=1)
    Order.objects.filter(pk=due.pk).update(payment_url_expires_at=timezone.now() + timedelta(hours=10))
    assert run(unpaid.unpaid_orders_chase)["reminded"] == 1
    assert PaymentLink.objects.filter(order=due).count() == 1
    (message,) = mail.outbox
    assert due.payment_url in message.body
    assert not OrderEvent.objects.filter(order=young, message="Payment reminder sent.").exists()


def test_an_order_unpaid_past_the_cancel_time_is_cancelled_once_stock_released_customer_told(
    shop, fake_mollie, run, hours, no_delivery
):
    order = _placed(shop, run, hours_ago=73)
    assert _reserved(shop) == 3
    assert run(unpaid.unpaid_orders_chase)["cancelled"] == 1
    assert run(unpaid.unpaid_orders_chase)["cancelled"] == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and _reserved(shop) == 0
    event = OrderEvent.objects.get(order=order, kind="cancelled")
    assert "not paid within 72 hours" in event.message and "3 reserved units back in stock" in event.message
    (message,) = [m for m in mail.outbox if "geannuleerd" in m.subject or "cancelled" in m.subject]
    assert order.number in message.subject and "72" in message.body


def test_a_paid_order_is_neither_reminded_nor_cancelled(shop, fake_mollie, run, hours, client, no_delivery):
    order = _placed(shop, run, hours_ago=80)
    link = PaymentLink.objects.get(order=order)
    fake_mollie.pay(link.provider_payment_id)
    run(client.post, "/webhooks/payments/mollie/", {"id": link.provider_payment_id})
    mail.outbox.clear()
    assert run(unpaid.unpaid_orders_chase) == {"reminded": 0, "cancelled": 0}
    order.refresh_from_db()
    assert order.status != OrderStatus.CANCELLED and mail.outbox == []


def test_a_payment_on_its_way_holds_the_cancellation(shop, fake_mollie, run, hours, no_delivery):
    """The provider has called about the order's payment and the fetch has not run yet: the
    payment may be paid, so the order is not cancelled this round."""
    order = _placed(shop, run, hours_ago=80)
    link = PaymentLink.objects.get(order=order)
    PaymentFetch.objects.create(provider="mollie", payment_id=link.provider_payment_id)
    assert unpaid.unpaid_order_cancel(order_id=order.pk) is False
    order.refresh_from_db()
    assert order.status != OrderStatus.CANCELLED and _reserved(shop) == 3
