"""Moving promises with a real Celery worker on Redis: the purchase order's new date reaches the
worker as ``stock.expected_changed``, which re-promises the waiting lines and sends each affected
customer one e-mail (to a fake SMTP server); the order waiting for another product hears nothing."""

from datetime import timedelta

import pytest
from django.test import override_settings

from oms.models import Notification
from orders.models import OrderLine
from orders.services import promises
from purchasing.services import purchase_order_reschedule, purchase_order_send
from tests.factories.customers import AddressFactory, CustomerFactory
from tests.factories.inventory import ProductFactory, WarehouseFactory, stock
from tests.factories.orders import place
from tests.factories.purchasing import draft_purchase_order
from tests.factories.shipping import parcel_service
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.services import redis_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.worker]
SHIPPING = "shipping.quotes.quote_delivery"


def buyer(email):
    customer = CustomerFactory(email=email, language="nl")
    AddressFactory(customer=customer, kind="shipping", house_number="7", postal_code="3511 AB")
    return customer


def sent_po(product, warehouse):
    po = draft_purchase_order([(product, 20, "4.00")], warehouse=warehouse)
    return purchase_order_send(purchase_order_id=po.pk, user=None)


@override_settings(OMS_DELIVERY_QUOTE_BACKEND=SHIPPING)
def test_a_worker_moves_the_waiting_lines_and_mails_each_customer_once(smtp, monkeypatch):
    monkeypatch.setenv("EMAIL_URL", smtp.url)
    monkeypatch.setenv("OMS_DELIVERY_QUOTE_BACKEND", SHIPPING)
    queue = new_queue()
    monkeypatch.setenv("CELERY_TASK_DEFAULT_QUEUE", queue)
    # given two orders waiting for the lamps' purchase order and one for the vases'
    ams = WarehouseFactory(code="AMS", priority=10)
    parcel_service("postnl", rates={"nl": [(30000, "4.10")]})
    stock(ProductFactory(sku="MUG-RED", name="Red mug", weight_grams=300), ams, 10)
    lamp = ProductFactory(sku="LAMP", name="Desk lamp", weight_grams=800)
    vase = ProductFactory(sku="VASE", name="Vase", weight_grams=500)
    worker = Worker(queue, redis_url()).start()
    try:
        with use_broker(redis_url(), queue):
            lamps, _ = sent_po(lamp, ams), sent_po(vase, ams)
            a = place(buyer("a@example.com"), ("MUG-RED", 1), ("LAMP", 2))
            b = place(buyer("b@example.com"), ("LAMP", 1))
            place(buyer("c@example.com"), ("VASE", 1))
            confirmed = wait_until(
                lambda: Notification.objects.filter(kind="order_confirmation", status="sent").count() == 3, timeout=60
            )
            assert confirmed, "".join(worker.log[-40:])
            before = {line.pk: line.promised_delivery_date for line in OrderLine.objects.all()}
            # when the supplier's new date is entered
            purchase_order_reschedule(
                purchase_order_id=lamps.pk, expected_date=lamps.expected_date + timedelta(days=21), user=None
            )
            sent = wait_until(
                lambda: Notification.objects.filter(kind=promises.PROMISE_MOVED, status="sent").count() == 2,
                timeout=60,
            )
            assert sent, "".join(worker.log[-40:])
            # the sweep and a second look change nothing
            wait_until(lambda: False, timeout=3)
    finally:
        worker.stop()
    # then exactly the lamp lines moved, and a and b got one e-mail each, c none
    after = {line.pk: (line.order_id, line.sku, line.promised_delivery_date) for line in OrderLine.objects.all()}
    moved = {(order_id, sku) for pk, (order_id, sku, day) in after.items() if day != before[pk]}
    assert moved == {(a.pk, "LAMP"), (b.pk, "LAMP")}
    mails = [m for m in smtp.messages if "leverdatum gewijzigd" in m["Subject"]]
    assert sorted(m["To"] for m in mails) == ["a@example.com", "b@example.com"]
    body = next(m for m in mails if m["To"] == "a@example.com").get_payload(decode=True).decode()
    assert "2 x Desk lamp (LAMP)" in body and "Red mug" not in body
    assert not [m for m in smtp.messages if m["To"] == "c@example.com" and "gewijzigd" in m["Subject"]]
    assert Notification.objects.filter(kind=promises.PROMISE_MOVED).count() == 2
