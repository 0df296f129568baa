"""Invoices and credit notes: gapless numbers per series and year, snapshots of seller, buyer and
lines, the VAT breakdown per rate, totals and the receivable's status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.models.ledger import JournalEntry
from customers.models import Customer
from oms.models import VatCategory
from oms.money import ZERO, money_field
from orders.models import Order, OrderLine

# The only columns of an issued invoice that may change; the database trigger refuses the rest
# (``pdf`` and ``sent_at`` only from empty to a value). Payments later change amount_paid/status.
INVOICE_MUTABLE_COLUMNS = ("status", "amount_paid", "amount_credited", "pdf", "sent_at")


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


NUMBER_PREFIX = {InvoiceKind.INVOICE: "", InvoiceKind.CREDIT_NOTE: "CN-"}


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", pgettext_lazy("invoice status", "Issued")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    CREDITED = "credited", _("Credited")


OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE)


class LineKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    SHIPPING = "shipping", _("Shipping")


def derive_status(*, gross: Decimal, paid: Decimal, credited: Decimal, due_date: date, today: date) -> str:
    """The status of an invoice (not a credit note) from its amounts and due date."""
    if gross > 0 and credited >= gross:
        return InvoiceStatus.CREDITED
    open_amount = gross - paid - credited
    if open_amount <= 0:
        return InvoiceStatus.PAID
    if due_date < today:
        return InvoiceStatus.OVERDUE
    return InvoiceStatus.PARTIALLY_PAID if paid > 0 else InvoiceStatus.ISSUED


def format_invoice_number(kind: str, year: int, sequence: int) -> str:
    return f"{NUMBER_PREFIX[kind]}{year}-{sequence:06d}"


def invoice_pdf_path(invoice: Invoice, filename: str) -> str:
    return f"invoices/{invoice.year}/{filename}"


class InvoiceCounter(models.Model):
    """The next number of one series in one year. Locked (``SELECT ... FOR UPDATE``) by the
    issuing transaction, so a rolled-back issue gives its number back: no gaps, no duplicates."""

    series = models.CharField(max_length=20, choices=InvoiceKind.choices)
    year = models.PositiveSmallIntegerField()
    next_number = models.PositiveIntegerField(default=1)
    # Numbers follow the issue dates: an invoice may not be dated before the last one of its series.
    last_issue_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="invoice_counter_once_per_year"),
            models.CheckConstraint(condition=Q(next_number__gte=1), name="invoice_counter_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: next {self.next_number}"


class Invoice(models.Model):
    """An issued invoice or credit note; immutable except ``INVOICE_MUTABLE_COLUMNS``.

    Self-contained on purpose: the buyer, seller and lines are copies taken at issue, so later
    changes to the customer, the catalogue or the seller's settings never change a document.
    Amounts of credit notes are negative.
    """

    number = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    credit_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes")
    credit_reason = models.CharField(max_length=300, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    # The order invoiced (credit notes: the order of the invoice they credit); None for an
    # invoice issued on its own. Set at issue, immutable like every other column.
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    reference = models.CharField(max_length=100, blank=True)
    issue_date = models.DateField()
    supply_date = models.DateField()
    due_date = models.DateField()
    payment_terms_days = models.PositiveSmallIntegerField()
    buyer_name = models.CharField(max_length=200)
    buyer_company = models.CharField(max_length=200, blank=True)
    buyer_street = models.CharField(max_length=250, blank=True)
    buyer_postal_code = models.CharField(max_length=12, blank=True)
    buyer_city = models.CharField(max_length=100, blank=True)
    buyer_country = models.CharField(max_length=2, blank=True)
    buyer_vat_id = models.CharField(max_length=20, blank=True)
    buyer_coc_number = models.CharField(max_length=8, blank=True)
    buyer_email = models.EmailField(max_length=254, blank=True)
    seller = models.JSONField()
    reverse_charge = models.BooleanField(default=False)
    export = models.BooleanField(default=False)
    # Consumer prices (issue 15): line prices and line amounts include VAT; the VAT per rate is
    # extracted from the rate's gross (``oms.money.vat_by_rate``). "Prijzen incl. btw".
    prices_include_vat = models.BooleanField(default=False, db_default=False)
    # The EU member state whose VAT the invoice charges under the One Stop Shop (oms.oss), for a
    # consumer there; empty: Dutch VAT (or none: reverse charge, export).
    vat_country = models.CharField(max_length=2, blank=True, default="", db_default="")
    line_count = models.PositiveSmallIntegerField()
    net_amount = money_field()
    vat_amount = money_field()
    gross_amount = money_field()
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED)
    amount_paid = money_field(default=ZERO)
    amount_credited = money_field(default=ZERO)
    pdf = models.FileField(upload_to=invoice_pdf_path, blank=True, max_length=200)
    sent_at = models.DateTimeField(null=True, blank=True)
    journal_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "sequence"], name="invoice_number_once_per_series"),
            models.CheckConstraint(condition=Q(kind__in=InvoiceKind.values), name="invoice_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"),
            models.CheckConstraint(
                condition=(Q(kind=InvoiceKind.INVOICE) & Q(credit_of__isnull=True) & Q(gross_amount__gte=0))
                | (Q(kind=InvoiceKind.CREDIT_NOTE) & Q(credit_of__isnull=False) & Q(gross_amount__lte=0)),
                name="invoice_credit_note_refers_to_invoice",
            ),
            models.CheckConstraint(
                condition=Q(gross_amount=F("net_amount") + F("vat_amount")), name="invoice_gross_is_net_plus_vat"
            ),
            models.CheckConstraint(
                condition=~(Q(reverse_charge=True) & Q(export=True)), name="invoice_reverse_charge_or_export"
            ),
            models.CheckConstraint(
                condition=Q(reverse_charge=False) | ~Q(buyer_vat_id=""), name="invoice_reverse_charge_has_vat_id"
            ),
            models.CheckConstraint(condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"),
            models.CheckConstraint(
                condition=Q(journal_entry__isnull=False) | Q(gross_amount=0), name="invoice_posted_unless_zero"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-issue_date"], name="invoice_customer_idx"),
            models.Index(fields=["-issue_date", "-id"], name="invoice_issue_date_idx"),
            models.Index(fields=["status", "due_date"], name="invoice_open_idx", condition=Q(status__in=OPEN_STATUSES)),
            models.Index(fields=["id"], name="invoice_unsent_idx", condition=Q(sent_at__isnull=True)),
            models.Index(fields=["order", "id"], name="invoice_order_idx", condition=Q(order__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def open_amount(self) -> Decimal:
        """What the customer still owes on this invoice (negative: we owe them). A credit note is
        settled against its invoice, so its own open amount is zero."""
        if self.is_credit_note:
            return ZERO
        return self.gross_amount - self.amount_paid - self.amount_credited

    @property
    def buyer_address_lines(self) -> list[str]:
        lines = [self.buyer_street, f"{self.buyer_postal_code} {self.buyer_city}".strip()]
        if self.buyer_country and self.buyer_country != "NL":
            lines.append(self.buyer_country)
        return [line for line in lines if line]

    def can_credit(self) -> bool:
        return self.kind == InvoiceKind.INVOICE and self.amount_credited < self.gross_amount


class InvoiceLine(models.Model):
    """A line as it was invoiced: a snapshot, never recomputed from the catalogue."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=LineKind.choices, default=LineKind.GOODS)
    sku = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=300)
    # Negative on credit notes.
    quantity = models.IntegerField()
    unit_price = money_field()
    discount_amount = money_field(default=ZERO)
    vat_category = models.CharField(max_length=10, choices=VatCategory.choices)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    # The line amount: excl. VAT, or incl. VAT on a document whose prices include VAT.
    net_amount = money_field()
    # On a credit note: the invoice line it credits.
    credits_line = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The order line invoiced (invoices of orders only).
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["invoice_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_once"),
            models.CheckConstraint(condition=~Q(quantity=0), name="invoice_line_quantity_not_zero"),
            models.CheckConstraint(
                condition=Q(net_amount=F("quantity") * F("unit_price") - F("discount_amount")),
                name="invoice_line_net",
            ),
            models.CheckConstraint(condition=Q(kind__in=LineKind.values), name="invoice_line_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["credits_line"], name="invoice_line_credits_idx"),
            models.Index(
                fields=["order_line"], name="invoice_line_order_line_idx", condition=Q(order_line__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"


class InvoiceVat(models.Model):
    """The VAT breakdown of an invoice: per rate, the net amount and the VAT on it."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="vat_lines")
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    net_amount = money_field()
    vat_amount = money_field()

    class Meta:
        ordering = ["invoice_id", "-rate"]
        constraints = [models.UniqueConstraint(fields=["invoice", "rate"], name="invoice_vat_rate_once")]

    def __str__(self) -> str:
        return f"{self.rate}%: {self.vat_amount} on {self.net_amount}"
