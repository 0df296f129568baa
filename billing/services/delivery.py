"""Getting invoices to customers: the PDF (rendered once, by a worker, after commit) and the
e-mail with the PDF attached (sent once), one by one or as a batch with a progress record.

The e-mail is an ``oms.deliver_once`` delivery (kind ``billing.invoice_email``, key the invoice
id), written when the invoice is issued (or when a batch or the sweep first sends it); the
invoice's ``sent_at`` records that it went out. Nothing here runs inside a transaction that
holds locks while rendering or talking to SMTP.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from billing.models import Invoice, SendBatch, SendBatchItem, SendOutcome
from billing.models.invoices import invoice_pdf_path
from oms import deliver_once, notify
from oms.errors import Conflict
from oms.models import NotificationStatus
from oms.tasks_registry import enqueue

# The sweep leaves fresh invoices to their own after-commit task so that it does not race it.
SWEEP_GRACE = timedelta(minutes=10)
SWEEP_WINDOW = timedelta(days=3)
BATCH_LIMIT = 5000
RENDER_TASK = "billing.tasks.invoice_pdf_render"

DELIVERY = deliver_once.register(
    deliver_once.Kind(
        code="billing.invoice_email",
        task=RENDER_TASK,  # called with the invoice id: render the PDF (once), then e-mail it
        label="Invoice e-mail",
        max_retry_seconds=600.0,
        sweep_grace=SWEEP_GRACE,
        own_rule=True,  # "billing.invoice_unsent" lists the invoice, with its PDF state
    )
)
# A send that claimed an invoice and then died (worker killed mid-SMTP) is retried after this.
CLAIM_TIMEOUT = DELIVERY.claim_timeout

# Issue invoices without queueing their delivery (bulk loads such as the demo data): the PDF is
# rendered when first downloaded, e-mail goes out with "send unsent invoices".
paused = deliver_once.paused


def invoice_delivery_create(invoice: Invoice, *, send: bool) -> None:
    """In the issuing transaction: the invoice's e-mail delivery (when it is to be mailed), and
    after commit the render (+ e-mail) task."""
    if send and invoice.buyer_email:
        deliver_once.deliver(DELIVERY.code, invoice.pk, queue=False)
    transaction.on_commit(partial(queue_delivery, invoice.pk, send=send))


def queue_delivery(invoice_id: int, *, send: bool = True, batch_id: int | None = None) -> bool:
    """Hand the render (+ e-mail) task to the broker; never raises, because the periodic sweep
    (``invoice_deliveries_sweep``) picks up whatever could not be queued."""
    if deliver_once.is_paused():
        return False
    return enqueue(RENDER_TASK, kwargs={"invoice_id": invoice_id, "send": send, "batch_id": batch_id})


def invoice_delivery_retry(*, invoice_id: int) -> bool:
    """*Retry* in the exception inbox: a fresh set of tries for the e-mail (when it has one),
    and the render (+ e-mail, as configured) queued again. False when it could not be queued."""
    deliver_once.retry(DELIVERY.code, invoice_id, queue=False)
    return queue_delivery(invoice_id, send=getattr(settings, "OMS_INVOICE_AUTO_SEND", True))


def invoice_pdf_render(*, invoice_id: int) -> bool:
    """Render the invoice's PDF with WeasyPrint and store it, once.

    Returns True when this call stored the PDF, False when one was already stored (also when a
    concurrent run stored it first: the loser deletes its own file). Takes no lock while
    rendering; the store is a conditional UPDATE (``WHERE pdf = ''``), and the database refuses
    to replace a stored PDF. Publishes no event.
    """
    from billing import documents, selectors

    invoice = selectors.invoice_document(invoice_id)
    if invoice.pdf:
        return False
    data = documents.invoice_pdf_bytes(invoice)
    name = default_storage.save(invoice_pdf_path(invoice, f"{invoice.number}.pdf"), ContentFile(data))
    if not Invoice.objects.filter(pk=invoice_id, pdf="").update(pdf=name):
        default_storage.delete(name)
        return False
    return True


def invoice_pdf_content(*, invoice_id: int) -> bytes:
    """The bytes of the invoice's stored PDF, rendering and storing it first when there is none.

    When the stored file is missing from this process's storage (a worker on another host
    without shared media storage rendered it), the PDF is rendered again into the same name:
    the invoice cannot have changed since, so neither can its document. Locks nothing.
    """
    from billing import documents, selectors

    invoice_pdf_render(invoice_id=invoice_id)
    name = Invoice.objects.filter(pk=invoice_id).values_list("pdf", flat=True).get()
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    data = documents.invoice_pdf_bytes(selectors.invoice_document(invoice_id))
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # another request restored it at the same moment
        default_storage.delete(saved)
    return data


def invoice_email_send(*, invoice_id: int) -> str:
    """E-mail the invoice with its PDF attached to the buyer's address, once.

    Claims its delivery first (``oms.deliver_once``: not sent and no live claim), so a task
    delivered twice, or two workers, send one e-mail; ``sent_at`` is recorded after
    the SMTP server accepted it. A worker that dies between the two leaves a claim that expires
    after ``CLAIM_TIMEOUT``, and the next run sends again (at least once, not lost). Renders the
    PDF first when missing. Returns a ``SendOutcome`` value: ``sent``, ``skipped`` (already
    sent, or being sent) or ``failed`` (no e-mail address). Raises what the mail backend raises
    (the task retries); the claim is released first.
    """
    invoice = Invoice.objects.select_related("customer").filter(pk=invoice_id).first()
    if invoice is None or invoice.sent_at is not None:
        return SendOutcome.SKIPPED
    if not invoice.buyer_email:
        _record(invoice, NotificationStatus.SKIPPED)
        return SendOutcome.FAILED
    pdf = invoice_pdf_content(invoice_id=invoice_id)
    claim = deliver_once.claim(DELIVERY.code, invoice_id)
    if claim is None:
        return SendOutcome.SKIPPED
    message = _message(invoice, pdf)
    with deliver_once.attempt(claim):
        message.send(fail_silently=False)
    Invoice.objects.filter(pk=invoice_id, sent_at__isnull=True).update(sent_at=timezone.now())
    deliver_once.succeed(claim)
    _record(invoice, NotificationStatus.SENT, message.subject)
    return SendOutcome.SENT


def _message(invoice: Invoice, pdf: bytes) -> EmailMessage:
    """The invoice e-mail in the customer's language (``billing/notifications/invoice.*.txt``)."""
    from billing.documents import payment_statement

    seller = invoice.seller
    context = {"invoice": invoice, "seller": seller, "payment": payment_statement(invoice)}
    subject, body = notify.render_text("billing/notifications/invoice", _language(invoice), context)
    message = notify.email_message(invoice.buyer_email, subject, body, reply_to=seller.get("email"))
    message.attach(f"{invoice.number}.pdf", pdf, "application/pdf")
    if invoice.customer.is_b2b:
        # Business customers also get the e-invoice for their bookkeeping (billing.ubl).
        from billing import selectors, ubl

        document = selectors.invoice_document(invoice.pk)
        message.attach(ubl.invoice_ubl_filename(invoice), ubl.invoice_ubl_bytes(document), ubl.CONTENT_TYPE)
    return message


