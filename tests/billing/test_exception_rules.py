"""Billing's rules in the exception inbox: prepaid orders unpaid some hours after placing, and
invoices whose PDF or e-mail did not go out (Retry queues them again); both close by themselves
when the cause is gone."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import Invoice
from oms import exceptions
from oms.models import ExceptionItem
from oms.roles import Role
from orders.models import Order
from tests.factories.billing import b2c_customer, issue
from tests.factories.orders import OrderFactory

pytestmark = pytest.mark.django_db


def refresh(code):
    exceptions.refresh_exceptions(only=[code])
    return list(ExceptionItem.objects.filter(rule=code, closed_at__isnull=True))


def test_prepaid_order_unpaid_after_the_hours_is_listed_until_paid(settings):
    settings.OMS_EXCEPTION_UNPAID_HOURS = 24
    old = timezone.now() - timedelta(hours=25)
    unpaid = OrderFactory(payment_method="ideal", placed_at=old, gross_amount=Decimal("12.10"))
    OrderFactory(payment_method="on_account", placed_at=old)  # invoiced later: not prepaid
    OrderFactory(payment_method="ideal", placed_at=timezone.now())  # still time to pay
    OrderFactory(payment_method="ideal", placed_at=old, amount_paid=Decimal("12.10"))  # paid
    OrderFactory(payment_method="ideal", placed_at=old, status="cancelled")  # not open
    (item,) = refresh("billing.prepaid_unpaid")
    assert item.subject == f"order:{unpaid.pk}" and item.role == Role.ACCOUNTING
    assert unpaid.number in item.title and "12,10 open" in item.title
    Order.objects.filter(pk=unpaid.pk).update(amount_paid=Decimal("12.10"))
    assert refresh("billing.prepaid_unpaid") == []
    assert ExceptionItem.objects.get().close_reason == "cleared"


def test_unsent_invoice_is_listed_retry_sends_it_and_it_closes(settings, make_user, tmp_path):
    settings.OMS_EXCEPTION_INVOICE_UNSENT_MINUTES = 0
    # issued in the test's transaction: its after-commit delivery never ran (a lost task)
    invoice = issue(b2c_customer(email="piet@example.nl"))
    (item,) = refresh("billing.invoice_unsent")
    assert item.subject == f"invoice:{invoice.pk}" and "has no PDF" in item.title
    assert item.url == f"/billing/invoices/{invoice.number}/"
    accountant = make_user(Role.ACCOUNTING)
    exceptions.exception_retry(item_id=item.pk, user=accountant)  # the task runs eagerly
    invoice.refresh_from_db()
    assert invoice.pdf and invoice.sent_at is not None and len(mail.outbox) == 1
    assert refresh("billing.invoice_unsent") == []
    item.refresh_from_db()
    assert (item.close_reason, item.closed_by) == ("retried", accountant)


def test_invoice_of_a_customer_without_e_mail_is_listed_only_without_its_pdf(settings):
    settings.OMS_EXCEPTION_INVOICE_UNSENT_MINUTES = 0
    invoice = issue(b2c_customer(email=""))
    (item,) = refresh("billing.invoice_unsent")
    Invoice.objects.filter(pk=invoice.pk).update(pdf="invoices/x.pdf")
    assert refresh("billing.invoice_unsent") == []
    item.refresh_from_db()
    assert item.close_reason == "cleared"
