"""The demo invoices: issued through the services to the demo customers, idempotent."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from billing import demo
from billing.models import Invoice, InvoiceKind, Payment
from oms.invariants import violations
from tests.factories.billing import issue

pytestmark = pytest.mark.django_db


def test_demo_billing_issues_invoices_once_and_keeps_the_books_straight():
    call_command("demo_customers", small=True, stdout=StringIO())
    out = StringIO()
    call_command("demo_billing", small=True, stdout=out)
    invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE)
    assert invoices.count() == 40 and "40 invoices issued" in out.getvalue()
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()
    dates = list(invoices.order_by("sequence").values_list("issue_date", flat=True))
    assert dates == sorted(dates) and dates[0] < dates[-1]
    assert not mail.outbox and not Invoice.objects.exclude(pdf="").exists()  # delivery paused
    payments = Payment.objects.count()
    assert payments > 10 and f"{payments} payments recorded" in out.getvalue()
    assert invoices.filter(status="paid").exists() and invoices.exclude(status="paid").exists()
    call_command("demo_billing", small=True, stdout=out)
    assert invoices.count() == 40 and "0 invoices issued, 40 already there, 0 payments" in out.getvalue()
    assert Payment.objects.count() == payments
    assert violations() == {}


def test_demo_billing_leaves_real_books_alone():
    issue()
    out = StringIO()
    call_command("demo_billing", small=True, stdout=out)
    assert "no demo invoices added" in out.getvalue() and Invoice.objects.count() == 1


def test_demo_lines_skip_fees_and_make_postage_a_shipping_line():
    row = {"StockCode": "POST", "Description": "POSTAGE", "Quantity": "3", "UnitPrice": "18.00"}
    assert demo._line(row)["kind"] == "shipping"
    assert demo._line({**row, "StockCode": "M"}) is None
    assert demo._line({**row, "StockCode": "22633", "Quantity": "-1"}) is None
    tea = demo._line({**row, "StockCode": "22633", "Description": "SET OF TEA COFFEE SUGAR TINS"})
    assert tea["vat_category"] == "low" and tea["sku"] == "22633"
