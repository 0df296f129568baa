"""With a worker configured, placing a phone order does its own writes and nothing else in the
request: the confirmation e-mail, the invoice and its PDF are the worker's, queued after commit."""

import pytest
import redis
from django.core import mail
from django.urls import reverse

from billing.models import Invoice
from oms.broker import flush_hand_offs
from oms.models import OutboxEvent
from orders.models import Order
from orders.services import order_draft_create, order_draft_set_lines
from tests.support.celery_worker import new_queue, use_broker
from tests.support.services import redis_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def test_placing_a_phone_order_queues_its_e_mail_and_documents_for_the_worker(role_client, customer, mug):
    cs = role_client("customer_service")
    draft = order_draft_create(channel="phone", customer=customer, user=None)
    order_draft_set_lines(order=draft, lines=[{"product_id": mug.pk, "quantity": 2}], user=None)
    queue = new_queue()
    store = redis.Redis.from_url(redis_url())
    try:
        with use_broker(redis_url(), queue):
            response = cs.post(reverse("orders:draft_place", kwargs={"order_id": draft.pk}), HTTP_HX_REQUEST="true")
            assert response.status_code == 200 and response["HX-Redirect"]
            # then the order is placed, its events wait for the worker on the queue, and no
            # e-mail was sent nor invoice made in the request
            order = Order.objects.get(pk=draft.pk)
            assert order.status == "allocated"
            assert OutboxEvent.objects.filter(name="order.placed", status="pending").count() == 1
            # the hand-off thread pushes the message a moment after the answer (oms.broker)
            assert flush_hand_offs()
            assert store.llen(queue) == 1
            assert mail.outbox == [] and not Invoice.objects.filter(order=order).exists()
    finally:
        store.delete(queue)
