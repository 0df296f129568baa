"""Suppliers and what they sell us, reorder requests, purchase orders and goods receipts.

What the database itself keeps:

- one open reorder request per product and warehouse (a partial unique index: concurrent
  triggers insert with ``ON CONFLICT DO NOTHING`` and the second one adds nothing);
- one preferred supplier per product (a partial unique index);
- one line per product on a purchase order (expected receipts in inventory are keyed by
  purchase order number, product and warehouse);
- statuses, reasons and quantities within their ranges (CHECK constraints).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inventory.models import Product, Warehouse
from oms import audit
from oms.money import money_field

PO_NUMBER_SEQUENCE = "purchasing_po_number"


@audit.track()
class Supplier(models.Model):
    name = models.CharField(max_length=200, unique=True)
    contact_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True, help_text="Purchase orders are e-mailed here")
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=200, blank=True, help_text="Street and number")
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="NL")
    vat_id = models.CharField("VAT id", max_length=20, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    lead_time_days = models.PositiveSmallIntegerField(default=7, help_text="Default days from order to delivery")
    active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="supplier_name_not_empty"),
            models.CheckConstraint(condition=Q(lead_time_days__lte=365), name="supplier_lead_time_max_year"),
            models.CheckConstraint(condition=Q(payment_terms_days__lte=365), name="supplier_terms_max_year"),
        ]

    def __str__(self) -> str:
        return self.name


@audit.track()
class SupplierProduct(models.Model):
    """A product as a supplier sells it: their SKU, our cost, and how they want it ordered."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="products", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    supplier_sku = models.CharField("supplier SKU", max_length=64, blank=True)
    unit_cost = money_field(help_text="EUR excluding VAT, per unit")
    min_order_quantity = models.PositiveIntegerField(default=1)
    pack_size = models.PositiveIntegerField(default=1, help_text="Ordered in multiples of this")
    lead_time_days = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: the supplier's")
    preferred = models.BooleanField(default=False)

    class Meta:
        ordering = ["supplier", "product"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "product"], name="supplier_product_once"),
            models.UniqueConstraint(
                fields=["product"], condition=Q(preferred=True), name="supplier_product_one_preferred"
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="supplier_product_cost_not_negative"),
            models.CheckConstraint(condition=Q(min_order_quantity__gte=1), name="supplier_product_moq_positive"),
            models.CheckConstraint(condition=Q(pack_size__gte=1), name="supplier_product_pack_positive"),
            models.CheckConstraint(
                condition=Q(lead_time_days__isnull=True) | Q(lead_time_days__lte=365),
                name="supplier_product_lead_time_max_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} sells {self.product_id} as {self.supplier_sku or '-'}"

    @property
    def effective_lead_time_days(self) -> int:
        return self.lead_time_days if self.lead_time_days is not None else self.supplier.lead_time_days


class ReorderReason(models.TextChoices):
    LOW_STOCK = "low_stock", _("Below reorder point")
    SCAN = "scan", _("Reorder scan")
    BACKORDER = "backorder", _("Backorder")
    LARGE_ORDER = "large_order", _("Large order")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ORDERED = "ordered", _("Ordered")
    DISMISSED = "dismissed", _("Dismissed")


class ReorderRequest(models.Model):
    """A proposal to buy a product for a warehouse, raised by a worker (an event or the scan).

    Not audited by trigger: the scan inserts many thousands at once. Who ordered or dismissed
    a request is on the request (``decided_by``) and on the purchase order's timeline.
    """

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", db_index=False)
    # No plain index on supplier or decided_by: every index costs the scan's bulk insert, and
    # the queue's partial index (supplier, id) serves the screen's supplier filter.
    supplier = models.ForeignKey(
        Supplier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    reason = models.CharField(max_length=20, choices=ReorderReason.choices)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    suggested_quantity = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField(help_text="What will be ordered; starts as the suggestion")
    unit_cost = money_field(null=True, blank=True)
    expected_date = models.DateField(null=True, blank=True, help_text="If ordered today")
    source = models.CharField(max_length=100, blank=True, help_text="What raised it: an order, an event, the scan")
    purchase_order = models.ForeignKey(
        "PurchaseOrder", on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], condition=Q(status="open"), name="reorder_request_one_open"
            ),
            models.CheckConstraint(condition=Q(status__in=RequestStatus.values), name="reorder_request_status_valid"),
            models.CheckConstraint(condition=Q(reason__in=ReorderReason.values), name="reorder_request_reason_valid"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reorder_request_quantity_positive"),
            models.CheckConstraint(condition=Q(suggested_quantity__gt=0), name="reorder_request_suggestion_positive"),
        ]
        # The queue screen: open requests by supplier.
        indexes = [
            models.Index(fields=["supplier", "id"], condition=Q(status="open"), name="reorder_request_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}@{self.warehouse_id} ({self.reason}, {self.status})"


class POStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    PARTIALLY_RECEIVED = "partially_received", _("Partially received")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


# The whole machine in one place. Receipts move sent -> partially received -> received; a
# purchase order that has received goods can no longer be cancelled.
PO_TRANSITIONS: dict[str, frozenset[str]] = {
    POStatus.DRAFT: frozenset({POStatus.SENT, POStatus.CANCELLED}),
    POStatus.SENT: frozenset({POStatus.PARTIALLY_RECEIVED, POStatus.RECEIVED, POStatus.CANCELLED}),
    POStatus.PARTIALLY_RECEIVED: frozenset({POStatus.RECEIVED}),
    POStatus.RECEIVED: frozenset(),
    POStatus.CANCELLED: frozenset(),
}
RECEIVABLE = (POStatus.SENT, POStatus.PARTIALLY_RECEIVED)


@audit.track()
class PurchaseOrder(models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=POStatus.choices, default=POStatus.DRAFT)
    order_date = models.DateField(null=True, blank=True, help_text="The day it was sent")
    expected_date = models.DateField(null=True, blank=True)
    total_amount = money_field(default=0, help_text="EUR excluding VAT")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=POStatus.values), name="purchase_order_status_valid"),
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="purchase_order_total_not_negative"),
        ]
        indexes = [models.Index(fields=["status", "-id"], name="purchase_order_by_status")]

    def __str__(self) -> str:
        return self.number

    def can_transition_to(self, status: str) -> bool:
        return status in PO_TRANSITIONS.get(self.status, frozenset())

    @property
    def can_send(self) -> bool:
        return self.can_transition_to(POStatus.SENT)

    @property
    def can_cancel(self) -> bool:
        return self.can_transition_to(POStatus.CANCELLED)

    @property
    def can_receive(self) -> bool:
        return self.status in RECEIVABLE


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    supplier_sku = models.CharField(max_length=64, blank=True)
    quantity_ordered = models.PositiveIntegerField()
    quantity_received = models.PositiveIntegerField(default=0)
    unit_cost = money_field()
    line_total = money_field()

    class Meta:
        ordering = ["purchase_order", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "line_no"], name="po_line_number_once"),
            models.UniqueConstraint(fields=["purchase_order", "product"], name="po_line_product_once"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="po_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="po_line_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_order_id}/{self.line_no}: {self.quantity_ordered} x {self.sku}"

    @property
    def quantity_open(self) -> int:
        return max(self.quantity_ordered - self.quantity_received, 0)


