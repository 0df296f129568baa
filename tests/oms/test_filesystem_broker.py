"""The quick start's broker: a real Celery worker on kombu's file-system transport (no Redis), as
``make run`` starts it when ``REDIS_URL`` is unset. Both ways a task is queued go through the
folder: the outbox hand-off after commit (``oms.broker.send_outbox_batch``) and a task queued
on commit (the invoice PDF, rendered and e-mailed by the worker)."""

import uuid

import pytest
from django.db import transaction

from billing.models import Invoice
from oms import events
from oms.models import OutboxEvent, OutboxStatus, WorkerHeartbeat
from tests.factories.billing import issue
from tests.support.celery_worker import Worker, filesystem_options, new_queue, use_broker, wait_until
from tests.support.pdf import pdf_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_worker_on_the_filesystem_broker_handles_events_and_mails_the_invoice(tmp_path, smtp, settings, monkeypatch):
    # given a worker on a broker folder, mailing to the fake SMTP server, with our media folder
    monkeypatch.setenv("EMAIL_URL", smtp.url)
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)
    queue = new_queue()
    options = filesystem_options(tmp_path)
    worker = Worker(queue, tmp_path).start()
    try:
        with use_broker("filesystem://", queue, options):
            # when an event is published and an invoice issued
            tag = uuid.uuid4().hex
            with transaction.atomic():
                event = events.publish("oms.ping", {"tag": tag})
            invoice = issue()
            # then the worker handles the event
            seen = lambda: WorkerHeartbeat.objects.filter(worker=f"ping:{tag}").exists()  # noqa: E731
            assert wait_until(seen, timeout=30), "".join(worker.log[-40:])
            done = lambda: OutboxEvent.objects.get(pk=event.pk).status == OutboxStatus.DONE  # noqa: E731
            assert wait_until(done, timeout=10)
            # and renders the invoice's PDF and mails it
            assert wait_until(lambda: Invoice.objects.get(pk=invoice.pk).sent_at, timeout=60), "".join(worker.log[-40:])
    finally:
        worker.stop()
    (message,) = smtp.messages
    (attachment,) = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert invoice.number in pdf_text(attachment.get_payload(decode=True))
    # and the folder holds no message left unread
    assert not list((tmp_path / "queue").glob(f"*.{queue}.msg"))
