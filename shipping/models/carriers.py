"""Carriers, their service levels and rates, delivery areas, free-shipping thresholds and the
holiday calendar: the data the delivery promise is computed from (``shipping.promise``).

Every order's quote reads these tables, so each process caches them (``shipping.quotes``); each
table's ``reference_stamp`` trigger tells the caches of every process when it changed
(``oms.reference_cache``).

Shipments and vehicles (``shipping.models.fulfilment``, ``shipping.models.trips``) point at
``Carrier`` and ``ServiceLevel``; both are protected from deletion once used, and deactivated
instead.
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oms import audit, reference_cache
from oms.money import money_field
from shipping.zones import Zone


class CarrierKind(models.TextChoices):
    EXTERNAL = "external", _("External carrier")
    OWN_FLEET = "own_fleet", _("Own fleet")


class CarrierAdapterKind(models.TextChoices):
    """Which API an external carrier speaks (``shipping.carriers``)."""

    GENERIC = "generic", _("Generic JSON API")
    POSTNL = "postnl", _("PostNL")
    SENDCLOUD = "sendcloud", _("Sendcloud")


@audit.track()
class Carrier(models.Model):
    """Who moves the parcels: an external carrier reached over its API, or the company's own vans."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=CarrierKind.choices, default=CarrierKind.EXTERNAL)
    active = models.BooleanField(default=True)
    tracking_url_template = models.CharField(
        max_length=300,
        blank=True,
        help_text="Link for customers; {tracking_number}, {postal_code} and {country} are filled in.",
    )
    api_endpoint = models.URLField(blank=True, help_text="Base URL of the carrier's shipment API.")
    api_key = models.CharField(max_length=200, blank=True, help_text="Credential sent to the carrier's API.")
    webhook_secret = models.CharField(
        max_length=200, blank=True, help_text="Signs the carrier's tracking webhooks (HMAC-SHA256 of the body)."
    )
    adapter = models.CharField(
        max_length=20, choices=CarrierAdapterKind.choices, default=CarrierAdapterKind.GENERIC,
        help_text="The carrier's API: the generic JSON protocol, PostNL or Sendcloud.",
    )  # fmt: skip
    api_secret = models.CharField(
        max_length=200, blank=True, help_text="Second credential (Sendcloud's secret key); never shown back."
    )
    # Account details the adapter needs (PostNL's customer code and number, Sendcloud's shipping
    # method per service code); each adapter checks its own keys (``shipping.carriers``).
    options = models.JSONField(default=dict, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        triggers = [reference_cache.stamp_trigger()]  # cached by the delivery quote
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CarrierKind.values), name="carrier_kind_valid"),
            models.CheckConstraint(condition=Q(adapter__in=CarrierAdapterKind.values), name="carrier_adapter_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_own_fleet(self) -> bool:
        return self.kind == CarrierKind.OWN_FLEET

    def tracking_url(self, tracking_number: str, *, postal_code: str = "", country: str = "") -> str:
        """The customer's tracking link, or "" when the carrier has no template or no number yet."""
        if not self.tracking_url_template or not tracking_number:
            return ""
        return self.tracking_url_template.format_map(
            {
                "tracking_number": tracking_number,
                "postal_code": postal_code.replace(" ", ""),
                "country": country.upper(),
            }
        )


@audit.track()
class ServiceLevel(models.Model):
    """A carrier's product (standard parcel, Europe, freight): its speed and its rates."""

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="services")
    code = models.SlugField(max_length=30)
    name = models.CharField(max_length=100)
    transit_days = models.PositiveSmallIntegerField(
        default=1, help_text="Working days from hand-over to delivery (0: the same day)."
    )
    active = models.BooleanField(default=True)
    free_shipping = models.BooleanField(
        default=True,
        help_text="The zones' free-shipping thresholds apply to this service (off for pallet freight and the like).",
    )
    to_pickup_point = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Delivers to a pick-up point the customer chooses (PostNL location, Sendcloud service point).",
    )

    class Meta:
        ordering = ["carrier__sort_order", "carrier__name", "transit_days", "code"]
        triggers = [reference_cache.stamp_trigger()]  # cached by the delivery quote
        constraints = [
            models.UniqueConstraint(fields=["carrier", "code"], name="service_code_unique_per_carrier"),
            models.CheckConstraint(condition=Q(transit_days__lte=60), name="service_transit_days_sane"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier.name} {self.name}"


# Rates are replaced bracket by bracket, so removals are recorded too: who changed a price matters.
@audit.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Rate(models.Model):
    """The price of one parcel of at most ``max_weight_grams`` to a zone with a service (excl. VAT)."""

    service = models.ForeignKey(ServiceLevel, on_delete=models.CASCADE, related_name="rates")
    zone = models.CharField(max_length=10, choices=Zone.choices)
    max_weight_grams = models.PositiveIntegerField()
    price = money_field()

    class Meta:
        ordering = ["service", "zone", "max_weight_grams"]
        triggers = [reference_cache.stamp_trigger()]  # cached by the delivery quote
        constraints = [
            models.UniqueConstraint(fields=["service", "zone", "max_weight_grams"], name="rate_bracket_unique"),
            models.CheckConstraint(condition=Q(zone__in=Zone.values), name="rate_zone_valid"),
            models.CheckConstraint(condition=Q(max_weight_grams__gt=0), name="rate_weight_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="rate_price_not_negative"),
        ]
        indexes = [models.Index(fields=["zone", "service"], name="rate_zone_idx")]

    def __str__(self) -> str:
        return f"{self.service} {self.zone} ≤{self.max_weight_grams} g: {self.price}"

    @property
    def weight_kg(self) -> str:
        """``2`` for 2000 g, ``31.5`` for 31500 g."""
        text = f"{Decimal(self.max_weight_grams) / 1000:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


class PostcodeRange(models.Model):
    """Part of a carrier's delivery area. A carrier with ranges delivers only inside them (the own
    fleet's region); one without delivers everywhere in the zones it has rates for."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="postcode_ranges")
    country = models.CharField(max_length=2, default="NL")
    first = models.PositiveIntegerField(help_text="First postcode number (3500 for 3500 AA).")
    last = models.PositiveIntegerField()

    class Meta:
        ordering = ["carrier", "country", "first"]
        triggers = [reference_cache.stamp_trigger()]  # cached by the delivery quote
        constraints = [models.CheckConstraint(condition=Q(first__lte=models.F("last")), name="postcode_range_order")]

    def __str__(self) -> str:
        return f"{self.country} {self.first}-{self.last}"


@audit.track()
class FreeShipping(models.Model):
    """Shipping is free to a zone when the order's goods (net, excl. VAT) reach this amount."""

    zone = models.CharField(max_length=10, choices=Zone.choices, unique=True)
    min_order_net = money_field()

    class Meta:
        ordering = ["zone"]
        triggers = [reference_cache.stamp_trigger()]  # cached by the delivery quote
        constraints = [
            models.CheckConstraint(condition=Q(zone__in=Zone.values), name="free_shipping_zone_valid"),
            models.CheckConstraint(condition=Q(min_order_net__gte=0), name="free_shipping_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"free to {self.zone} from {self.min_order_net}"


class Holiday(models.Model):
    """A day on which nothing ships from or is delivered in a country (weekends always count)."""

    country = models.CharField(max_length=2)
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date", "country"]
        triggers = [reference_cache.stamp_trigger()]  # cached by the delivery quote
        constraints = [
            models.UniqueConstraint(fields=["country", "date"], name="holiday_unique_per_country"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="holiday_country_iso"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.date:%Y-%m-%d} {self.name}"
