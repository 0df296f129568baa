"""Payment reminders for overdue invoices: once per stage (7, 14 and 30 days past the due date).

The nightly task marks open invoices past their due date overdue, then e-mails a reminder for
every overdue invoice that reached a stage it has no reminder of yet. An invoice that jumped
several stages at once (the task did not run for a while) gets the reminder of the highest
stage only. The reminder row is the claim, inserted before the e-mail goes out, so a task run
twice, or two workers, send one e-mail per stage; a claim whose e-mail never went out (a worker
killed mid-send) is taken over after ``CLAIM_TIMEOUT``, and a failed send gives its claim back.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from billing.models import Invoice, InvoiceKind, InvoiceReminder, InvoiceStatus
from billing.services.invoices import invoices_mark_overdue
from oms import notify
from oms.models import NotificationStatus

logger = logging.getLogger(__name__)

STAGES = (7, 14, 30)
CLAIM_TIMEOUT = timedelta(minutes=15)
BATCH = 500


def reminder_stage(due_date: date, today: date) -> int | None:
    """The highest stage an invoice due on ``due_date`` has reached by ``today`` (None: none)."""
    reached = [stage for stage in STAGES if due_date <= today - timedelta(days=stage)]
    return max(reached) if reached else None


def _due_condition(today: date) -> Q:
    """Invoices that reached a stage beyond their last reminder (``last`` annotated)."""
    condition = Q()
    bounds = [*STAGES[1:], None]
    for stage, next_stage in zip(STAGES, bounds, strict=True):
        reached = Q(due_date__lte=today - timedelta(days=stage))
        if next_stage is not None:
            reached &= Q(due_date__gt=today - timedelta(days=next_stage))
        condition |= reached & (Q(last__isnull=True) | Q(last__lt=stage))
    return condition


def reminders_due(today: date, limit: int = BATCH) -> list[tuple[int, int]]:
    """``(invoice_id, stage)`` of the reminders to send now, oldest due date first (one query)."""
    rows = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.OVERDUE)
        .exclude(buyer_email="")
        .filter(gross_amount__gt=F("amount_paid") + F("amount_credited"))
        .annotate(last=Max("reminders__stage"))
        .filter(_due_condition(today))
        .order_by("due_date", "id")
        .values_list("id", "due_date")[:limit]
    )
    return [(invoice_id, reminder_stage(due, today)) for invoice_id, due in rows]


def invoice_reminders_send(*, today: date | None = None) -> dict[str, int]:
    """Mark overdue invoices, then send the reminders that are due (at most ``BATCH`` a run).
    Locks nothing beyond the rows it writes; no transaction is open while e-mail is sent.
    Publishes no event. Returns counts: ``overdue`` (newly marked), ``sent``, ``skipped``,
    ``failed``."""
    today = today or timezone.localdate()
    counts = {"overdue": invoices_mark_overdue(today=today), "sent": 0, "skipped": 0, "failed": 0}
    for invoice_id, stage in reminders_due(today):
        counts[invoice_reminder_send(invoice_id=invoice_id, stage=stage)] += 1
    return counts


def _claim(invoice_id: int, stage: int) -> InvoiceReminder | None:
    now = timezone.now()
    try:
        with transaction.atomic():
            return InvoiceReminder.objects.create(invoice_id=invoice_id, stage=stage, claimed_at=now)
    except IntegrityError:
        taken_over = InvoiceReminder.objects.filter(
            invoice_id=invoice_id, stage=stage, sent_at__isnull=True, claimed_at__lt=now - CLAIM_TIMEOUT
        ).update(claimed_at=now)
        return InvoiceReminder.objects.get(invoice_id=invoice_id, stage=stage) if taken_over else None


def invoice_reminder_send(*, invoice_id: int, stage: int) -> str:
    """E-mail the ``stage`` reminder of one invoice, once. Returns ``sent``, ``skipped`` (sent
    or being sent already, or paid meanwhile) or ``failed`` (the claim is given back, so the
    next run tries again)."""
    reminder = _claim(invoice_id, stage)
    if reminder is None:
        return "skipped"
    invoice = Invoice.objects.select_related("customer").get(pk=invoice_id)
    if invoice.open_amount <= 0:
        InvoiceReminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).delete()
        return "skipped"
    message = _message(invoice, stage)
    try:
        message.send(fail_silently=False)
    except Exception:
        logger.exception("billing: reminder %s of invoice %s not sent", stage, invoice.number)
        InvoiceReminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).delete()
        return "failed"
    InvoiceReminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now())
    notify.notification_record(
        kind="payment_reminder",
        key=f"payment_reminder:invoice:{invoice.pk}:{stage}",
        to_email=invoice.buyer_email,
        language=_language(invoice),
        status=NotificationStatus.SENT,
        subject=message.subject,
        order_id=invoice.order_id,
        customer_id=invoice.customer_id,
    )
    return "sent"


def _message(invoice: Invoice, stage: int) -> EmailMessage:
    """The reminder in the customer's language (``billing/notifications/payment_reminder.*.txt``)."""
    seller = invoice.seller
    subject, body = notify.render_text(
        "billing/notifications/payment_reminder",
        _language(invoice),
        {"invoice": invoice, "seller": seller, "stage": stage},
    )
    return notify.email_message(invoice.buyer_email, subject, body, reply_to=seller.get("email"))


def _language(invoice: Invoice) -> str:
    return notify.language_of(getattr(invoice.customer, "language", None))
