"""The hand-off path in a real Celery worker on Redis: packing queues the hand-off after commit,
the worker retries a carrier 500 with back-off under the same key, hands off with one label,
and the customer's e-mail with the tracking link goes out once."""

import pytest

from shipping import tasks
from shipping.models import Shipment, ShipmentNotice
from tests.shipping.flow import pack, place
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.services import redis_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.worker]


def _runs(worker: Worker) -> int:
    return sum("shipping.tasks.shipment_hand_off" in line and "succeeded" in line for line in worker.log)


def test_worker_hands_off_after_commit_retrying_a_500_with_one_key(
    customer, mug, ams, packer, parcel_carrier, carrier_server, smtp, settings, monkeypatch
):
    # given a worker with quick back-off, e-mail to the fake SMTP server and our media folder
    for name, value in {"EMAIL_URL": smtp.url, "MEDIA_ROOT": settings.MEDIA_ROOT,
                        "OMS_CARRIER_RETRY_SECONDS": "0.5", "OMS_CARRIER_TIMEOUT_SECONDS": "2"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    carrier_server.script = ["error"]
    queue = new_queue()
    monkeypatch.setenv("CELERY_TASK_DEFAULT_QUEUE", queue)  # what the worker queues itself comes back to it
    worker = Worker(queue, redis_url()).start()
    try:
        with use_broker(redis_url(), queue):
            # when a shipment is packed (the hand-off is queued when the transaction commits)
            shipment = pack(place(customer, ("MUG-RED", 2)), ams, packer)
            handed = wait_until(lambda: Shipment.objects.get(pk=shipment.pk).status == "handed_off", timeout=60)
            assert handed, "".join(worker.log[-40:])
            sent = wait_until(lambda: ShipmentNotice.objects.filter(shipment=shipment, sent_at__isnull=False).exists())
            assert sent, "".join(worker.log[-40:])
            # and the task is delivered once more
            tasks.shipment_hand_off.apply_async(args=[shipment.pk])
            assert wait_until(lambda: _runs(worker) >= 2, timeout=30), "".join(worker.log[-40:])
    finally:
        worker.stop()
    # then the carrier saw two tries (a 500, then the label) under one key, and made one label
    shipment.refresh_from_db()
    assert [r["mode"] for r in carrier_server.requests] == ["error", "ok"]
    assert carrier_server.keys == {str(shipment.handoff_key)} and carrier_server.labels_made == 1
    assert shipment.tracking_number == carrier_server.labels[str(shipment.handoff_key)]["tracking_number"]
    assert shipment.label and shipment.attempts.count() == 2
    # and the customer got one e-mail with the tracking link
    # (billing mails the invoice of an on-account order too; that one carries the PDF; and the
    # order confirmation went out when the order was placed)
    (message,) = [
        m for m in smtp.messages if m.get_content_type() != "multipart/mixed" and "bevestigd" not in m["Subject"]
    ]
    assert message["To"] == "jan@example.nl"
    assert shipment.tracking_number in message.get_payload(decode=True).decode()
