"""The counter sale in a store: scan, pay by PIN or cash, hand over, in one step for the user.

``counter_sale`` places a ``store`` order through orders (everything must be in stock: the
goods are on the counter), then in one transaction hands it over paid (orders'
``order_hand_over``: it issues the reservations through inventory, so reserved stock and
reserved allocations stay equal, and marks the order shipped, delivered and, paid, completed),
issues the invoice as a cash sale (debit cash or PIN in transit, credit revenue and VAT: no
receivable) and records the payment that settled it. A store order never goes to shipping.

Placing is durable in orders and must commit on its own, so the sale is two transactions; if
the second fails, the order is cancelled again (its reservations released) before the error is
shown, so no half sale is left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.event_names import PAYMENT_RECEIVED
from billing.models import COUNTER_METHODS, Invoice, Payment, PaymentAllocation
from billing.services.locks import lock_customer_billing
from billing.services.orders import invoice_order_locked
from billing.services.payments import clean_reference
from customers import selectors as customer_selectors
from customers import services as customer_services
from customers.models import Customer, CustomerKind, PaymentMethod
from oms import events
from oms.errors import Conflict, OmsError, ValidationFailed
from oms.money import to_decimal
from oms.reference_cache import stamps_read_once
from orders import services as order_services
from orders.models import Channel, Order

logger = logging.getLogger(__name__)

WALK_IN_REF = "billing:walk-in"
WALK_IN_NAME = "Walk-in customer (store counter)"


@dataclass(frozen=True)
class CounterSale:
    order: Order
    invoice: Invoice
    payment: Payment
    tendered: Decimal | None
    change: Decimal


def walk_in_customer(*, user) -> Customer:
    """The anonymous customer of counter sales without a customer (created on first use)."""
    found = customer_selectors.customer_by_external_ref(WALK_IN_REF)
    if found is not None:
        return found
    try:
        return customer_services.customer_create(
            kind=CustomerKind.B2C,
            name=WALK_IN_NAME,
            preferred_payment_method=PaymentMethod.CASH,
            external_ref=WALK_IN_REF,
            user=user,
        )
    except Conflict:  # a sale at the next till created it a moment ago
        return customer_selectors.customer_by_external_ref(WALK_IN_REF)


def clean_tendered(value, method: str) -> Decimal | None:
    if method != PaymentMethod.CASH or value in (None, ""):
        return None
    try:
        tendered = to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "Enter the cash received, e.g. 50.00.", code="invalid_amount", field="tendered"
        ) from None
    if not tendered.is_finite() or tendered < 0 or tendered != tendered.quantize(Decimal("0.01")):
        raise ValidationFailed("Enter the cash received, e.g. 50.00.", code="invalid_amount", field="tendered")
    return tendered


def counter_sale(
    *,
    lines: Sequence[Mapping],
    method: str,
    user,
    customer: Customer | None = None,
    tendered=None,
    reference: str = "",
) -> CounterSale:
    """Sell ``lines`` (``{"sku" or "product_id", "quantity"}``) over the counter, paid by
    ``method`` (``pin`` or ``cash``; ``tendered`` is the cash received, at least the total).
    ``customer`` None: the walk-in customer. ``reference``: the PIN terminal's receipt number
    (default the order number). Returns the order (completed), the invoice (paid), the payment
    and the change.

    Two transactions (see the module docstring). The second takes the customer's billing lock,
    then the order row and stock levels (``order_hand_over``), then the invoice counter.
    Publishes what orders publishes (``order.placed``, ``order.allocated``, ``order.shipped``,
    ``order.delivered``, ``order.completed``), ``invoice.issued`` and ``payment.received``.
    Raises ``ValidationFailed`` (``method``, ``lines.N.*``, ``tendered``), ``InsufficientStock``
    (``lines.N``, with ``available``), ``Conflict`` (``customer_blocked``, ``nothing_to_pay``).
    """
    if method not in COUNTER_METHODS:
        raise ValidationFailed("The counter takes PIN or cash.", code="invalid_choice", field="method")
    tendered = clean_tendered(tendered, method)
    reference = clean_reference(reference) if reference else ""
    customer = customer or walk_in_customer(user=user)
    order = order_services.order_place(
        channel=Channel.STORE,
        customer=customer,
        lines=list(lines),
        payment_method=method,
        backorder_policy="reject",
        user=user,
    )
    try:
        _check_payable(order, tendered)
        completed, invoice, payment = _settle(order, method, reference or order.number, user)
    except Exception:
        _undo(order, user)
        raise
    change = tendered - order.gross_amount if tendered is not None else Decimal("0.00")
    # the order as the sale left it (completed; read and locked by orders when it was paid)
    return CounterSale(order=completed, invoice=invoice, payment=payment, tendered=tendered, change=change)


def _undo(order: Order, user) -> None:
    """Give the stock of a sale that could not be completed back (the error is what counts)."""
    try:
        order_services.order_cancel(order=order, reason="Counter sale not completed", user=user)
    except OmsError:
        logger.exception("counter: could not cancel order %s after a failed sale", order.number)


def _check_payable(order: Order, tendered: Decimal | None) -> None:
    if order.gross_amount <= 0:
        raise Conflict("There is nothing to pay: a free sale is not booked at the counter.", code="nothing_to_pay")
    if tendered is not None and tendered < order.gross_amount:
        raise ValidationFailed(
            f"The customer gave {tendered:.2f}; the total is {order.gross_amount:.2f}.",
            code="tendered_too_little",
            field="tendered",
        )


def _settle(order: Order, method: str, reference: str, user) -> tuple[Order, Invoice, Payment]:
    with stamps_read_once(), transaction.atomic(durable=True):
        lock_customer_billing(order.customer_id)
        if Payment.objects.filter(method=method, reference=reference).exists():
            raise Conflict(
                f"Receipt '{reference}' is already booked as a {method} payment.",
                code="payment_reference_conflict",
                field="reference",
            )
        # Handed over and paid at the till: the customer pays the order's total (the tendered
        # cash and the change are reckoned on it), which is what its one invoice comes to.
        completed = order_services.order_hand_over(
            order=order, amount_paid=order.gross_amount, user=user, reference=order.number
        )
        # The order as placed: its lines, prices and customer are what is invoiced (handing it
        # over changed only its status and paid total), so it is not read again.
        invoice = invoice_order_locked(order, "ordered", settled_by=method, user=user, done={})
        if invoice.gross_amount != completed.amount_paid:  # the rounding rules disagree: a bug
            raise Conflict(
                f"The invoice of {invoice.gross_amount} does not match the order's {completed.amount_paid}.",
                code="counter_total_mismatch",
            )
        payment = Payment.objects.create(
            customer_id=order.customer_id,
            order=order,
            method=method,
            amount=invoice.gross_amount,
            amount_allocated=invoice.gross_amount,
            reference=reference,
            paid_at=timezone.now(),
            journal_entry=invoice.journal_entry,
            created_by=user if getattr(user, "pk", None) else None,
        )
        PaymentAllocation.objects.create(
            payment=payment, invoice=invoice, amount=invoice.gross_amount, journal_entry=invoice.journal_entry
        )
        _published(payment)
    return completed, invoice, payment


def _published(payment: Payment) -> None:
    events.publish(
        PAYMENT_RECEIVED,
        {
            "payment_id": payment.pk,
            "order_id": payment.order_id,
            "customer_id": payment.customer_id,
            "amount": str(payment.amount),
        },
    )
