"""billing services: every change to the ledger, invoices, payments and their delivery.

Other apps (and billing's views, API, handlers and tasks) call these; the submodules hold the
details (callers may import them directly):

* ``ledger``: ``journal_post``, ``journal_reverse``;
* ``invoices``: ``invoice_issue`` (also cash sales, ``settled_by``), ``invoices_mark_overdue``;
* ``credits``: ``invoice_credit`` (an overpaid part goes back to the payments as credit);
* ``numbering``: the gapless yearly counter;
* ``delivery``: PDF, e-mail, batches, sweep;
* ``payments``: ``payment_record`` (payments and refunds, idempotent per method + reference),
  ``payment_refund``, ``credit_apply``, ``order_paid_totals``;
* ``orders``: ``order_invoice`` (shipped or ordered quantities, never twice),
  ``order_invoice_when_paid`` (prepaid orders), ``order_invoice_shipped`` (per shipment),
  ``order_credit_cancelled``;
* ``counter``: ``counter_sale`` (the store's one-step sale, booked as a cash sale);
* ``reminders``: ``invoice_reminders_send`` (overdue reminders, once per stage);
* ``returns``: ``return_settle`` (a received return credited and refunded, once);
* ``psp``: ``payment_webhook_process`` (a provider's webhook as a hint: fetch, then record);
* ``locks``: the customer's billing lock every money-moving use case takes first.
"""

from billing.services.counter import counter_sale
from billing.services.credits import invoice_credit
from billing.services.delivery import (
    invoice_deliveries_sweep,
    invoice_email_send,
    invoice_pdf_render,
    invoice_send_batch_start,
)
from billing.services.invoices import invoice_issue, invoices_mark_overdue
from billing.services.ledger import journal_post, journal_reverse
from billing.services.orders import (
    order_credit_cancelled,
    order_invoice,
    order_invoice_shipped,
    order_invoice_when_paid,
)
from billing.services.payments import payment_record, payment_refund
from billing.services.reminders import invoice_reminders_send
from billing.services.returns import return_settle

__all__ = [
    "counter_sale",
    "invoice_credit",
    "invoice_deliveries_sweep",
    "invoice_email_send",
    "invoice_issue",
    "invoice_pdf_render",
    "invoice_reminders_send",
    "invoice_send_batch_start",
    "invoices_mark_overdue",
    "journal_post",
    "journal_reverse",
    "order_credit_cancelled",
    "order_invoice",
    "order_invoice_shipped",
    "order_invoice_when_paid",
    "payment_record",
    "payment_refund",
    "return_settle",
]
