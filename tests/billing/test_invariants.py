"""billing's invariants hold after normal work and report the rows that break them."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from billing import accounts
from billing.models import Account, Invoice, JournalEntry, JournalLine, Payment
from billing.services import invoice_credit, journal_post
from billing.services.payments import receive
from oms.invariants import violations
from tests.factories.billing import issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rolled_back():
    """Each test runs in a savepoint that is rolled back, so that the rows it forged are gone
    before the test's end runs the deferred checks (which would refuse them)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _without_triggers():
    """Write rows the triggers would refuse (session_replication_role needs a superuser, as in CI)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")


def test_invariants_hold_after_issuing_and_crediting():
    invoice = issue()
    invoice_credit(invoice=invoice, lines=[{"line": 1, "quantity": 1}], reason="x", user=None)
    issue(invoice.customer)
    assert violations() == {}


def test_unbalanced_entry_is_reported():
    entry = journal_post(
        date=date(2026, 3, 2),
        description="x",
        lines=[{"account": accounts.CASH, "debit": "10.00"}, {"account": accounts.REVENUE_HIGH, "credit": "10.00"}],
    )
    _without_triggers()
    JournalLine.objects.filter(entry=entry, credit__gt=0).update(credit=Decimal("9.00"))
    (row,) = violations()["billing: every journal entry balances"]
    assert row["entry"] == entry.pk and row["credit"] == Decimal("9.00")


def test_gap_in_invoice_numbers_is_reported():
    issue()
    second = issue()
    issue()
    _without_triggers()
    Invoice.objects.filter(pk=second.pk).update(sequence=99, number="2026-000099")
    reported = violations()["billing: invoice numbers are gapless per series and year"]
    assert reported and reported[0]["last"] == 99


def test_receivables_out_of_step_with_open_items_is_reported():
    invoice = issue()
    _without_triggers()
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("10.00"))
    found = violations()
    assert found["billing: receivables account equals the open items"][0]["ledger"] == Decimal("35.80")
    (row,) = found["billing: per customer, open balance = invoiced - paid - credited"]
    assert row["customer"] == invoice.customer_id and row["paid"] == Decimal("10.00")


def test_credited_amount_out_of_step_with_credit_notes_is_reported():
    invoice = issue()
    _without_triggers()
    Invoice.objects.filter(pk=invoice.pk).update(amount_credited=Decimal("1.00"))
    rows = violations()["billing: per customer, open balance = invoiced - paid - credited"]
    assert {"number": invoice.number, "amount_credited": Decimal("1.00"), "credit_notes": 0} in rows


def test_chart_of_accounts_is_seeded():
    codes = set(Account.objects.values_list("code", flat=True))
    assert {row.code for row in accounts.CHART} <= codes
    assert set(accounts.PAYMENT_METHOD_ACCOUNTS.values()) <= codes
    assert JournalEntry.objects.count() == 0


def test_payment_totals_out_of_step_are_reported():
    invoice = issue()
    # payment_record is durable; inside this test's savepoint its core does the same work
    payment = receive(
        customer=invoice.customer,
        order=None,
        method="bank_transfer",
        amount=Decimal("40.00"),
        reference="STMT",
        paid_at=timezone.now(),
        user=None,
    )
    assert violations() == {}
    Payment.objects.filter(pk=payment.pk).update(amount_allocated=Decimal("30.00"))  # the trigger allows this column
    found = violations()
    (row,) = found["billing: payments add up; refunds and allocations within what was paid"]
    assert (row["reference"], row["allocations"]) == ("STMT", Decimal("35.80"))
    assert found["billing: customer credit equals unused payments"][0]["ledger"] == Decimal("4.20")


def test_money_booked_to_customer_credit_without_a_payment_is_reported():
    invoice = issue()
    journal_post(
        date=date(2026, 3, 2),
        description="cash in the till, no payment recorded",
        lines=[
            {"account": accounts.CASH, "debit": "5.00"},
            {"account": accounts.CUSTOMER_CREDIT, "credit": "5.00", "customer": invoice.customer_id},
        ],
    )
    found = violations()
    assert found["billing: customer credit equals unused payments"][0]["ledger"] == Decimal("5.00")
    (row,) = found["billing: money accounts equal payments less refunds"]
    assert (row["account"], row["ledger"], row["payments"]) == (accounts.CASH, Decimal("5.00"), 0)
