"""billing services: every change to the ledger, invoices and their delivery.

Other apps (and the order integration) call these; the submodules hold the details:
``ledger`` (journal_post, journal_reverse), ``invoices`` (invoice_issue, the buyer snapshot and
tax treatment, invoices_mark_overdue), ``credits`` (invoice_credit), ``numbering`` (the gapless
counter), ``delivery`` (PDF, e-mail, batches, sweep).
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
