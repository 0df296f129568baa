"""Shipments: what leaves a warehouse for one order in one go, its lines, the carrier hand-off
(attempts), the tracking events carriers report, and the e-mails the customer gets.

The life of a shipment (``SHIPMENT_TRANSITIONS``)::

    pending (being packed) -> packed -> handed_off -> in_transit -> delivered
                                  \\            \\-> failed (delivery failed; may still be delivered)
                                   -> cancelled  \\-> returned (sent back to us by the carrier)

Stock is issued when the shipment is handed off (orders' ``order_record_shipment``), so a
shipment that is cancelled before that gives nothing back: it never took anything.

What the database keeps: one pending shipment per order and warehouse; tracking numbers unique
per carrier; a handed-off shipment has a tracking number; packed quantities never exceed what
was reserved when packing started; a tracking event is recorded once per carrier event id.
"""

from __future__ import annotations

import uuid

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from inventory.models import Product, Warehouse
from oms import audit
from orders.models import Order, OrderLine
from shipping.models.carriers import Carrier, ServiceLevel

SHIPMENT_NUMBER_SEQUENCE = "shipping_shipment_number"


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Being packed")
    PACKED = "packed", _("Packed")
    HANDED_OFF = "handed_off", _("Handed off")
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Delivery failed")
    RETURNED = "returned", _("Returned to us")
    CANCELLED = "cancelled", _("Cancelled")


SS = ShipmentStatus
SHIPMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    SS.PENDING: frozenset({SS.PACKED, SS.CANCELLED}),
    SS.PACKED: frozenset({SS.HANDED_OFF, SS.CANCELLED}),
    SS.HANDED_OFF: frozenset({SS.IN_TRANSIT, SS.DELIVERED, SS.FAILED, SS.RETURNED}),
    SS.IN_TRANSIT: frozenset({SS.DELIVERED, SS.FAILED, SS.RETURNED}),
    SS.FAILED: frozenset({SS.DELIVERED, SS.RETURNED}),
    SS.DELIVERED: frozenset({SS.RETURNED}),
    SS.RETURNED: frozenset(),
    SS.CANCELLED: frozenset(),
}
# Not yet left the building: these shipments still hold (or are about to take) reserved stock.
OPEN_STATUSES = frozenset({SS.PENDING, SS.PACKED})
# Left with the carrier: the stock is issued and the order counts them as shipped.
SHIPPED_STATUSES = frozenset({SS.HANDED_OFF, SS.IN_TRANSIT, SS.DELIVERED, SS.FAILED, SS.RETURNED})
# Carriers report progress; a report never moves a shipment to a lower rank (out-of-order webhooks).
TRACKING_RANK: dict[str, int] = {SS.HANDED_OFF: 0, SS.IN_TRANSIT: 1, SS.FAILED: 2, SS.DELIVERED: 3, SS.RETURNED: 4}


# Who packed, re-routed or gave up on a shipment; not every hand-off claim (those are attempts).
@audit.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    fields=["status", "carrier", "service", "parcel_count", "weight_grams", "tracking_number", "handoff_failed_at"],
    model_name="ShipmentChange",
)
class Shipment(models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", db_index=False)
    # Chosen when the box is closed (the real weight is known then); empty while being packed.
    carrier = models.ForeignKey(
        Carrier, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments", db_index=False
    )
    service = models.ForeignKey(
        ServiceLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING)
    # The recipient as the label shows it: the order's shipping address and the customer's name.
    address = models.JSONField(default=dict, blank=True)
    parcel_count = models.PositiveSmallIntegerField(default=1)
    weight_grams = models.PositiveIntegerField(default=0)
    tracking_number = models.CharField(max_length=60, blank=True)
    label = models.FileField(upload_to="shipping/labels/%Y/%m/", blank=True, max_length=200)
    # The carrier hand-off: one idempotency key for the life of the shipment, sent on every try.
    handoff_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    handoff_attempts = models.PositiveSmallIntegerField(default=0)
    handoff_due_at = models.DateTimeField(null=True, blank=True, help_text="When the next try may run")
    handoff_failed_at = models.DateTimeField(null=True, blank=True, help_text="Gave up: in the exception list")
    handoff_error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    packed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    packed_at = models.DateTimeField(null=True, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ShipmentStatus.values), name="shipment_status_valid"),
            models.CheckConstraint(condition=Q(parcel_count__gte=1), name="shipment_parcels_positive"),
            models.CheckConstraint(
                condition=Q(status__in=[SS.PENDING, SS.CANCELLED]) | Q(carrier__isnull=False, service__isnull=False),
                name="shipment_packed_has_carrier",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[SS.PENDING, SS.PACKED, SS.CANCELLED]) | ~Q(tracking_number=""),
                name="shipment_handed_off_has_tracking",
            ),
            models.UniqueConstraint(
                fields=["order", "warehouse"], condition=Q(status=SS.PENDING), name="shipment_one_pending_per_order"
            ),
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"],
                condition=~Q(tracking_number=""),
                name="shipment_tracking_unique_per_carrier",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="shipment_status_idx"),
            models.Index(fields=["customer", "-id"], name="shipment_customer_idx"),
            # The dashboards: handed off today, and delivery times over the last 30 days.
            models.Index(
                fields=["handed_off_at"], name="shipment_handed_off_idx", condition=Q(handed_off_at__isnull=False)
            ),
            models.Index(
                fields=["delivered_at"], name="shipment_delivered_idx", condition=Q(delivered_at__isnull=False)
            ),
            # The worker's sweep: packed shipments whose hand-off is due (a handful at any time).
            models.Index(
                fields=["handoff_due_at"],
                name="shipment_handoff_due_idx",
                condition=Q(status=SS.PACKED, handoff_failed_at__isnull=True, handoff_due_at__isnull=False),
            ),
            # The exception list: hand-offs that gave up.
            models.Index(
                fields=["handoff_failed_at"],
                name="shipment_exception_idx",
                condition=Q(status=SS.PACKED, handoff_failed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.status})"

    def can_transition_to(self, status: str) -> bool:
        return status in SHIPMENT_TRANSITIONS.get(self.status, frozenset())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def in_exception(self) -> bool:
        return self.status == SS.PACKED and self.handoff_failed_at is not None

    @property
    def tracking_url(self) -> str:
        if self.carrier is None:
            return ""
        return self.carrier.tracking_url(
            self.tracking_number,
            postal_code=self.address.get("postal_code", ""),
            country=self.address.get("country", ""),
        )

    @property
    def weight_kg(self) -> str:
        return f"{self.weight_grams / 1000:.2f}".replace(".", ",")


