"""Return labels in a real Celery worker on Redis: the customer's return request on their page
queues the label after commit; the worker retries Sendcloud's 500 under the same external
reference, stores one label, and the customer downloads it from the page and gets it by e-mail."""

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import OrderLine
from orders.status_links import order_token
from shipping.models import Return, Shipment
from tests.shipping.flow import pack, place
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.services import redis_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.worker]


def test_a_worker_makes_the_sendcloud_return_label_the_customer_downloads(
    customer, mug, ams, packer, sendcloud, sendcloud_server, smtp, settings, monkeypatch
):
    for name, value in {"EMAIL_URL": smtp.url, "MEDIA_ROOT": settings.MEDIA_ROOT,
                        "OMS_CARRIER_RETRY_SECONDS": "0.5", "OMS_CARRIER_TIMEOUT_SECONDS": "2"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    queue = new_queue()
    monkeypatch.setenv("CELERY_TASK_DEFAULT_QUEUE", queue)
    client = Client()
    worker = Worker(queue, redis_url()).start()
    try:
        with use_broker(redis_url(), queue):
            # given a parcel that went out through Sendcloud
            shipment = pack(place(customer, ("MUG-RED", 2)), ams, packer)
            handed = wait_until(lambda: Shipment.objects.get(pk=shipment.pk).status == "handed_off", timeout=60)
            assert handed, "".join(worker.log[-40:])
            page = reverse("status:page", kwargs={"token": order_token(shipment.order)})
            # when the customer asks for a return and Sendcloud first fails once
            sendcloud_server.script = ["error"]
            form = client.get(page).content.decode()
            key = form.split('name="request_key" value="', 1)[1].split('"', 1)[0]
            line = OrderLine.objects.get(order_id=shipment.order_id, sku="MUG-RED")
            posted = client.post(page, {"request_key": key, f"qty-{line.pk}": "1", "reason": "defective"})
            assert posted.status_code == 302
            ret = Return.objects.get(order_id=shipment.order_id)
            ready = wait_until(lambda: Return.objects.get(pk=ret.pk).label_status == "ready", timeout=60)
            assert ready, "".join(worker.log[-40:])
            mailed = wait_until(lambda: any(ret.number in (m["Subject"] or "") for m in smtp.messages), timeout=60)
            assert mailed, "".join(worker.log[-40:])
    finally:
        worker.stop()
    # then Sendcloud made one return parcel, after a 500, under one external reference
    ret.refresh_from_db()
    returns = [p for p in sendcloud_server.parcels.values() if p.get("is_return")]
    assert len(returns) == 1 and returns[0]["tracking_number"] == ret.label_tracking_number
    creates = [r for r in sendcloud_server.requests if r["method"] == "POST" and r["path"] == "/api/v2/parcels"]
    assert len(creates) == 3  # the hand-off, the failed return try, the return
    # and the customer downloads the label from their page
    html = client.get(page).content.decode()
    link = reverse("status:return_label", kwargs={"token": order_token(shipment.order), "number": ret.number})
    assert f'href="{link}"' in html
    pdf = b"".join(client.get(link).streaming_content)
    assert pdf.startswith(b"%PDF") and ret.label_tracking_number.encode() in pdf
    (message,) = [m for m in smtp.messages if ret.number in (m["Subject"] or "")]
    assert link in message.get_payload(decode=True).decode()
