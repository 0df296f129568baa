"""The cancellation of an unpaid order against a payment arriving at the same moment, on
PostgreSQL with threads: a payment the provider has told us about wins; a payment recorded by
another path serialises with the cancellation on the customer's billing lock, so the order ends
either paid and open or cancelled with its stock back, never half of each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import LinkStatus, Payment, PaymentFetch, PaymentLink
from billing.services import payment_record, psp, unpaid
from inventory.models import StockLevel
from oms.invariants import violations
from orders.models import Order, OrderStatus
from tests.billing.test_payment_concurrency import together
from tests.factories.payments import place

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROUNDS = 4


def _unpaid_order(shop, fake_psp, n: int) -> tuple[Order, str]:
    order = place(shop.consumer, ("MUG-RED", 1), method="ideal", channel="phone")
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(hours=100))
    payment_id = f"tr_Race{n}"
    PaymentLink.objects.create(
        order=order,
        provider="mollie",
        amount=order.gross_amount,
        status=LinkStatus.OPEN,
        provider_payment_id=payment_id,
        checkout_url=f"https://checkout.test/{payment_id}",
    )
    fake_psp.add(payment_id, order_number=order.number, amount=f"{order.gross_amount:.2f}")
    return order, payment_id


def test_a_payment_the_provider_announced_wins_over_the_cancellation(shop, fake_psp, no_delivery, settings):
    settings.OMS_UNPAID_CANCEL_HOURS = 72
    for n in range(ROUNDS):
        order, payment_id = _unpaid_order(shop, fake_psp, n)
        # the webhook has come in: the fetch is queued
        PaymentFetch.objects.create(provider="mollie", payment_id=payment_id)

        def work(i, order=order, payment_id=payment_id):
            if i == 0:
                return psp.payment_fetch_run(provider="mollie", payment_id=payment_id)
            return unpaid.unpaid_order_cancel(order_id=order.pk)

        outcomes = together(work, 2)
        order.refresh_from_db()
        assert outcomes == ["recorded", False], (n, outcomes)
        assert order.status != OrderStatus.CANCELLED and order.amount_paid == order.gross_amount
    assert StockLevel.objects.get(product=shop.mug, warehouse=shop.ams).reserved == ROUNDS
    assert violations() == {}


def test_a_payment_recorded_elsewhere_and_the_cancellation_never_half_happen(shop, fake_psp, no_delivery, settings):
    settings.OMS_UNPAID_CANCEL_HOURS = 72
    results = []
    for n in range(ROUNDS):
        order, _ = _unpaid_order(shop, fake_psp, n)

        def work(i, order=order, n=n):
            if i == 0:
                return payment_record(
                    order=order, method="ideal", amount=order.gross_amount, reference=f"api_{n}", user=None
                ).created
            return unpaid.unpaid_order_cancel(order_id=order.pk)

        recorded, cancelled = together(work, 2)
        order.refresh_from_db()
        assert recorded and Payment.objects.filter(order=order).count() == 1
        if cancelled:
            # the cancellation went first: the order stays cancelled, the money is its credit
            assert order.status == OrderStatus.CANCELLED
        else:
            assert order.status != OrderStatus.CANCELLED and order.amount_paid == order.gross_amount
        results.append(cancelled)
    reserved = StockLevel.objects.get(product=shop.mug, warehouse=shop.ams).reserved
    assert reserved == results.count(False)
    assert violations() == {}
