"""Sendcloud through its documented v2 API (httpx, Basic auth with the public and secret key).

- Hand-off: ``POST /api/v2/parcels`` with ``request_label: true``, the shipping method of the
  service (``options["shipping_methods"][service code]``, as ``shipment.id``), the chosen
  service point (``to_service_point``) and the shipment's hand-off key as
  ``external_reference``, which Sendcloud keeps unique. Every try first looks for the parcel
  (``CarrierBooking``, else ``GET /api/v2/parcels?external_reference=...``), so a try whose
  answer was lost, or a duplicate submission, gets the parcel already made instead of a second.
  The label PDF is downloaded from the parcel's label URL.
- Cancel: ``POST /api/v2/parcels/{id}/cancel``.
- Tracking is pushed: the webhook (``parcel_status_changed``) signed with header
  ``Sendcloud-Signature``, the hex HMAC-SHA256 of the raw body with the secret key.
- Pick-up points: ``GET <OMS_SENDCLOUD_SERVICE_POINTS_URL>/api/v2/service-points``.
- Return labels: the same ``POST /api/v2/parcels`` with ``is_return: true``: the customer in the
  ``from_*`` fields, the warehouse as the addressee, the return's key as ``external_reference``
  (looked for first, as for a hand-off), the method ``options["return_method"]`` (else the
  ``shipping_methods`` entry ``"return"``, else that of the parcel's service, else ``"default"``).

Carrier options: ``shipping_methods`` ({service code: Sendcloud method id}, required),
``sender_address`` (a Sendcloud sender address id, optional), ``service_point_carriers``
(e.g. ``"postnl,dhl"``, optional).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx
from django.conf import settings

from oms.numbers import plain_int
from shipping.carriers.base import (
    CarrierAdapter,
    CarrierRefused,
    CarrierUnavailable,
    HttpApi,
    Label,
    ParcelRequest,
    PickupPoint,
    TrackingUpdate,
    WebhookRefused,
    pdf_or_retry,
)
from shipping.services import carrier_bookings

# Sendcloud's parcel status ids -> ours; the others (no label yet, cancelled, unknown) are not reported.
STATUSES = {
    1: "handed_off", 22: "handed_off",  # announced, picked up by the driver
    3: "in_transit", 4: "in_transit", 5: "in_transit", 6: "in_transit", 7: "in_transit",  # sorting, delayed
    12: "in_transit", 91: "in_transit", 92: "in_transit",  # awaiting pick-up, en route, driver en route
    11: "delivered", 93: "delivered",  # delivered, collected by the customer
    8: "failed", 62: "failed", 80: "failed",  # delivery attempt failed, unable to deliver
}  # fmt: skip


def check_options(options: dict) -> list[str]:
    methods = options.get("shipping_methods")
    ok = isinstance(methods, dict) and methods and all(plain_int(str(v)) is not None for v in methods.values())
    return [] if ok else ["shipping_methods"]


class Sendcloud(CarrierAdapter):
    name = "Sendcloud"
    supports_pickup_points = True
    supports_returns = True

    def __init__(self, carrier) -> None:
        self.carrier_id, self.code, self.secret = carrier.pk, carrier.code, carrier.api_secret
        self.options = carrier.options or {}
        auth = httpx.BasicAuth(carrier.api_key, carrier.api_secret)
        base = carrier.api_endpoint or settings.OMS_SENDCLOUD_API_URL
        self.api = HttpApi(base, carrier="Sendcloud", auth=auth, error_text=_error_text)
        self.points = HttpApi(settings.OMS_SENDCLOUD_SERVICE_POINTS_URL, carrier="Sendcloud", auth=auth,
                              error_text=_error_text)  # fmt: skip

    # --- labels --------------------------------------------------------------------------------

    def create_shipment(self, request: ParcelRequest) -> Label:
        return self._label(request, self._parcel)

    def create_return_label(self, request: ParcelRequest) -> Label:
        return self._label(request, self._return_parcel)

    def _label(self, request: ParcelRequest, body) -> Label:
        parcel = self._existing(request.idempotency_key) or self._create(request, body)
        parcel_id, tracking = str(parcel.get("id", "")), str(parcel.get("tracking_number") or "").strip()
        if not parcel_id or not tracking:
            raise CarrierUnavailable("Sendcloud made the parcel but has no tracking number for it yet.")
        carrier_bookings.booking_store(carrier_id=self.carrier_id, handoff_key=request.idempotency_key,
                                       reference=parcel_id, tracking_number=tracking)  # fmt: skip
        pdf = self.api.call("GET", _label_url(parcel), ok=(200,)).content
        return Label(tracking, pdf_or_retry(pdf, "Sendcloud"), carrier_reference=parcel_id)

    def _existing(self, key: str) -> dict | None:
        booking = carrier_bookings.booking_get(handoff_key=key)
        if booking is not None:
            found = self.api.json(self.api.call("GET", f"/api/v2/parcels/{booking.reference}", ok=(200,)))
            if not isinstance(found, dict) or not isinstance(found.get("parcel"), dict):
                raise CarrierUnavailable("Sendcloud's answer has no parcel.")
            return found["parcel"]
        found = self.api.json(self.api.call("GET", "/api/v2/parcels", ok=(200,), params={"external_reference": key}))
        listed = found.get("parcels") if isinstance(found, dict) else None
        parcels = [p for p in listed or [] if isinstance(p, dict) and p.get("external_reference") == key]
        return parcels[0] if parcels else None

    def _create(self, request: ParcelRequest, body) -> dict:
        try:
            answer = self.api.json(self.api.call("POST", "/api/v2/parcels", json={"parcel": body(request)}))
        except CarrierRefused as exc:
            # two tries racing: the other one's parcel holds the reference (Sendcloud keeps it unique)
            if "external_reference" not in exc.message or (parcel := self._existing(request.idempotency_key)) is None:
                raise
            return parcel
        parcel = answer.get("parcel") if isinstance(answer, dict) else None
        if not isinstance(parcel, dict):
            raise CarrierUnavailable("Sendcloud's answer has no parcel.")
        return parcel

    def _parcel(self, request: ParcelRequest) -> dict:
        methods = self.options.get("shipping_methods") or {}
        method = methods.get(request.service_code) or methods.get("default")
        if not method:
            service = request.service_code
            raise CarrierRefused(f"No Sendcloud shipping method for service {service!r} in the carrier's settings.")
        to = request.recipient
        parcel = {
            **_address(to),
            "email": to.get("email", ""),
            "order_number": request.order,
            "external_reference": request.idempotency_key,
            "weight": f"{request.weight_grams / 1000:.3f}",
            "quantity": request.parcel_count,
            "request_label": True,
            "shipment": {"id": int(method)},
        }
        if self.options.get("sender_address"):
            parcel["sender_address"] = int(self.options["sender_address"])
        if request.pickup_point:
            point = str(request.pickup_point.get("id", "")).strip()
            point_id = plain_int(point)
            if point_id is None:
                raise CarrierRefused(f"Pick-up point {point!r} is not a Sendcloud service point id.")
            parcel["to_service_point"] = point_id
        return parcel

    def _return_parcel(self, request: ParcelRequest) -> dict:
        methods = self.options.get("shipping_methods") or {}
        method = (
            self.options.get("return_method")
            or methods.get("return")
            or methods.get(request.service_code)
            or methods.get("default")
        )
        if not method or plain_int(str(method)) is None:
            raise CarrierRefused("No Sendcloud shipping method for returns in the carrier's settings.")
        home, to = request.sender, request.recipient
        return {
            "is_return": True,
            **_address(to),
            "from_name": home.get("name", ""),
            "from_address_1": home.get("street", ""),
            "from_house_number": str(home.get("house_number", "")),
            "from_city": home.get("city", ""),
            "from_postal_code": home.get("postal_code", ""),
            "from_country": home.get("country", "NL"),
            "from_email": home.get("email", ""),
            "order_number": request.order,
            "external_reference": request.idempotency_key,
            "weight": f"{max(request.weight_grams, 1) / 1000:.3f}",
            "request_label": True,
            "shipment": {"id": int(method)},
        }

    def cancel_shipment(self, *, tracking_number: str) -> None:
        booking = carrier_bookings.booking_for_tracking(carrier_id=self.carrier_id, tracking_number=tracking_number)
        parcel_id = booking.reference if booking else None
        if parcel_id is None:
            found = self.api.json(self.api.call("GET", "/api/v2/parcels", ok=(200,),
                                                params={"tracking_number": tracking_number}))  # fmt: skip
            listed = found.get("parcels") if isinstance(found, dict) else None
            parcel_id = next((p["id"] for p in listed or [] if isinstance(p, dict) and "id" in p), None)
        if parcel_id is None:
            raise CarrierRefused(f"Sendcloud knows no parcel {tracking_number}.")
        self.api.call("POST", f"/api/v2/parcels/{parcel_id}/cancel", ok=(200, 202))

    # --- tracking and service points -----------------------------------------------------------

    def parse_webhook(self, *, headers, body: bytes) -> list[TrackingUpdate]:
        given = str(headers.get("Sendcloud-Signature", "")).strip().lower()
        expected = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not self.secret or not given or not hmac.compare_digest(given, expected):
            raise WebhookRefused("The Sendcloud-Signature does not match the body.")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ValueError("The body is not JSON.") from exc
        if not isinstance(data, dict) or data.get("action") != "parcel_status_changed":
            return []  # Sendcloud sends other actions (integration changes) to the same address
        parcel = data.get("parcel") if isinstance(data.get("parcel"), dict) else {}
        status = parcel.get("status") if isinstance(parcel.get("status"), dict) else {}
        ours = STATUSES.get(status.get("id")) if isinstance(status.get("id"), int) else None
        tracking, stamp = str(parcel.get("tracking_number") or ""), data.get("timestamp")
        if ours is None or not tracking or not isinstance(stamp, int | float):
            return []
        return [TrackingUpdate(
            event_id=f"sendcloud-{parcel.get('id')}-{status['id']}-{int(stamp)}"[:100], tracking_number=tracking,
            status=ours, occurred_at=datetime.fromtimestamp(stamp / 1000, tz=UTC),
            description=str(status.get("message", ""))[:300],
        )]  # fmt: skip

    def pickup_points(self, *, postcode: str, country: str, limit: int = 10) -> list[PickupPoint]:
        params = {"country": country, "postal_code": postcode}
        if self.options.get("service_point_carriers"):
            params["carrier"] = self.options["service_point_carriers"]
        found = self.points.json(self.points.call("GET", "/api/v2/service-points", ok=(200,), params=params))
        points = [_point(item, self.code) for item in (found if isinstance(found, list) else [])[:limit]
                  if isinstance(item, dict)]  # fmt: skip
        return sorted(points, key=lambda p: p.distance_m if p.distance_m is not None else 10**9)


def _label_url(parcel: dict) -> str:
    label = parcel.get("label") or {}
    url = label.get("label_printer") if isinstance(label, dict) else None
    if not url:
        url = next((d.get("link") for d in parcel.get("documents") or [] if d.get("type") == "label"), None)
    if not url:
        raise CarrierUnavailable("Sendcloud's parcel has no label yet.")
    return str(url)


def _point(item: dict, code: str) -> PickupPoint:
    hours = []
    for day, periods in sorted((item.get("formatted_opening_times") or {}).items()):
        weekday = plain_int(str(day))
        if weekday is not None:
            hours.extend((weekday, str(period).replace(" ", "")) for period in periods or [])
    distance = item.get("distance")
    return PickupPoint(
        id=str(item.get("id", "")), name=str(item.get("name", "")), street=str(item.get("street", "")),
        house_number=str(item.get("house_number", "")), postal_code=str(item.get("postal_code", "")),
        city=str(item.get("city", "")), country=str(item.get("country", "")),
        carrier=f"{code}:{item.get('carrier', '')}".rstrip(":"),
        distance_m=int(distance) if isinstance(distance, int | float) else None, opening_hours=tuple(hours),
    )  # fmt: skip


def _error_text(response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200].strip()
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message", ""))[:200]
    return json.dumps(data)[:200] if data else ""


def _address(to: dict) -> dict:
    """A parcel's addressee in Sendcloud's field names (the recipient, or a return's warehouse)."""
    return {
        "name": to.get("name", ""),
        "address": to.get("street", ""),
        "house_number": str(to.get("house_number", "")),
        "city": to.get("city", ""),
        "postal_code": to.get("postal_code", ""),
        "country": to.get("country", "NL"),
    }