class ShipmentLine(models.Model):
    """Units of one order line in the shipment: ``quantity_expected`` were reserved in the
    warehouse when packing started, ``quantity`` were scanned into the box."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", db_index=False)
    sku = models.CharField(max_length=64)
    barcode = models.CharField(max_length=13, blank=True)
    name = models.CharField(max_length=200)
    quantity_expected = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["shipment", "sku", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipment_line_once"),
            models.CheckConstraint(
                condition=Q(quantity__lte=F("quantity_expected")), name="shipment_line_within_expected"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.quantity}/{self.quantity_expected} x {self.sku}"


class HandoffOutcome(models.TextChoices):
    HANDED_OFF = "handed_off", _("Handed off")
    RETRY = "retry", _("Failed, will retry")
    FAILED = "failed", _("Failed, gave up")


class HandoffAttempt(models.Model):
    """One try to hand a shipment to its carrier: what was answered (the exception list shows it)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=HandoffOutcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["shipment", "id"]

    def __str__(self) -> str:
        return f"{self.shipment_id} try {self.number}: {self.outcome}"


class TrackingEvent(models.Model):
    """A status report about a shipment: from the carrier's webhook, or a stop of our own trip.
    ``applied`` says whether it moved the shipment (a late or repeated report does not)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="+", db_index=False)
    event_id = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    description = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=100, blank=True)
    applied = models.BooleanField(default=False)

    class Meta:
        ordering = ["shipment", "occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "event_id"], name="tracking_event_once_per_carrier"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status} at {self.occurred_at:%Y-%m-%d %H:%M}"


class CarrierBooking(models.Model):
    """What a carrier gave us for a shipment before its label arrived: PostNL's barcode (asked
    once, then used by every try, so a retried hand-off labels the same parcel) or Sendcloud's
    parcel id. Keyed by the shipment's hand-off key; written by the adapters outside the
    hand-off's transaction (``shipping.carriers``)."""

    handoff_key = models.UUIDField(unique=True)
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="+", db_index=False)
    reference = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["carrier", "tracking_number"], name="carrier_booking_tracking_idx")]

    def __str__(self) -> str:
        return f"{self.handoff_key}: {self.reference}"


class NoticeKind(models.TextChoices):
    HANDED_OFF = "handed_off", _("On its way (tracking link)")
    DELIVERED = "delivered", _("Delivered")


class ShipmentNotice(models.Model):
    """An e-mail to the customer about a shipment, written in the transaction that caused it and
    sent once by a worker after commit (its claim and tries: the ``shipping.notice`` delivery)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    to_email = models.EmailField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)  # the last failure, for the shipment page

    class Meta:
        ordering = ["shipment", "id"]
        constraints = [models.UniqueConstraint(fields=["shipment", "kind"], name="shipment_notice_once")]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.kind} ({'sent' if self.sent_at else 'unsent'})"
