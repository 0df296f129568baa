"""The generic adapters behind the carrier interface: the JSON-over-HTTP protocol for in-house
integrations, our own labels (own fleet, a carrier booked by phone) and the offline sandbox
(``shipping.adapters`` describes each; their behaviour is unchanged).

The sandbox also answers pick-up points, made up from the postcode, so a demo without internet
can show the choice; the generic protocol has none (its tracking is the webhook of
``shipping.views.webhooks``).
"""

from __future__ import annotations

import hashlib

from django.conf import settings

from shipping.adapters import JsonHttpCarrier, OwnLabel, SandboxCarrier, is_sandbox
from shipping.carriers.base import CarrierAdapter, Label, ParcelRequest, PickupPoint

SANDBOX_POINTS = (
    ("Tabakszaak De Hoek", "Kerkstraat", "12", ((0, "09:00-18:00"), (1, "09:00-18:00"), (5, "10:00-17:00"))),
    ("Supermarkt Plus", "Marktplein", "3", tuple((day, "08:00-21:00") for day in range(7))),
    ("Boekhandel Pagina", "Stationsweg", "45", tuple((day, "09:30-17:30") for day in range(6))),
)


class GenericJson(JsonHttpCarrier, CarrierAdapter):
    """The in-house protocol: ``POST <endpoint>/shipments`` for a parcel to the customer and
    ``POST <endpoint>/returns`` for a return label (the same body with ``sender`` the customer and
    ``recipient`` the warehouse, the same ``Idempotency-Key`` header and the same answer
    ``{"tracking_number", "label_pdf"}``; docs/API.md "Carrier hand-off")."""

    name = "generic"
    supports_returns = True

    def create_shipment(self, request: ParcelRequest) -> Label:
        return self.create_label(request)

    def create_return_label(self, request: ParcelRequest) -> Label:
        return self.create_label(request, url=self.returns_url)


class OwnLabels(OwnLabel, CarrierAdapter):
    name = "own"

    def create_shipment(self, request: ParcelRequest) -> Label:
        return self.create_label(request)


class Sandbox(SandboxCarrier, CarrierAdapter):
    name = "sandbox"
    supports_pickup_points = True

    def __init__(self, code: str = "sandbox") -> None:
        self.code = code

    def create_shipment(self, request: ParcelRequest) -> Label:
        return self.create_label(request)

    def pickup_points(self, *, postcode: str, country: str, limit: int = 10) -> list[PickupPoint]:
        digits = int(hashlib.sha256(f"{country}{postcode}".encode()).hexdigest()[:6], 16)
        points = [
            PickupPoint(
                id=f"{self.code.upper()}-{digits % 9000 + 1000 + n}",
                name=name,
                street=street,
                house_number=number,
                postal_code=postcode,
                city="",
                country=country,
                carrier=self.code,
                distance_m=150 + 400 * n + digits % 100,
                opening_hours=hours,
            )  # fmt: skip
            for n, (name, street, number, hours) in enumerate(SANDBOX_POINTS)
        ]
        return points[:limit]


def for_carrier(carrier) -> CarrierAdapter:
    if carrier.is_own_fleet or not carrier.api_endpoint:
        return OwnLabels()
    if is_sandbox(carrier.api_endpoint):
        return Sandbox(carrier.code)
    return GenericJson(carrier.api_endpoint, carrier.api_key, settings.OMS_CARRIER_TIMEOUT_SECONDS)
