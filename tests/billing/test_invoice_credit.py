"""invoice_credit: credit notes with their own gapless series, referring to the invoice,
posting the reverse, and cancelling the invoice to the cent when everything is credited."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Invoice, InvoiceKind, InvoiceStatus
from billing.services import invoice_credit
from oms.errors import Conflict, ValidationFailed
from oms.invariants import violations
from oms.models import OutboxEvent
from tests.factories.billing import b2b_customer, issue, line


def _balance(invoice):
    entry = invoice.journal_entry
    return {row.account.code: row.debit - row.credit for row in entry.lines.select_related("account")}


@pytest.mark.django_db
def test_invoice_credit_in_full_cancels_the_invoice(accountant):
    # given an issued invoice
    invoice = issue()
    # when it is credited in full
    note = invoice_credit(invoice=invoice, reason="Order cancelled", user=accountant)
    # then a credit note with its own number refers to it, with negative amounts
    assert note.number == f"CN-{invoice.year}-000001" and note.kind == InvoiceKind.CREDIT_NOTE
    assert note.credit_of == invoice and note.credit_reason == "Order cancelled"
    assert (note.net_amount, note.vat_amount, note.gross_amount) == (
        Decimal("-31.02"),
        Decimal("-4.78"),
        Decimal("-35.80"),
    )
    assert [(ln.quantity, ln.net_amount, ln.credits_line_id) for ln in note.lines.all()] == [
        (-2, Decimal("-16.52"), invoice.lines.get(position=1).pk),
        (-1, Decimal("-14.50"), invoice.lines.get(position=2).pk),
    ]
    # and its posting is the mirror image of the invoice's
    assert _balance(note) == {code: -amount for code, amount in _balance(invoice).items()}
    # and the invoice is credited, with nothing open
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CREDITED and invoice.amount_credited == Decimal("35.80")
    assert invoice.open_amount == 0
    assert OutboxEvent.objects.filter(name="invoice.issued", payload__kind="credit_note").count() == 1
    assert not violations()


@pytest.mark.django_db
def test_invoice_credit_some_units_prorates_the_discount():
    invoice = issue(lines=[line(4, "25.00", discount="10.00"), line(1, "5.00", "low")])
    note = invoice_credit(invoice=invoice, lines=[{"line": 1, "quantity": 1}], reason="One broken", user=None)
    (credited,) = note.lines.all()
    assert (credited.quantity, credited.discount_amount, credited.net_amount) == (
        -1,
        Decimal("-2.50"),
        Decimal("-22.50"),
    )
    assert note.vat_amount == Decimal("-4.73")  # 21% of 22.50 = 4.725, half-up
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.amount_credited == Decimal("27.23")
    assert not violations()


@pytest.mark.django_db
def test_invoice_credit_in_parts_adds_up_to_the_invoice_exactly():
    # given an invoice whose per-unit VAT does not divide evenly
    invoice = issue(lines=[line(3, "3.33", discount="0.01"), line(3, "0.07", "low")])
    # when it is credited one unit at a time
    notes = []
    for _ in range(3):
        notes.append(
            invoice_credit(
                invoice=invoice,
                lines=[{"line": 1, "quantity": 1}, {"line": 2, "quantity": 1}],
                reason="part",
                user=None,
            )
        )
    # then the credit notes together cancel the invoice to the cent, line by line and in VAT
    assert sum(n.net_amount for n in notes) == -invoice.net_amount
    assert sum(n.vat_amount for n in notes) == -invoice.vat_amount
    assert sum(n.lines.get(position=1).discount_amount for n in notes) == Decimal("-0.01")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CREDITED and invoice.open_amount == 0
    with pytest.raises(Conflict) as exc:
        invoice_credit(invoice=invoice, reason="again", user=None)
    assert exc.value.code == "nothing_to_credit"
    assert not violations()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lines, field, code",
    [
        ([{"line": 1, "quantity": 3}], "lines.0.quantity", "quantity_exceeds_invoiced"),
        ([{"line": 1, "quantity": 1}, {"line": 1, "quantity": 2}], "lines.1.quantity", "quantity_exceeds_invoiced"),
        ([{"line": 1, "quantity": -1}], "lines.0.quantity", "quantity_exceeds_invoiced"),
        ([{"line": 7, "quantity": 1}], "lines.0.line", "unknown_line"),
        ([{"line": "x", "quantity": 1}], "lines.0.line", "invalid"),
    ],
)
def test_invoice_credit_refuses_more_than_was_invoiced(lines, field, code):
    invoice = issue()
    with pytest.raises(ValidationFailed) as exc:
        invoice_credit(invoice=invoice, lines=lines, reason="x", user=None)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()


@pytest.mark.django_db
def test_invoice_credit_needs_a_reason_and_an_invoice():
    invoice = issue()
    with pytest.raises(ValidationFailed) as exc:
        invoice_credit(invoice=invoice, reason="  ", user=None)
    assert exc.value.field == "reason"
    with pytest.raises(Conflict) as exc:
        invoice_credit(invoice=invoice, lines=[{"line": 1, "quantity": 0}], reason="nothing", user=None)
    assert exc.value.code == "nothing_to_credit"
    note = invoice_credit(invoice=invoice, reason="full", user=None)
    with pytest.raises(Conflict) as exc:
        invoice_credit(invoice=note, reason="credit the credit", user=None)
    assert exc.value.code == "not_an_invoice"


@pytest.mark.django_db
def test_invoice_credit_keeps_the_invoices_tax_treatment_and_rates():
    invoice = issue(b2b_customer(country="DE", vat_id="DE136695976"))
    note = invoice_credit(invoice=invoice, reason="return", user=None)
    assert note.reverse_charge and note.vat_amount == 0 and note.buyer_vat_id == "DE136695976"
    assert _balance(note)["8030"] == invoice.net_amount


@pytest.mark.django_db
def test_credit_notes_have_their_own_series_per_year():
    first = issue(issue_date=date(2026, 12, 30))
    second = issue(first.customer, issue_date=date(2026, 12, 31))
    numbers = [
        invoice_credit(invoice=first, reason="a", user=None, issue_date=date(2026, 12, 31)).number,
        invoice_credit(invoice=second, reason="b", user=None, issue_date=date(2027, 1, 2)).number,
    ]
    assert numbers == ["CN-2026-000001", "CN-2027-000001"]
    with pytest.raises(ValidationFailed):
        invoice_credit(
            invoice=issue(first.customer, issue_date=date(2026, 12, 31)),
            reason="c",
            user=None,
            issue_date=date(2026, 12, 1),
        )
