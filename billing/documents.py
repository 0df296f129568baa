"""The invoice as a document: what the PDF shows, including every field Dutch law requires on
an invoice (research/reliability-security.md §3.2: Art. 226 VAT Directive, Belastingdienst
"factuureisen")."""

from __future__ import annotations

from billing.models import Invoice
from oms.pdf import render_pdf

TEMPLATE = "billing/invoice_pdf.html"


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
    }


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    return render_pdf(TEMPLATE, invoice_context(invoice))
