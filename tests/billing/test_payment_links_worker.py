"""Issue 17 with a real Celery worker on Redis: the worker makes the payment link at a slow fake
Mollie after the order commits, the order confirmation waits for it and carries it (one e-mail,
to a fake SMTP server), and the payment made through the link, fetched by the worker after the
webhook, puts the order in the pick queue."""

import pytest
from django.test import Client

from billing.models import LinkStatus, Payment, PaymentLink
from orders.models import Order
from shipping.selectors.fulfilment import pick_queue
from tests.factories.payments import place
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.services import redis_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.worker]


def test_a_worker_makes_the_link_the_confirmation_waits_for_it_and_the_paid_order_is_picked(
    shop, fake_mollie, smtp, no_delivery, monkeypatch
):
    for name, value in {
        "EMAIL_URL": smtp.url,
        "OMS_MOLLIE_API_URL": fake_mollie.url,
        "OMS_MOLLIE_API_KEY": fake_mollie.api_key,
        "OMS_PAYMENT_LINKS": "true",
        "OMS_SITE_URL": "https://oms.test",
    }.items():
        monkeypatch.setenv(name, value)
    # the provider takes a while: the confirmation is written long before the link exists
    fake_mollie.delay = 2
    queue = new_queue()
    monkeypatch.setenv("CELERY_TASK_DEFAULT_QUEUE", queue)  # what the worker queues comes back to it
    worker = Worker(queue, redis_url()).start()
    try:
        with use_broker(redis_url(), queue):
            order = place(shop.consumer, ("MUG-RED", 1), method="ideal", channel="phone")
            link = wait_until(
                lambda: PaymentLink.objects.filter(order=order, status=LinkStatus.OPEN).first(), timeout=60
            )
            assert link, "".join(worker.log[-40:])
            assert wait_until(lambda: smtp.messages, timeout=60), "".join(worker.log[-40:])
            fake_mollie.delay = 0
            fake_mollie.pay(link.provider_payment_id)
            assert Client().post("/webhooks/payments/mollie/", {"id": link.provider_payment_id}).status_code == 202
            assert wait_until(lambda: Payment.objects.filter(order=order).exists(), timeout=60), "".join(
                worker.log[-40:]
            )
    finally:
        worker.stop()
    # one confirmation, carrying the link (the invoice of the paid order may follow by e-mail
    # too, depending on how far the worker got before it stopped)
    (message,) = [m for m in smtp.messages if "bevestigd" in m["Subject"] or "confirmed" in m["Subject"]]
    body = message.get_payload(decode=True).decode()
    assert order.number in message["Subject"] and link.checkout_url in body
    order = Order.objects.get(pk=order.pk)
    assert order.amount_paid == order.gross_amount and order in pick_queue(shop.ams.pk)
