"""Reads: query budgets that do not grow with rows, the customer's receivable, trial balance,
ageing buckets, and the nightly overdue marking."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from billing import selectors
from billing.models import InvoiceStatus, derive_status
from billing.services import invoice_credit, invoices_mark_overdue, payment_record
from tests.factories.billing import b2c_customer, issue, line

pytestmark = pytest.mark.django_db


def test_invoice_get_by_number_reads_everything_in_five_queries(django_assert_num_queries):
    invoice = issue(lines=[line(), line(), line(1, "5.00", "low")])
    invoice_credit(invoice=invoice, lines=[{"line": 1, "quantity": 1}], reason="x", user=None)
    with django_assert_num_queries(5):
        found = selectors.invoice_get_by_number(invoice.number.lower())
        assert len(found.lines.all()) == 3 and len(found.vat_lines.all()) == 2
        assert [n.number for n in found.credit_notes.all()] == ["CN-2026-000001"]
        assert {ln.account.code for ln in found.journal_entry.lines.all()} >= {"1300", "8000"}
        assert found.customer.number


def test_customer_account_in_three_queries_agrees_with_the_ledger(django_assert_num_queries):
    customer = b2c_customer()
    first = issue(customer)
    second = issue(customer)
    invoice_credit(invoice=first, reason="x", user=None)
    payment_record(customer=customer, method="bank_transfer", amount="40.00", reference="STMT-1", user=None)
    with django_assert_num_queries(3):
        account = selectors.customer_account(customer.pk)
    assert (account.invoiced, account.credited, account.paid) == (Decimal("71.60"), Decimal("35.80"), Decimal("35.80"))
    assert account.open_balance == account.invoiced - account.paid - account.credited == Decimal("0.00")
    assert account.open_invoices == 0 and len(account.invoices) == 3
    # the payment paid the one open invoice; the rest is the customer's credit
    assert account.credit == Decimal("4.20") and [p.reference for p in account.payments] == ["STMT-1"]
    second.refresh_from_db()
    assert second.status == "paid"


def test_trial_balance_columns_balance_in_two_queries(django_assert_num_queries):
    issue(issue_date=date(2026, 3, 2))
    with django_assert_num_queries(2):
        rows, totals = selectors.trial_balance(as_of=date(2026, 3, 31))
    assert totals["debit"] == totals["credit"] == Decimal("35.80")
    assert totals["debit_balances"] == totals["credit_balances"]
    receivables = next(r for r in rows if r.account.code == "1300")
    assert receivables.debit_balance == Decimal("35.80") and receivables.credit_balance == 0
    assert selectors.trial_balance(as_of=date(2026, 3, 1))[1]["debit"] == 0


def test_receivables_ageing_bucket_edges():
    as_of = date(2026, 6, 30)
    customer = b2c_customer()
    for days in (91, 90, 61, 60, 31, 30, 0):  # numbers follow dates
        issue(customer, lines=[line(1, "100.00", "zero")], issue_date=as_of - timedelta(days=days))
    (row,) = selectors.receivables_ageing(as_of=as_of)
    assert (row["b0_30"], row["b31_60"], row["b61_90"], row["b90_plus"], row["total"]) == (
        Decimal("200.00"),
        Decimal("200.00"),
        Decimal("200.00"),
        Decimal("100.00"),
        Decimal("700.00"),
    )
    assert selectors.ageing_totals(as_of)["total"] == Decimal("700.00") == selectors.receivables_balance()


def test_invoices_mark_overdue_marks_only_open_invoices_past_due():
    today = date(2026, 6, 30)
    late = issue(issue_date=date(2026, 6, 1), payment_terms_days=14)
    due_today = issue(late.customer, issue_date=date(2026, 6, 16), payment_terms_days=14)
    credited = issue(late.customer, issue_date=date(2026, 6, 16), payment_terms_days=0)
    invoice_credit(invoice=credited, reason="x", user=None, issue_date=date(2026, 6, 16))
    assert invoices_mark_overdue(today=today) == 1
    late.refresh_from_db(), due_today.refresh_from_db(), credited.refresh_from_db()
    assert (late.status, due_today.status, credited.status) == (
        InvoiceStatus.OVERDUE,
        InvoiceStatus.ISSUED,
        InvoiceStatus.CREDITED,
    )
    assert invoices_mark_overdue(today=today) == 0


@pytest.mark.parametrize(
    "paid, credited, due_in, status",
    [
        ("0", "0", 1, InvoiceStatus.ISSUED),
        ("10", "0", 1, InvoiceStatus.PARTIALLY_PAID),
        ("10", "0", -1, InvoiceStatus.OVERDUE),
        ("100", "0", -1, InvoiceStatus.PAID),
        ("60", "40", 1, InvoiceStatus.PAID),
        ("0", "100", 1, InvoiceStatus.CREDITED),
        ("100", "100", 1, InvoiceStatus.CREDITED),
    ],
)
def test_derive_status(paid, credited, due_in, status):
    today = date(2026, 6, 30)
    assert (
        derive_status(
            gross=Decimal("100"),
            paid=Decimal(paid),
            credited=Decimal(credited),
            due_date=today + timedelta(days=due_in),
            today=today,
        )
        == status
    )
