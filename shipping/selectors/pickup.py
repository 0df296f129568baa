"""Pick-up points near a postcode, asked from the carriers' adapters (``shipping.carriers``).

The carriers' location lists change rarely and the same postcode is asked for again and again
while an order is being entered, so each carrier's answer is cached for
``OMS_PICKUP_POINTS_CACHE_SECONDS`` in Django's cache, by carrier, country and postcode. A
carrier that cannot be reached is left out of ``pickup_points_near`` (logged, not cached), so
one carrier's outage does not hide the others' points.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache

from customers.services.validation import clean_country, clean_postal_code
from oms.errors import ValidationFailed
from shipping.carriers import adapter_for
from shipping.carriers.base import CarrierError, PickupPoint
from shipping.models import Carrier, CarrierKind

logger = logging.getLogger(__name__)


def clean_location(postcode, country) -> tuple[str, str]:
    """``("3511 AB", "NL")``; ``ValidationFailed`` on fields ``country`` / ``postcode``."""
    try:
        country = clean_country(country or "NL")
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, code=exc.code, field="country") from None
    try:
        return clean_postal_code(postcode, country), country
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, code=exc.code, field="postcode") from None


def pickup_points(carrier: Carrier, postcode: str, country: str = "NL", *, limit: int = 10) -> list[PickupPoint]:
    """The carrier's pick-up points nearest to ``postcode``, nearest first ([] when it has none).

    Raises ``ValidationFailed`` (postcode, country) and ``CarrierError`` (the carrier did not answer)."""
    postcode, country = clean_location(postcode, country)
    adapter = adapter_for(carrier)
    if not adapter.supports_pickup_points:
        return []
    key = f"shipping:pickup:{carrier.pk}:{carrier.adapter}:{country}:{postcode.replace(' ', '')}"
    points = cache.get(key)
    if points is None:
        points = adapter.pickup_points(postcode=postcode, country=country, limit=limit)
        cache.set(key, points, settings.OMS_PICKUP_POINTS_CACHE_SECONDS)
    return points[:limit]


def pickup_points_near(postcode: str, country: str = "NL", *, carrier_code: str = "", limit: int = 10) -> list:
    """Every active external carrier's points (or ``carrier_code``'s only), nearest first."""
    postcode, country = clean_location(postcode, country)
    carriers = Carrier.objects.filter(active=True, kind=CarrierKind.EXTERNAL).order_by("sort_order", "name")
    if carrier_code:
        carriers = carriers.filter(code=carrier_code.strip().lower())
    found: list[PickupPoint] = []
    for carrier in carriers:
        try:
            found.extend(pickup_points(carrier, postcode, country, limit=limit))
        except CarrierError as exc:
            logger.warning("shipping: pick-up points of %s: %s", carrier.code, exc.message)
    return sorted(found, key=lambda p: p.distance_m if p.distance_m is not None else 10**9)[:limit]
