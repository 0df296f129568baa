"""CSV exports for the accountant or an ERP: the journal and the invoices of a period.

Plain RFC 4180 CSV in UTF-8, comma separated, amounts with a decimal point and two decimals,
dates as ISO 8601. Rows are produced as an iterator so that a year streams in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from billing import selectors
from billing.models import Invoice, InvoiceVat
from oms.money import ZERO, rate_label

JOURNAL_HEADER = [
    "entry",
    "date",
    "reference",
    "description",
    "account",
    "account_name",
    "debit",
    "credit",
    "customer",
    "memo",
    "reversal_of",
    "posted_at",
]
INVOICE_HEADER = [
    "number",
    "kind",
    "issue_date",
    "supply_date",
    "due_date",
    "customer",
    "buyer_name",
    "buyer_company",
    "buyer_vat_id",
    "buyer_country",
    "reverse_charge",
    "export",
    "net",
    "vat",
    "gross",
    "status",
    "amount_paid",
    "amount_credited",
    "credit_of",
    "reference",
]


def journal_rows(date_from: date, date_to: date) -> Iterator[list]:
    yield JOURNAL_HEADER
    for line in selectors.journal_lines_for_period(date_from=date_from, date_to=date_to).iterator(chunk_size=2000):
        entry = line.entry
        yield [
            entry.pk,
            entry.date.isoformat(),
            entry.reference,
            entry.description,
            line.account.code,
            line.account.name,
            f"{line.debit:.2f}",
            f"{line.credit:.2f}",
            line.customer.number if line.customer else "",
            line.memo,
            entry.reversal_of_id or "",
            entry.posted_at.isoformat(),
        ]


def _rates(invoices) -> list[Decimal]:
    return sorted(
        set(InvoiceVat.objects.filter(invoice__in=invoices).values_list("rate", flat=True).distinct()), reverse=True
    )


def invoice_rows(date_from: date, date_to: date) -> Iterator[list]:
    """One row per invoice or credit note, with net and VAT per rate in columns."""
    invoices = selectors.invoice_list(date_from=date_from, date_to=date_to).order_by("issue_date", "kind", "sequence")
    rates = _rates(invoices)
    yield INVOICE_HEADER + [c for r in rates for c in (f"net_{rate_label(r)}", f"vat_{rate_label(r)}")]
    chunk: list[Invoice] = []
    for invoice in invoices.select_related("customer", "credit_of").iterator(chunk_size=1000):
        chunk.append(invoice)
        if len(chunk) == 1000:
            yield from _invoice_chunk(chunk, rates)
            chunk = []
    yield from _invoice_chunk(chunk, rates)


def _invoice_chunk(invoices: list[Invoice], rates: list[Decimal]) -> Iterator[list]:
    per_rate: dict[int, dict[Decimal, InvoiceVat]] = {}
    for row in InvoiceVat.objects.filter(invoice_id__in=[i.pk for i in invoices]):
        per_rate.setdefault(row.invoice_id, {})[row.rate] = row
    for invoice in invoices:
        vat = per_rate.get(invoice.pk, {})
        yield [
            invoice.number,
            invoice.kind,
            invoice.issue_date.isoformat(),
            invoice.supply_date.isoformat(),
            invoice.due_date.isoformat(),
            invoice.customer.number,
            invoice.buyer_name,
            invoice.buyer_company,
            invoice.buyer_vat_id,
            invoice.buyer_country,
            int(invoice.reverse_charge),
            int(invoice.export),
            f"{invoice.net_amount:.2f}",
            f"{invoice.vat_amount:.2f}",
            f"{invoice.gross_amount:.2f}",
            invoice.status,
            f"{invoice.amount_paid:.2f}",
            f"{invoice.amount_credited:.2f}",
            invoice.credit_of.number if invoice.credit_of else "",
            invoice.reference,
        ] + [f"{getattr(vat.get(rate), field, ZERO):.2f}" for rate in rates for field in ("net_amount", "vat_amount")]