class TimelineEntry(models.Model):
    """The purchase order's timeline: created, sent, e-mailed, received, cancelled."""

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=30)
    message = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["purchase_order", "id"]

    def __str__(self) -> str:
        return f"{self.purchase_order_id} {self.kind}: {self.message}"


class PurchaseOrderDocument(models.Model):
    """The PDF sent to the supplier, rendered once by a worker, and the e-mail's delivery state.

    Kept in the database (not on a worker's disk) so that every web and worker host sees it.
    The e-mail is claimed before sending (``oms.deliver_once``, kind ``purchasing.po_email``), so
    two runs of the task at once send one e-mail; ``emailed_at`` is set once the mail server
    accepted it.
    """

    purchase_order = models.OneToOneField(PurchaseOrder, on_delete=models.CASCADE, related_name="document")
    pdf = models.BinaryField()
    rendered_at = models.DateTimeField(auto_now_add=True)
    emailed_to = models.CharField(max_length=254, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"PDF of {self.purchase_order_id}"


class GoodsReceipt(models.Model):
    """One delivery booked against a purchase order (possibly partial)."""

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    # A key the receipt form carries, so a double-submitted form books the delivery once.
    key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["purchase_order", "id"]

    def __str__(self) -> str:
        return f"receipt {self.pk} of {self.purchase_order_id}"


class GoodsReceiptLine(models.Model):
    receipt = models.ForeignKey(GoodsReceipt, on_delete=models.CASCADE, related_name="lines")
    purchase_order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipts")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="receipt_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.purchase_order_line_id}"
