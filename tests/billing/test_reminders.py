"""Overdue reminders: the nightly task marks invoices overdue and e-mails a reminder once per
stage (7, 14, 30 days past due)."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail

from billing.models import InvoiceReminder, InvoiceStatus
from billing.services import invoice_reminders_send, payment_record
from tests.factories.billing import b2c_customer, issue

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 30)


def overdue_invoice(days_past_due: int, **customer):
    """An invoice with 14 days' terms that fell due ``days_past_due`` days before TODAY."""
    issued = TODAY - timedelta(days=14 + days_past_due)
    return issue(b2c_customer(**customer), issue_date=issued, supply_date=issued, payment_terms_days=14)


def test_invoice_reminders_send_once_per_stage(no_delivery):
    invoice = overdue_invoice(16, email="late@example.nl")
    counts = invoice_reminders_send(today=TODAY)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OVERDUE and counts["overdue"] == 1 and counts["sent"] == 1
    (message,) = mail.outbox
    assert message.to == ["late@example.nl"] and invoice.number in message.subject
    assert "Tweede herinnering" in message.subject and "35,80" in message.body  # Dutch money format
    # the next night: nothing new
    assert invoice_reminders_send(today=TODAY + timedelta(days=1))["sent"] == 0 and len(mail.outbox) == 1
    # the 30-day stage: the last reminder, once
    assert invoice_reminders_send(today=TODAY + timedelta(days=14))["sent"] == 1
    assert invoice_reminders_send(today=TODAY + timedelta(days=15))["sent"] == 0
    assert "Laatste herinnering" in mail.outbox[-1].subject
    assert list(InvoiceReminder.objects.values_list("stage", flat=True)) == [14, 30]


def test_invoice_reminders_skip_paid_fresh_and_addressless_invoices(no_delivery):
    overdue_invoice(20, email="")  # nobody to write to
    paid = overdue_invoice(10)
    payment_record(customer=paid.customer, method="bank_transfer", amount=paid.gross_amount, reference="B1", user=None)
    partly = overdue_invoice(8)
    payment_record(customer=partly.customer, method="bank_transfer", amount="5.00", reference="B2", user=None)
    overdue_invoice(3)  # overdue, not yet a stage
    counts = invoice_reminders_send(today=TODAY)
    assert counts["sent"] == 1 and mail.outbox[0].to == [partly.buyer_email]
    assert "30,80" in mail.outbox[0].body  # what is still open, in Dutch money format
    assert InvoiceReminder.objects.get().stage == 7


def test_invoice_reminders_failed_send_is_tried_again(no_delivery, monkeypatch):
    overdue_invoice(7)
    from django.core.mail import EmailMessage

    original = EmailMessage.send
    monkeypatch.setattr(EmailMessage, "send", lambda self, fail_silently=False: (_ for _ in ()).throw(OSError("down")))
    assert invoice_reminders_send(today=TODAY)["failed"] == 1 and not InvoiceReminder.objects.exists()
    monkeypatch.setattr(EmailMessage, "send", original)
    assert invoice_reminders_send(today=TODAY)["sent"] == 1 and len(mail.outbox) == 1
    assert InvoiceReminder.objects.get().sent_at is not None


def test_invoice_reminders_task_is_scheduled_nightly():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "billing.tasks.invoice_reminders_send"]
    assert len(entries) == 1
    from billing.tasks import invoice_reminders_send as task

    assert task.name == "billing.tasks.invoice_reminders_send"
