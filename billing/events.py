"""Events billing publishes, and the handlers it subscribes (registered in oms/events.py).

Published:

* ``invoice.issued`` {invoice_id, number, kind ("invoice" | "credit_note"), customer_id,
  credit_of_id, gross_amount}: by ``invoice_issue`` and ``invoice_credit``, in their transaction;
* ``payment.received`` {payment_id, order_id, customer_id, amount}: money in, recorded
  (``payment_record``, the counter sale). Refunds publish nothing.

Handled (thin: one service call each; they run inside the outbox dispatch transaction, at most
once per event, and the services are idempotent on their own too):

* ``order.placed``: a prepaid order already paid in full gets its invoice
  (``order_invoice_when_paid``; otherwise the payment's event invoices it); a phone or
  webshop order paid through the provider gets its payment link (``payment_link_for_new_order``,
  made by a worker after commit);
* ``shipment.handed_off`` {shipment_id, order_id}: invoice what shipped and is not yet
  invoiced (``order_invoice_shipped``);
* ``order.cancelled``: credit the cancelled order's invoices (``order_credit_cancelled``);
* ``payment.received``: a prepaid order that the payment paid in full gets its invoice
  (``order_invoice_when_paid``: under the billing lock, nothing when the order is not prepaid,
  not paid in full or already invoiced). Issued here, right after the payment commits (inline
  in the quick start), so recording a payment stays cheap; a failure is retried by the outbox,
  and ``prepaid_orders_invoice_sweep`` invoices any paid order that was still missed;
* ``return.received`` {return_id, order_id, number, reason, lines}: credit the returned units
  and refund (or, on account, credit) the money, once per return (``returns.return_settle``).
"""

from billing.event_names import (  # noqa: F401 - the names, re-exported for readers of this module
    INVOICE_ISSUED,
    PAYMENT_RECEIVED,
)


def order_placed(event) -> None:
    from billing.services import orders, payment_links

    orders.order_invoice_when_paid(order_id=event.payload["order_id"])
    payment_links.payment_link_for_new_order(order_id=event.payload["order_id"])


def shipment_handed_off(event) -> None:
    from billing.services import orders

    orders.order_invoice_shipped(order_id=event.payload["order_id"])


def order_cancelled(event) -> None:
    from billing.services import orders

    orders.order_credit_cancelled(order_id=event.payload["order_id"])


def payment_received(event) -> None:
    from billing.services import orders

    if event.payload.get("order_id"):
        orders.order_invoice_when_paid(order_id=event.payload["order_id"])


def return_received(event) -> None:
    from billing.services import returns

    payload = event.payload
    returns.return_settle(
        return_id=payload["return_id"],
        order_id=payload["order_id"],
        number=payload.get("number") or f"return {payload['return_id']}",
        reason=payload.get("reason", ""),
        lines=payload["lines"],
    )
