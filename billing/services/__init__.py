"""billing services: every change to the ledger, invoices and their delivery.

Other apps (and the order integration) call these; the submodules hold the details:
``ledger`` (journal_post, journal_reverse), ``invoices`` (invoice_issue, the buyer snapshot and
tax treatment, invoices_mark_overdue), ``credits`` (invoice_credit), ``numbering`` (the gapless
counter), ``delivery`` (PDF, e-mail, batches, sweep).

Seams for the order integration and payments (not built in this pass):

* Invoicing an order: an outbox handler in ``billing/events.py`` (``order.*`` /
  ``shipment.handed_off``) calls ``invoice_issue`` (not durable, so it runs inside the dispatch
  transaction) with the order's line snapshots and ``reference=order.number``; a migration adds a
  nullable ``Invoice.order`` FK (plus a unique constraint per order or per shipment) and puts the
  column in the immutability trigger's scope (new columns are immutable unless listed).
* Payments: a ``Payment`` model (method, amount, reference unique per method, paid_at, customer,
  invoice nullable) whose service posts ``debit PAYMENT_METHOD_ACCOUNTS[method]`` / ``credit
  RECEIVABLES`` (customer on the line; an overpayment to ``CUSTOMER_CREDIT``), adds to
  ``Invoice.amount_paid`` under ``select_for_update`` of the invoice, and sets ``status`` with
  ``derive_status``: both columns are in ``INVOICE_MUTABLE_COLUMNS``, and the receivables
  invariants already count ``amount_paid``.
"""

from billing.services.credits import invoice_credit
from billing.services.delivery import (
    invoice_deliveries_sweep,
    invoice_email_send,
    invoice_pdf_render,
    invoice_send_batch_start,
)
from billing.services.invoices import invoice_issue, invoices_mark_overdue
from billing.services.ledger import journal_post, journal_reverse

__all__ = [
    "invoice_credit",
    "invoice_deliveries_sweep",
    "invoice_email_send",
    "invoice_issue",
    "invoice_pdf_render",
    "invoice_send_batch_start",
    "invoices_mark_overdue",
    "journal_post",
    "journal_reverse",
]