def _language(invoice: Invoice) -> str:
    return notify.language_of(getattr(invoice.customer, "language", None))


def _record(invoice: Invoice, status: str, subject: str = "") -> None:
    """Log the invoice e-mail in ``oms.notify``: it shows on the order's timeline."""
    kind = "credit_note" if invoice.is_credit_note else "invoice"
    notify.notification_record(
        kind=kind,
        key=f"{kind}:invoice:{invoice.pk}",
        to_email=invoice.buyer_email,
        language=_language(invoice),
        status=status,
        subject=subject,
        order_id=invoice.order_id,
        customer_id=invoice.customer_id,
    )


def invoice_send_batch_start(*, user) -> SendBatch:
    """Start sending every unsent invoice that has an e-mail address (at most ``BATCH_LIMIT``).

    Creates the batch and one item per invoice, and after commit queues one render-and-send
    task per invoice; each task records its outcome on its item, which is the progress. Locks
    nothing (an invoice in two batches is still e-mailed once). Publishes no event. Raises
    ``Conflict`` ``nothing_to_send``.
    """
    with transaction.atomic(durable=True):
        ids = list(
            Invoice.objects.filter(sent_at__isnull=True)
            .exclude(buyer_email="")
            .order_by("id")
            .values_list("id", flat=True)[:BATCH_LIMIT]
        )
        if not ids:
            raise Conflict("Every invoice with an e-mail address has been sent.", code="nothing_to_send")
        batch = SendBatch.objects.create(created_by=user)
        SendBatchItem.objects.bulk_create([SendBatchItem(batch=batch, invoice_id=i) for i in ids])
        for invoice_id in ids:
            transaction.on_commit(partial(queue_delivery, invoice_id, send=True, batch_id=batch.pk))
    return batch


def send_batch_item_finish(*, batch_id: int, invoice_id: int, outcome: str, error: str = "") -> bool:
    """Record the outcome of one invoice of a batch, once (a redelivered task changes nothing)."""
    return bool(
        SendBatchItem.objects.filter(batch_id=batch_id, invoice_id=invoice_id, outcome=SendOutcome.PENDING).update(
            outcome=outcome, error=error[:300], done_at=timezone.now()
        )
    )


def invoice_deliveries_sweep(*, limit: int = 200) -> int:
    """Queue the render (and e-mail) of recent invoices whose after-commit task was lost
    (broker down at commit, worker killed). Beat runs it every ten minutes. Returns the count."""
    now = timezone.now()
    send = getattr(settings, "OMS_INVOICE_AUTO_SEND", True)
    ids = set(
        Invoice.objects.filter(created_at__lt=now - SWEEP_GRACE, created_at__gt=now - SWEEP_WINDOW, pdf="")
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    if send:
        due = [int(key) for key in deliver_once.due_keys(DELIVERY.code, limit=limit)]
        ids.update(Invoice.objects.filter(pk__in=due, sent_at__isnull=True).values_list("id", flat=True))
    ids = sorted(ids)[:limit]
    for invoice_id in ids:
        if not queue_delivery(invoice_id, send=send):
            break
    return len(ids)
