"""Returns: goods a customer sends back, registered against shipped order lines with a reason,
then received into stock or scrapped (which is when orders records them and billing is told)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from inventory.models import Product, Warehouse
from oms import audit
from orders.models import Order, OrderLine
from shipping.models.fulfilment import Shipment

RETURN_NUMBER_SEQUENCE = "shipping_return_number"


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", _("Arrived damaged")
    DEFECTIVE = "defective", _("Defective")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    NOT_WANTED = "not_wanted", _("No longer wanted")
    TOO_LATE = "too_late", _("Arrived too late")
    UNDELIVERABLE = "undeliverable", _("Returned by the carrier")
    OTHER = "other", _("Other")


class ReturnStatus(models.TextChoices):
    REGISTERED = "registered", _("Expected")
    RECEIVED = "received", _("Received into stock")
    SCRAPPED = "scrapped", _("Scrapped")
    CANCELLED = "cancelled", _("Cancelled")


class ReturnLabelStatus(models.TextChoices):
    REQUESTED = "requested", _("Being made")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be made")
    UNSUPPORTED = "unsupported", _("Not offered by the carrier")


@audit.track()
class Return(models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="returns")
    status = models.CharField(max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.REGISTERED)
    reason = models.CharField(max_length=20, choices=ReturnReason.choices)
    note = models.CharField(max_length=300, blank=True)
    warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The customer's return form on their order page sends a key once per form: a second
    # submit of the same form finds the return it made instead of making another.
    request_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    # The return label the carrier makes for a customer's request (``shipping.services.return_labels``).
    label_status = models.CharField(max_length=12, choices=ReturnLabelStatus.choices, blank=True, default="")
    label_carrier = models.ForeignKey(
        "shipping.Carrier", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    label_file = models.FileField(upload_to="shipping/return_labels/", blank=True)
    label_tracking_number = models.CharField(max_length=60, blank=True)
    label_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "request_key"],
                condition=Q(request_key__isnull=False),
                name="return_request_key_once",
            ),
            models.CheckConstraint(condition=Q(status__in=ReturnStatus.values), name="return_status_valid"),
            models.CheckConstraint(condition=Q(reason__in=ReturnReason.values), name="return_reason_valid"),
            models.CheckConstraint(
                condition=~Q(status=ReturnStatus.RECEIVED) | Q(warehouse__isnull=False),
                name="return_received_has_warehouse",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="return_status_idx"),
            models.Index(fields=["customer", "-id"], name="return_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == ReturnStatus.REGISTERED


class ReturnLine(models.Model):
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", db_index=False)
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["ret", "sku", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ret", "order_line"], name="return_line_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.ret_id}: {self.quantity} x {self.sku}"
