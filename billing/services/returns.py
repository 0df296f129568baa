"""Settling a received return (``return.received``): credit the returned units, give the money
back the way it came, once per return.

The rule (README "Returns"):

* Credit note. The returned units are credited on the order's invoices that invoiced them,
  newest invoice first, at the invoiced prices, discounts and VAT rates (``invoice_credit``; one
  credit note per invoice touched, usually one). Units that were never invoiced are not
  credited (there is nothing to correct). The reason printed is the return's number and reason.
* Shipping. The shipping charge is credited only when the whole order has come back: after
  this return every unit ordered (of the lines not cancelled) is returned. A partial return
  keeps the shipping charge, because the parcel was delivered.
* Money. The credit note first settles what is still open on the invoice; what the invoice was
  paid beyond its new total goes back to the payments as credit (``invoice_credit``). Then:
  an order on account keeps that credit on the customer's account (it pays their next
  invoices: the credit note lowers their open balance); every other order (iDEAL, card,
  Klarna, Riverty, PIN, cash, bank transfer) is refunded from that credit through the payment
  it came in by: a refund record (negative payment) per payment, reference ``RT-…`` (the
  return's number), which the provider or the bank carries out.
* Once. A ``ReturnSettlement`` row per return, unique on the return id, is claimed first under
  the customer's billing lock: a redelivered or repeated event changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.models import Invoice, InvoiceKind, InvoiceLine, LineKind, Payment, ReturnSettlement
from billing.selectors import invoice_creditable_quantities
from billing.services.credits import invoice_credit
from billing.services.locks import lock_customer_billing
from billing.services.payments import refund
from customers.models import PaymentMethod
from oms.money import ZERO
from orders import selectors as order_selectors
from orders.models import Order

# Orders whose freed payments stay on the customer's account instead of being refunded.
CREDITED_ON_ACCOUNT = frozenset({PaymentMethod.ON_ACCOUNT})


def return_settle(
    *,
    return_id: int,
    order_id: int,
    number: str,
    lines: Sequence[Mapping],
    reason: str = "",
    user=None,
) -> ReturnSettlement | None:
    """Credit and refund received return ``return_id`` (``number`` ``RT-…``) of order
    ``order_id``: ``lines`` are ``{"order_line_id", "quantity"}`` as the event carries them.
    Returns the settlement, or None when the return was settled before.

    Not durable (the ``return.received`` handler calls it inside the dispatch transaction).
    Takes the customer's billing lock, then the invoices credited (``invoice_credit``), the
    credit-note counter, the payments refunded and the order row (its paid total). Publishes
    ``invoice.issued`` per credit note. Raises what ``invoice_credit`` and ``refund`` raise.
    """
    order = order_selectors.order_get(order_id)
    with transaction.atomic():
        lock_customer_billing(order.customer_id)
        if ReturnSettlement.objects.filter(return_id=return_id).exists():
            return None
        settlement = ReturnSettlement.objects.create(return_id=return_id, return_number=number, order=order)
        wanted = {int(row["order_line_id"]): int(row["quantity"]) for row in lines if int(row["quantity"]) > 0}
        text = f"Return {number}" + (f" ({reason})" if reason else "")
        notes = []
        for invoice, credit_lines in _credit_plan(order, wanted, whole=_whole_order_back(order)):
            notes.append(invoice_credit(invoice=invoice, lines=credit_lines, reason=text, user=user))
        settlement.amount_credited = -sum((note.gross_amount for note in notes), ZERO)
        if order.payment_method not in CREDITED_ON_ACCOUNT:
            settlement.amount_refunded = _refund(order, settlement.amount_credited, number, user)
        settlement.save(update_fields=["amount_credited", "amount_refunded"])
    return settlement


def _whole_order_back(order: Order) -> bool:
    lines = [line for line in order.lines.all() if not line.is_cancelled]
    return bool(lines) and all(line.quantity_returned >= line.quantity for line in lines)


def _credit_plan(order: Order, wanted: dict[int, int], *, whole: bool) -> list[tuple[Invoice, list[dict]]]:
    """Per invoice of the order (newest first): the lines to credit, ``{"line", "quantity"}``."""
    left = dict(wanted)
    plan = []
    invoices = Invoice.objects.filter(order_id=order.pk, kind=InvoiceKind.INVOICE).order_by("-issue_date", "-id")
    for invoice in invoices:
        creditable = invoice_creditable_quantities(invoice)
        rows = []
        for line in InvoiceLine.objects.filter(invoice=invoice).order_by("position"):
            units = creditable.get(line.position, 0)
            if units <= 0:
                continue
            if line.kind == LineKind.SHIPPING:
                take = units if whole else 0
            else:
                take = min(units, left.get(line.order_line_id, 0))
                if take:
                    left[line.order_line_id] -= take
            if take:
                rows.append({"line": line.position, "quantity": take})
        if rows:
            plan.append((invoice, rows))
    return plan


def _refund(order: Order, amount: Decimal, number: str, user) -> Decimal:
    """Refund up to ``amount`` of the order's payments' credit, newest payment first, each
    through its own method. Returns the amount refunded."""
    if amount <= 0:
        return ZERO
    left, done = amount, ZERO
    now = timezone.now()
    payments = Payment.objects.select_for_update().filter(order_id=order.pk, amount__gt=0).order_by("-paid_at", "-id")
    for n, head in enumerate(payments, 1):
        part = min(left, head.credit)
        if part <= 0:
            continue
        reference = number if n == 1 else f"{number}/{n}"
        refund(head=head, amount=part, reference=reference, paid_at=now, user=user)
        left, done = left - part, done + part
        if left <= 0:
            break
    return done
