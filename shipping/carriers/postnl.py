"""PostNL through its documented REST API (httpx), header ``apikey: <API key>``.

Not through ``postnl-ecommerce-sdk`` (1.1.2 covers barcode, labelling, confirming, status and
locations): its base URL is one of two built-in environments, so neither the settings' URL nor a
test server can be used; it retries on its own (three times, with back-off) under the hand-off's
own bounded retries; its HTTP client bypasses our endpoint guard; and it brings four generated
dependencies. The four calls below are small.

- Hand-off: the Barcode service (``GET /shipment/v1_1/barcode``) gives a barcode, stored at once
  for the shipment's hand-off key (``CarrierBooking``); every later try labels that same barcode,
  so a lost answer never makes a second parcel. Then ``POST /shipment/v2_2/label?confirm=true``
  labels and confirms it: the barcode is the tracking number, the label a base64 PDF.
- Tracking is polled: ``GET /shipment/v2/status/barcode/{barcode}``; PostNL's phase decides our
  status (collection: handed off; sorting, distribution: in transit; delivered: delivered).
- Pick-up points: ``GET /shipment/v2_1/locations/nearest?CountryCode=NL&PostalCode=...``.
- PostNL's API has no cancellation: ``cancel_shipment`` raises ``NotSupported``.
- Return labels are PostNL's Smart Returns through the same Labelling call: product code 2285
  with product option characteristic 152 / option 025, the warehouse as the receiver (address
  type 01), the customer as the sender (02) and the customer's e-mail as the contact (PostNL
  confirms the hand-in to it); a barcode of its own, kept per return like a hand-off's.

Carrier options: ``customer_code``, ``customer_number``, ``collection_location`` (required), and
``product_code`` (default 3085, a standard parcel), ``pickup_product_code`` (default 3533),
``product_codes`` ({service code: PostNL product code}, for a service with its own product).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from datetime import datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from shipping.carriers.base import (
    CarrierAdapter,
    CarrierRefused,
    CarrierUnavailable,
    HttpApi,
    Label,
    NotSupported,
    ParcelRequest,
    PickupPoint,
    TrackingUpdate,
    pdf_or_retry,
)
from shipping.services import carrier_bookings

REQUIRED_OPTIONS = ("customer_code", "customer_number", "collection_location")
PHASES = {"1": "handed_off", "2": "in_transit", "3": "in_transit", "4": "delivered"}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def check_options(options: dict) -> list[str]:
    """The missing options, by name."""
    return [name for name in REQUIRED_OPTIONS if not str(options.get(name, "")).strip()]


class PostNL(CarrierAdapter):
    name = "PostNL"
    supports_pickup_points = True
    supports_returns = True

    def __init__(self, carrier) -> None:
        self.carrier_id, self.code = carrier.pk, carrier.code
        self.options = carrier.options or {}
        base = carrier.api_endpoint or settings.OMS_POSTNL_API_URL
        self.api = HttpApi(base, carrier="PostNL", headers={"apikey": carrier.api_key}, error_text=_error_text)

    # --- labels --------------------------------------------------------------------------------

    def create_shipment(self, request: ParcelRequest) -> Label:
        return self._label(request, self._label_body)

    def create_return_label(self, request: ParcelRequest) -> Label:
        return self._label(request, self._return_body)

    def _label(self, request: ParcelRequest, body) -> Label:
        missing = check_options(self.options)
        if missing:
            raise CarrierRefused(f"The PostNL carrier lacks {', '.join(missing)} in its settings.")
        barcode = self._barcode_for(request.idempotency_key)
        answer = self.api.json(self.api.call("POST", "/shipment/v2_2/label", params={"confirm": "true"},
                                             json=body(request, barcode)))  # fmt: skip
        try:
            shipment = answer["ResponseShipments"][0]
            content = next(label["Content"] for label in shipment["Labels"] if label.get("Content"))
            pdf = base64.b64decode(content, validate=True)
        except (KeyError, IndexError, TypeError, StopIteration, binascii.Error) as exc:
            raise CarrierUnavailable("PostNL's answer has no label.") from exc
        carrier_bookings.booking_set_tracking(handoff_key=request.idempotency_key, tracking_number=barcode)
        return Label(str(shipment.get("Barcode") or barcode), pdf_or_retry(pdf, "PostNL"), carrier_reference=barcode)

    def _barcode_for(self, key: str) -> str:
        booking = carrier_bookings.booking_get(handoff_key=key)
        if booking is not None:
            return booking.reference
        params = {
            "CustomerCode": self.options["customer_code"],
            "CustomerNumber": self.options["customer_number"],
            "Type": "3S",
            "Serie": "000000000-999999999",
        }
        answer = self.api.json(self.api.call("GET", "/shipment/v1_1/barcode", ok=(200,), params=params))
        barcode = str(answer.get("Barcode") or "").strip() if isinstance(answer, dict) else ""
        if not barcode or len(barcode) > 60:
            raise CarrierUnavailable("PostNL's barcode service answered without a barcode.")
        # a racing try may have stored its barcode first: the stored one is used, this one is left unused
        return carrier_bookings.booking_store(carrier_id=self.carrier_id, handoff_key=key, reference=barcode).reference

    def _label_body(self, request: ParcelRequest, barcode: str) -> dict:
        sender, to = request.sender, request.recipient
        addresses = [_address("01", to)]
        # a product code per service (``product_codes``), else the standard or pick-up product
        by_service = self.options.get("product_codes") or {}
        product = by_service.get(request.service_code) or self.options.get("product_code") or "3085"
        if request.pickup_point:
            addresses.append(_address("09", request.pickup_point))
            product = by_service.get(request.service_code) or self.options.get("pickup_product_code") or "3533"
        shipment = {
            "Addresses": addresses,
            "Barcode": barcode,
            "Contacts": [{"ContactType": "01", "Email": to.get("email", "")}],
            "Dimension": {"Weight": request.weight_grams},
            "ProductCodeDelivery": product,
            "Reference": request.reference,
            "Remark": request.order,
        }
        if request.pickup_point:
            shipment["DeliveryAddress"] = "09"
            shipment["ProductOptions"] = [{"Characteristic": "118", "Option": "006"}]
        return {
            "Customer": {
                "Address": {**_address("02", sender), "CompanyName": sender.get("name", "")},
                "CollectionLocation": self.options["collection_location"],
                "CustomerCode": self.options["customer_code"],
                "CustomerNumber": self.options["customer_number"],
            },
            "Message": {
                "MessageID": uuid4().hex[:12],
                "MessageTimeStamp": _stamp(timezone.now()),
                "Printertype": "GraphicFile|PDF",
            },  # fmt: skip
            "Shipments": [shipment],
        }

    def _return_body(self, request: ParcelRequest, barcode: str) -> dict:
        """Smart Returns: the customer (sender, 02) sends to the warehouse (receiver, 01)."""
        home, to = request.sender, request.recipient
        body = self._label_body(replace(request, sender=to, recipient=home, pickup_point=None), barcode)
        shipment = body["Shipments"][0]
        shipment["Addresses"] = [_address("01", to), _address("02", home)]
        shipment["Contacts"] = [{"ContactType": "01", "Email": home.get("email", "")}]
        shipment["ProductCodeDelivery"] = self.options.get("return_product_code") or "2285"
        shipment["ProductOptions"] = [{"Characteristic": "152", "Option": "025"}]
        return body

    def cancel_shipment(self, *, tracking_number: str) -> None:
        raise NotSupported("PostNL's API has no cancellation; ask PostNL's customer service to void the label.")

    # --- tracking and locations ----------------------------------------------------------------

    def tracking(self, *, tracking_number: str) -> list[TrackingUpdate]:
        answer = self.api.json(self.api.call("GET", f"/shipment/v2/status/barcode/{tracking_number}", ok=(200,)))
        shipments = (answer.get("CurrentStatus") or {}).get("Shipment") if isinstance(answer, dict) else None
        updates = []
        for shipment in shipments if isinstance(shipments, list) else [shipments or {}]:
            status = shipment.get("Status") or {}
            ours = PHASES.get(str(status.get("PhaseCode", "")))
            when = _parse_stamp(status.get("TimeStamp"))
            if ours and when:
                code = status.get("StatusCode", "")
                updates.append(TrackingUpdate(
                    event_id=f"postnl-{tracking_number}-{code}-{status.get('TimeStamp')}"[:100],
                    tracking_number=tracking_number, status=ours, occurred_at=when,
                    description=str(status.get("StatusDescription", ""))[:300],
                ))  # fmt: skip
        return updates

    def pickup_points(self, *, postcode: str, country: str, limit: int = 10) -> list[PickupPoint]:
        params = {"CountryCode": country, "PostalCode": postcode.replace(" ", ""), "DeliveryOptions": "PG"}
        answer = self.api.json(self.api.call("GET", "/shipment/v2_1/locations/nearest", ok=(200,), params=params))
        result = answer.get("GetLocationsResult") if isinstance(answer, dict) else None
        found = (result or {}).get("ResponseLocation") or []
        return [_location(item, self.code) for item in found[:limit] if isinstance(item, dict)]


def _address(kind: str, where: dict) -> dict:
    return {
        "AddressType": kind,
        "Name": where.get("name", ""),
        "Street": where.get("street", ""),
        "HouseNr": str(where.get("house_number", "")),
        "HouseNrExt": where.get("house_number_addition", "") or where.get("addition", ""),
        "Zipcode": str(where.get("postal_code", "")).replace(" ", ""),
        "City": where.get("city", ""),
        "Countrycode": where.get("country", "NL"),
    }


def _stamp(moment: datetime) -> str:
    return timezone.localtime(moment, AMSTERDAM).strftime("%d-%m-%Y %H:%M:%S")


def _parse_stamp(text) -> datetime | None:
    try:
        return datetime.strptime(str(text), "%d-%m-%Y %H:%M:%S").replace(tzinfo=AMSTERDAM)
    except ValueError:
        return None


def _location(item: dict, code: str) -> PickupPoint:
    address = item.get("Address") or {}
    hours = []
    for day, name in enumerate(DAYS):
        value = (item.get("OpeningHours") or {}).get(name)
        periods = value.get("string") if isinstance(value, dict) else value
        for period in [periods] if isinstance(periods, str) else periods or []:
            hours.append((day, str(period)))
    try:
        distance = int(item.get("Distance"))
    except (TypeError, ValueError):
        distance = None
    return PickupPoint(
        id=str(item.get("LocationCode", "")), name=str(item.get("Name", "")), street=str(address.get("Street", "")),
        house_number=str(address.get("HouseNr", "")), postal_code=str(address.get("Zipcode", "")),
        city=str(address.get("City", "")), country=str(address.get("Countrycode", "")), carrier=code,
        distance_m=distance, opening_hours=tuple(hours),
    )  # fmt: skip


def _error_text(response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200].strip()
    if isinstance(data, dict) and isinstance(data.get("fault"), dict):
        return str(data["fault"].get("faultstring", ""))[:200]
    errors = data.get("Errors") if isinstance(data, dict) else data
    if isinstance(errors, list):
        texts = [str(e.get("Description") or e.get("ErrorMsg") or "") for e in errors if isinstance(e, dict)]
        return "; ".join(t for t in texts if t)[:200]
    return ""
