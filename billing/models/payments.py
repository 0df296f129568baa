"""Payments, refunds and what they paid: the allocation of money received to invoices.

A payment (``amount`` > 0) is money a customer paid: by iDEAL, card, PIN, cash, bank
transfer, Klarna, Riverty or as the settlement of an on-account invoice. A refund is a row of
its own with a negative amount, its own reference and ``refund_of`` the payment it returns
money from (a "payment chain" is a payment and its refunds). ``reference`` is unique per
method: the payment provider's id, the terminal's receipt number, the bank statement line.

What a payment paid is recorded as ``PaymentAllocation`` rows (payment -> invoice, signed):
positive when the payment settles (part of) an invoice, negative when an allocation is taken
back (a refund, or an invoice credited after it was paid). Whatever part of a payment is not
allocated and not refunded is the customer's credit (an overpayment or a prepayment):

    credit = amount - amount_allocated - amount_refunded >= 0          (CHECK, per payment)

so neither allocations nor refunds can ever exceed what was paid, whatever the services do.
``Invoice.amount_paid`` is the sum of an invoice's allocations (an invariant checks it).

Payments and allocations are append-only records (database triggers, migration 0005): a
payment refuses DELETE and any UPDATE except of its two running totals.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from billing.models.invoices import Invoice
from billing.models.ledger import JournalEntry
from customers.models import Customer, PaymentMethod
from oms.money import ZERO, money_field
from orders.models import Order

# The columns of a payment that change after it is recorded (keep equal to migration 0005).
PAYMENT_MUTABLE_COLUMNS = ("amount_allocated", "amount_refunded")

# Paid before anything ships: these orders are invoiced in full once placed and paid.
PREPAID_METHODS = frozenset(
    {
        PaymentMethod.IDEAL,
        PaymentMethod.CARD,
        PaymentMethod.KLARNA,
        PaymentMethod.RIVERTY,
        PaymentMethod.PIN,
        PaymentMethod.CASH,
    }
)
# What the store's counter takes.
COUNTER_METHODS = (PaymentMethod.PIN, PaymentMethod.CASH)


class Payment(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)
    # The order it was paid for (None: a settlement of the customer's account, e.g. a bank
    # transfer naming invoices). An order's payments pay that order's invoices only.
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    # Positive: money in. Negative: a refund (of ``refund_of``).
    amount = money_field()
    reference = models.CharField(max_length=100)
    paid_at = models.DateTimeField(default=timezone.now)
    refund_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds")
    # Running totals of a payment (zero on refunds), changed under the customer's billing lock.
    amount_allocated = money_field(default=ZERO)
    amount_refunded = money_field(default=ZERO)
    provider = models.CharField(max_length=30, blank=True, help_text="The payment provider that reported it")
    journal_entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["method", "reference"], name="payment_reference_once_per_method"),
            models.CheckConstraint(condition=Q(method__in=PaymentMethod.values), name="payment_method_valid"),
            models.CheckConstraint(condition=~Q(reference=""), name="payment_reference_required"),
            models.CheckConstraint(
                condition=(Q(amount__gt=0) & Q(refund_of__isnull=True))
                | (Q(amount__lt=0) & Q(refund_of__isnull=False)),
                name="payment_refund_is_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_allocated__gte=0, amount_refunded__gte=0)
                & (
                    (Q(amount__gt=0) & Q(amount__gte=F("amount_allocated") + F("amount_refunded")))
                    | (Q(amount__lt=0) & Q(amount_allocated=0, amount_refunded=0))
                ),
                name="payment_allocated_and_refunded_within_amount",
            ),
            models.CheckConstraint(condition=Q(journal_entry__isnull=False), name="payment_posted"),
        ]
        indexes = [
            models.Index(fields=["order", "id"], name="payment_order_idx", condition=Q(order__isnull=False)),
            models.Index(fields=["customer", "-paid_at"], name="payment_customer_idx"),
            # Money received on a day (the accounting dashboard and the payments list).
            models.Index(fields=["paid_at"], name="payment_paid_at_idx"),
            # Payments with customer credit left: what a new invoice may be paid from.
            models.Index(
                fields=["customer", "id"],
                name="payment_credit_idx",
                condition=Q(amount__gt=F("amount_allocated") + F("amount_refunded")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.reference} {self.amount}"

    @property
    def is_refund(self) -> bool:
        return self.refund_of_id is not None

    @property
    def credit(self) -> Decimal:
        """What is left of a payment for the customer: not allocated to invoices, not refunded."""
        if self.is_refund:
            return ZERO
        return self.amount - self.amount_allocated - self.amount_refunded

    @property
    def refundable(self) -> Decimal:
        return ZERO if self.is_refund else self.amount - self.amount_refunded


class PaymentAllocation(models.Model):
    """Part of a payment that settles an invoice (negative: taken back again)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations", db_index=False)
    amount = money_field()
    # The refund that took this amount back, when that is why it is negative.
    refund = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    journal_entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="payment_allocation_not_zero")]
        indexes = [models.Index(fields=["invoice", "id"], name="payment_allocation_invoice_idx")]

    def __str__(self) -> str:
        return f"{self.payment_id} -> {self.invoice_id}: {self.amount}"


class InvoicedOrderLine(models.Model):
    """How much of an order line has been invoiced (units and net amount), so that a repeated
    event or a second shipment never invoices the same units twice. Changed only under the
    customer's billing lock, together with the invoice that invoices the units."""

    order_line = models.OneToOneField("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+", db_index=False)
    quantity = models.PositiveIntegerField()
    net_amount = money_field()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="invoiced_order_line_positive")]
        indexes = [models.Index(fields=["order"], name="invoiced_order_line_order_idx")]

    def __str__(self) -> str:
        return f"line {self.order_line_id}: {self.quantity} invoiced"


class InvoiceReminder(models.Model):
    """A payment reminder of an overdue invoice, one per stage (days overdue). The row is the
    claim: inserted before the e-mail goes out, ``sent_at`` set after the server took it."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    stage = models.PositiveSmallIntegerField(help_text="Days past the due date")
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invoice_id", "stage"]
        constraints = [models.UniqueConstraint(fields=["invoice", "stage"], name="invoice_reminder_once_per_stage")]

    def __str__(self) -> str:
        return f"{self.invoice_id} reminder at {self.stage} days"


class ReturnSettlement(models.Model):
    """A received return settled by billing, once (``return.received``): the credit note(s) of
    the returned units, and what was refunded through the payments' own methods. The unique
    ``return_id`` (shipping's return; no foreign key, shipping is billing's peer) is the claim
    that makes a second event for the same return change nothing."""

    return_id = models.PositiveBigIntegerField(unique=True)
    return_number = models.CharField(max_length=20)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+", db_index=False)
    # Positive amounts: the credit notes' total (incl. VAT) and the refunds' total.
    amount_credited = money_field(default=ZERO)
    amount_refunded = money_field(default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["order"], name="return_settlement_order_idx")]

    def __str__(self) -> str:
        return f"{self.return_number}: credited {self.amount_credited}, refunded {self.amount_refunded}"
