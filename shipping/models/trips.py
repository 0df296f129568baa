"""The own fleet: vans with a weight capacity, the delivery trips they drive, and the stops on a
trip (one packed own-fleet shipment each).

A trip is ``planned`` (stops can be added and removed), ``dispatched`` (the van left: its
shipments are handed off, which issues their stock) and ``completed`` when every stop is
delivered or failed. A shipment is on at most one open stop (a partial unique index); a failed
one can go on a later trip.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.models import Warehouse
from shipping.models.carriers import Carrier
from shipping.models.fulfilment import Shipment

TRIP_NUMBER_SEQUENCE = "shipping_trip_number"


class Vehicle(models.Model):
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="vehicles")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", db_index=False)
    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    registration = models.CharField(max_length=20, blank=True, help_text="Licence plate, e.g. VX-123-B")
    capacity_grams = models.PositiveIntegerField(help_text="Load it may carry, in grams")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(capacity_grams__gt=0), name="vehicle_capacity_positive")]

    def __str__(self) -> str:
        return f"{self.name} ({self.registration})" if self.registration else self.name

    @property
    def capacity_kg(self) -> str:
        return f"{self.capacity_grams / 1000:g}"


class TripStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DISPATCHED = "dispatched", _("On the road")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class DeliveryTrip(models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="trips")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", db_index=False)
    date = models.DateField()
    status = models.CharField(max_length=20, choices=TripStatus.choices, default=TripStatus.PLANNED)
    weight_grams = models.PositiveIntegerField(default=0, help_text="Sum of the stops' shipments")
    capacity_grams = models.PositiveIntegerField(help_text="The vehicle's capacity when planned")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The driver's manifest, rendered by a worker (``trips.trip_manifest_render``), and the stamp
    # of the content it shows: served only while the stamp still matches the trip.
    pdf = models.FileField(upload_to="shipping/manifests/%Y/%m/", blank=True, max_length=200)
    pdf_stamp = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TripStatus.values), name="trip_status_valid"),
            models.CheckConstraint(
                condition=Q(weight_grams__lte=models.F("capacity_grams")), name="trip_within_capacity"
            ),
        ]
        indexes = [models.Index(fields=["status", "-date"], name="trip_status_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.date:%d-%m-%Y}"

    @property
    def weight_kg(self) -> str:
        return f"{self.weight_grams / 1000:.1f}".replace(".", ",")

    @property
    def load_percent(self) -> int:
        return round(100 * self.weight_grams / self.capacity_grams) if self.capacity_grams else 0


class StopStatus(models.TextChoices):
    PENDING = "pending", _("To deliver")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Not delivered")
    CANCELLED = "cancelled", _("Removed")


class TripStop(models.Model):
    trip = models.ForeignKey(DeliveryTrip, on_delete=models.CASCADE, related_name="stops")
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="stops")
    sequence = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=StopStatus.choices, default=StopStatus.PENDING)
    note = models.CharField(max_length=300, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["trip", "sequence", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=StopStatus.values), name="trip_stop_status_valid"),
            models.UniqueConstraint(
                fields=["shipment"], condition=Q(status="pending"), name="trip_stop_one_open_per_shipment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trip_id} #{self.sequence}: {self.shipment_id} ({self.status})"
