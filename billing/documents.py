"""The invoice as a document: what the PDF shows, including every field Dutch law requires on
an invoice (research/reliability-security.md §3.2: Art. 226 VAT Directive, Belastingdienst
"factuureisen")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from billing.models import Invoice
from oms.money import ZERO
from oms.pdf import render_pdf

TEMPLATE = "billing/invoice_pdf.html"

# How a payment method is named in the sentence "Betaald op ... per ..." / "Paid on ... by ...".
METHOD_WORDS = {
    "ideal": ("iDEAL", "iDEAL"),
    "card": ("creditcard", "card"),
    "pin": ("pin", "debit card (PIN)"),
    "cash": ("contant", "cash"),
    "bank_transfer": ("bankoverschrijving", "bank transfer"),
    "klarna": ("Klarna", "Klarna"),
    "riverty": ("Riverty (AfterPay)", "Riverty (AfterPay)"),
    "on_account": ("verrekening", "settlement"),
}


@dataclass(frozen=True)
class PaymentStatement:
    """What an invoice document says about payment, from the payments recorded against it:
    ``paid`` (nothing left: when and how it was paid), ``partly_paid`` (what was paid, and the
    request to transfer what is left), ``open`` (the request to transfer), ``credited`` (nothing
    to pay: credited in full), ``none`` (a credit note, or an invoice of nothing). The PDF, the
    e-mail and the invoice page all say it from here, so they cannot disagree."""

    state: str
    paid: Decimal = ZERO
    due: Decimal = ZERO
    paid_on: date | None = None
    methods_nl: str = ""
    methods_en: str = ""
    payments: list[dict] = field(default_factory=list)

    @property
    def asks_payment(self) -> bool:
        return self.state in ("open", "partly_paid")


def payment_statement(invoice: Invoice, payments: list[dict] | None = None) -> PaymentStatement:
    """The payment state of ``invoice`` (``payments``: ``selectors.invoice_payments``, else one
    query). Money figures are the invoice's own running totals."""
    from billing import selectors

    if invoice.is_credit_note or invoice.gross_amount <= 0:
        return PaymentStatement("none")
    due = max(invoice.open_amount, ZERO)
    if invoice.amount_credited >= invoice.gross_amount:
        return PaymentStatement("credited")
    if invoice.amount_paid <= 0:
        return PaymentStatement("open", due=due)
    rows = [row for row in (selectors.invoice_payments(invoice) if payments is None else payments) if row["amount"] > 0]
    codes = list(dict.fromkeys(row["method_code"] for row in rows))
    paid_on = max((row["paid_at"] for row in rows if row["paid_at"]), default=None)
    return PaymentStatement(
        "paid" if due == 0 else "partly_paid",
        paid=invoice.amount_paid,
        due=due,
        paid_on=timezone.localdate(paid_on) if paid_on else None,
        methods_nl=" en ".join(METHOD_WORDS.get(code, (code, code))[0] for code in codes),
        methods_en=" and ".join(METHOD_WORDS.get(code, (code, code))[1] for code in codes),
        payments=rows,
    )


def invoice_context(invoice: Invoice) -> dict:
    """Template context of an invoice with ``lines`` and ``vat_lines`` prefetched."""
    notes = []
    if invoice.reverse_charge:
        notes.append(
            f"Btw verlegd (VAT reverse charged): intracommunautaire levering, art. 138 Btw-richtlijn. "
            f"Btw-nummer afnemer: {invoice.buyer_vat_id}."
        )
    if invoice.export:
        notes.append("Export buiten de EU: 0% btw (zero-rated export of goods).")
    if invoice.is_credit_note and invoice.credit_of:
        notes.append(
            f"Creditnota bij factuur {invoice.credit_of.number} van {invoice.credit_of.issue_date:%d-%m-%Y} "
            f"(credit note for invoice {invoice.credit_of.number}). Reden: {invoice.credit_reason}"
        )
    return {
        "invoice": invoice,
        "seller": invoice.seller,
        "lines": list(invoice.lines.all()),
        "vat_lines": list(invoice.vat_lines.all()),
        "title": ("Creditnota", "Credit note") if invoice.is_credit_note else ("Factuur", "Invoice"),
        "notes": notes,
        "show_supply_date": True,
        "payment": payment_statement(invoice),
    }


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    return render_pdf(TEMPLATE, invoice_context(invoice))
