"""billing tables: the ledger (accounts, journal entries and lines), invoices and credit notes
(with their lines, VAT breakdown and yearly number counters) and invoice delivery (PDF + e-mail
batches).

What the database itself enforces (triggers in ``billing/migrations/0002_ledger_and_invoice_integrity.py``):

* every journal entry balances (sum of debits = sum of credits = ``total_amount``), checked by a
  ``DEFERRABLE INITIALLY DEFERRED`` constraint trigger at COMMIT; posted entries and lines refuse
  UPDATE and DELETE (corrections are reversing entries);
* issued invoices refuse DELETE and any UPDATE except of the columns in
  ``INVOICE_MUTABLE_COLUMNS`` (payment status, amounts paid and credited, the PDF once, the
  e-mail claim and ``sent_at`` once); their lines and VAT rows refuse UPDATE and DELETE; at COMMIT
  the lines and the VAT rows must add up to the invoice totals, and on invoices VAT per rate is
  the half-up rounding of rate x net at that rate.
"""

from billing.models.delivery import SendBatch, SendBatchItem, SendOutcome
from billing.models.invoices import (
    INVOICE_MUTABLE_COLUMNS,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoiceVat,
    LineKind,
    derive_status,
)
from billing.models.ledger import Account, AccountKind, JournalEntry, JournalLine

__all__ = [
    "INVOICE_MUTABLE_COLUMNS",
    "Account",
    "AccountKind",
    "Invoice",
    "InvoiceCounter",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceStatus",
    "InvoiceVat",
    "JournalEntry",
    "JournalLine",
    "LineKind",
    "SendBatch",
    "SendBatchItem",
    "SendOutcome",
    "derive_status",
]
