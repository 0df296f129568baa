"""billing tables: the ledger (accounts, journal entries and lines), invoices and credit notes
(with their lines, VAT breakdown and yearly number counters), invoice delivery (PDF + e-mail
batches), payments with their allocations to invoices, the invoiced quantities of order lines
and payment reminders.

What the database itself enforces (triggers in ``billing/migrations/0002_ledger_and_invoice_integrity.py``):

* every journal entry balances (sum of debits = sum of credits = ``total_amount``), checked by a
  ``DEFERRABLE INITIALLY DEFERRED`` constraint trigger at COMMIT; posted entries and lines refuse
  UPDATE and DELETE (corrections are reversing entries);
* issued invoices refuse DELETE and any UPDATE except of the columns in
  ``INVOICE_MUTABLE_COLUMNS`` (payment status, amounts paid and credited, the PDF once and
  ``sent_at`` once); their lines and VAT rows refuse UPDATE and DELETE; at COMMIT
  the lines and the VAT rows must add up to the invoice totals, and on invoices VAT per rate is
  the half-up rounding of rate x net at that rate (an order's invoice that completes a rate
  takes the VAT left at it, within a cent per earlier document of the order: migration 0010);
* payments and their allocations are append-only (a payment's running totals excepted), and a
  payment's allocations plus refunds never exceed its amount (a CHECK), see ``payments``.
"""

from billing.models.bank import BankStatement, BankStatementLine, LineStatus, MatchRule, StatementFormat
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
from billing.models.ledger import Account, AccountKind, JournalEntry, JournalLine, LedgerLock
from billing.models.payments import (
    COUNTER_METHODS,
    PAYMENT_MUTABLE_COLUMNS,
    PREPAID_METHODS,
    InvoicedOrderLine,
    InvoiceReminder,
    Payment,
    PaymentAllocation,
    PaymentFetch,
    ReturnSettlement,
)
from billing.models.provider import (
    LinkPurpose,
    LinkStatus,
    PaymentLink,
    ProviderRefund,
    RefundStatus,
)
from billing.models.settlements import ProviderSettlement, SettlementLine, SettlementSource

__all__ = [
    "ProviderSettlement",
    "SettlementLine",
    "SettlementSource",
    "COUNTER_METHODS",
    "INVOICE_MUTABLE_COLUMNS",
    "PAYMENT_MUTABLE_COLUMNS",
    "PREPAID_METHODS",
    "Account",
    "BankStatement",
    "BankStatementLine",
    "LineStatus",
    "MatchRule",
    "StatementFormat",
    "AccountKind",
    "Invoice",
    "InvoiceCounter",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceReminder",
    "InvoiceStatus",
    "InvoiceVat",
    "InvoicedOrderLine",
    "JournalEntry",
    "JournalLine",
    "LedgerLock",
    "LinkPurpose",
    "LinkStatus",
    "PaymentLink",
    "ProviderRefund",
    "RefundStatus",
    "LineKind",
    "Payment",
    "PaymentFetch",
    "PaymentAllocation",
    "ReturnSettlement",
    "SendBatch",
    "SendBatchItem",
    "SendOutcome",
    "derive_status",
]
