"""The render-and-mail path in a real Celery worker on Redis: the PDF is rendered after commit
and e-mailed (to a fake SMTP server on 127.0.0.1) once, even when the task runs twice."""

import pytest

from billing import tasks
from billing.models import Invoice
from tests.factories.billing import issue
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.pdf import pdf_text
from tests.support.services import redis_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.worker]


def _succeeded(worker: Worker) -> int:
    return sum("billing.tasks.invoice_pdf_render" in line and "succeeded" in line for line in worker.log)


def test_worker_renders_the_pdf_after_commit_and_mails_it_once(smtp, settings, monkeypatch):
    # given a worker whose e-mail goes to the fake SMTP server and whose files go where ours do
    monkeypatch.setenv("EMAIL_URL", smtp.url)
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)
    queue = new_queue()
    worker = Worker(queue, redis_url()).start()
    try:
        with use_broker(redis_url(), queue):
            # when an invoice is issued (the render task is queued when the transaction commits)
            invoice = issue()
            assert wait_until(lambda: Invoice.objects.get(pk=invoice.pk).sent_at, timeout=60), "".join(worker.log[-40:])
            # and the task is delivered a second time
            tasks.invoice_pdf_render.apply_async(kwargs={"invoice_id": invoice.pk})
            assert wait_until(lambda: _succeeded(worker) >= 2, timeout=30), "".join(worker.log[-40:])
    finally:
        worker.stop()
    # then one e-mail reached the SMTP server, to the buyer, with the stored PDF attached
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == invoice.buyer_email and invoice.number in message["Subject"]
    (attachment,) = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    content = attachment.get_payload(decode=True)
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as handle:
        assert handle.read() == content
    assert invoice.number in pdf_text(content)
