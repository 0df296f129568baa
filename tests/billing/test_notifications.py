"""Billing's customer e-mails (the invoice with its PDF, payment reminders) are written in the
customer's language, sent once, and appear on the order's timeline."""

from datetime import date, timedelta

import pytest
from django.core import mail

from billing.models import Invoice
from billing.services import invoice_reminders_send, payment_record
from billing.services.delivery import invoice_email_send
from oms.models import Notification
from oms.roles import Role
from tests.factories.billing import b2c_customer, issue
from tests.factories.payments import dispatch_pending, place

pytestmark = pytest.mark.django_db


def test_invoice_e_mail_in_english_once_and_on_the_order_timeline(shop, no_delivery, role_client):
    shop.consumer.__class__.objects.filter(pk=shop.consumer.pk).update(language="en")
    shop.consumer.refresh_from_db()
    order = place(shop.consumer, ("MUG-RED", 1))
    payment_record(order=order, method="ideal", amount=order.gross_amount, reference="tr_1", user=None)
    dispatch_pending()  # the worker invoices the order paid in full
    invoice = Invoice.objects.get(order=order)
    assert invoice_email_send(invoice_id=invoice.pk) == "sent"
    assert invoice_email_send(invoice_id=invoice.pk) == "skipped"
    (message,) = mail.outbox
    assert message.subject.startswith(f"Invoice {invoice.number}") and "Please find attached" in message.body
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
    notification = Notification.objects.get(kind="invoice")
    assert (notification.order_id, notification.status, notification.language) == (order.pk, "sent", "en")
    page = role_client(Role.CUSTOMER_SERVICE).get(f"/orders/{order.number}/").content.decode()
    assert f"Invoice e-mail sent to {shop.consumer.email} (en)" in page


def test_invoice_without_e_mail_address_is_recorded_as_not_sent():
    invoice = issue(b2c_customer(email=""))
    invoice_email_send(invoice_id=invoice.pk)
    assert mail.outbox == []
    assert Notification.objects.get(key=f"invoice:invoice:{invoice.pk}").status == "skipped"


def test_payment_reminder_in_english_for_an_english_customer_is_recorded(no_delivery):
    today = date(2026, 11, 30)
    issued = today - timedelta(days=14 + 16)
    invoice = issue(b2c_customer(email="late@example.com", language="en"), issue_date=issued, supply_date=issued,
                    payment_terms_days=14)  # fmt: skip
    assert invoice_reminders_send(today=today)["sent"] == 1
    (message,) = mail.outbox
    assert message.subject.startswith(f"Second reminder: invoice {invoice.number}")
    assert "is still open" in message.body
    notification = Notification.objects.get(kind="payment_reminder")
    assert (notification.key, notification.status, notification.language) == (
        f"payment_reminder:invoice:{invoice.pk}:14",
        "sent",
        "en",
    )
