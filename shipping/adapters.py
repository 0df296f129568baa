"""Carrier adapters: how a packed shipment becomes a tracking number and a label.

``shipping.carriers.adapter_for(carrier)`` picks one for a carrier whose adapter is "generic"
(``shipping.carriers.generic`` gives these the common carrier interface):

- ``JsonHttpCarrier``, the generic JSON-over-HTTP adapter for an external carrier with an API
  endpoint. One try is one ``POST <api_endpoint>/shipments`` with headers
  ``Authorization: Bearer <api_key>`` and ``Idempotency-Key: <the shipment's hand-off key>``
  (the same key on every try, so a carrier that already made the label answers with the same
  one instead of a second), and the body::

      {"reference": "SH-000001", "order": "SO-000123", "service": "standard",
       "sender": {"name", "street", "house_number", "postal_code", "city", "country"},
       "recipient": {"name", "street", "house_number", "postal_code", "city", "country", "email"},
       "parcels": 1, "weight_grams": 1250, "lines": [{"sku": "MUG-RED", "quantity": 2}]}

  A 200 or 201 answer is ``{"tracking_number": "3SABC123", "label_pdf": "<base64 PDF>"}``.
  Time-outs, connection errors, 408, 425, 429 and 5xx answers, and a 2xx answer that is not
  such a body are worth another try (``CarrierUnavailable``); any other 4xx means the carrier
  refuses this shipment as it is (``CarrierRefused``: an address it does not know, a weight it
  does not take), and trying again will not help.
- ``OwnLabel`` for the own fleet and for an external carrier without an API (booked by phone):
  our tracking number (the shipment number) and a label we render.
- ``SandboxCarrier`` for an endpoint on a reserved test domain (``.example``, ``.test``,
  ``.invalid``; ``settings.OMS_CARRIER_SANDBOX_DOMAINS``): a made-up tracking number derived from
  the idempotency key and a label we render, marked as a sandbox label.

Adapters do I/O (HTTP, PDF rendering) and must never run inside a database transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlparse

from django.conf import settings

from shipping import endpoints

MAX_ANSWER_BYTES = 10 * 1024 * 1024
RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class ParcelRequest:
    reference: str
    order: str
    carrier_name: str
    service_code: str
    idempotency_key: str
    sender: dict
    recipient: dict
    parcel_count: int
    weight_grams: int
    lines: list[dict] = field(default_factory=list)
    # The customer's chosen pick-up point (``{"id", "carrier", "name", ...}``), or None: home delivery.
    pickup_point: dict | None = None

    @property
    def weight_kg(self) -> str:
        return f"{self.weight_grams / 1000:.2f}".replace(".", ",")

    def as_json(self) -> dict:
        body = {
            "reference": self.reference,
            "order": self.order,
            "service": self.service_code,
            "sender": self.sender,
            "recipient": self.recipient,
            "parcels": self.parcel_count,
            "weight_grams": self.weight_grams,
            "lines": self.lines,
        }
        if self.pickup_point:
            body["pickup_point"] = self.pickup_point
        return body


@dataclass(frozen=True)
class Label:
    tracking_number: str
    pdf: bytes
    carrier_reference: str = ""  # the carrier's own id for the parcel (Sendcloud's parcel id)


class CarrierError(Exception):
    retryable = True

    def __init__(self, message: str, *, http_status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after  # the carrier's Retry-After (429), in seconds


class CarrierUnavailable(CarrierError):
    """The carrier did not answer usefully this time; another try may work."""

    retryable = True


class CarrierRefused(CarrierError):
    """The carrier refuses the shipment as it is; a person must look at it."""

    retryable = False


class JsonHttpCarrier:
    def __init__(self, endpoint: str, api_key: str, timeout: float) -> None:
        self.url = endpoint.rstrip("/") + "/shipments"
        self.returns_url = endpoint.rstrip("/") + "/returns"
        self.api_key = api_key
        self.timeout = timeout

    def create_label(self, request: ParcelRequest, *, url: str | None = None) -> Label:
        status, body = self._post(request, url or self.url)
        if status in (200, 201):
            return _parse_label(body, status)
        detail = _error_detail(body)
        message = f"The carrier answered HTTP {status}" + (f": {detail}" if detail else ".")
        if status >= 500 or status in RETRYABLE_STATUSES:
            raise CarrierUnavailable(message, http_status=status)
        raise CarrierRefused(message, http_status=status)

    def _post(self, request: ParcelRequest, url: str) -> tuple[int, bytes]:
        data = json.dumps(request.as_json()).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": request.idempotency_key,
            "User-Agent": "OMS carrier hand-off",
        }
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        http_request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            endpoints.check_url(url)
            with endpoints.opener().open(http_request, timeout=self.timeout) as answer:
                return answer.status, answer.read(MAX_ANSWER_BYTES)
        except endpoints.EndpointRefused as exc:
            raise CarrierRefused(str(exc)) from exc
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(4000)
        except TimeoutError as exc:
            raise CarrierUnavailable(f"The carrier did not answer within {self.timeout:g} s.") from exc
        except (urllib.error.URLError, ConnectionError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CarrierUnavailable(f"Could not reach the carrier: {reason}") from exc


def _parse_label(body: bytes, status: int) -> Label:
    try:
        answer = json.loads(body)
        tracking = str(answer["tracking_number"]).strip()
        pdf = base64.b64decode(answer["label_pdf"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise CarrierUnavailable(f"The carrier's answer (HTTP {status}) has no tracking number and label.") from exc
    if not tracking or len(tracking) > 60 or not pdf.startswith(b"%PDF"):
        raise CarrierUnavailable(f"The carrier's answer (HTTP {status}) has no usable tracking number and label.")
    return Label(tracking, pdf)


def _error_detail(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return body[:200].decode(errors="replace").strip()
    if isinstance(answer, dict):
        return str(answer.get("detail") or answer.get("message") or answer.get("error") or "")[:200]
    return ""


class OwnLabel:
    """No carrier to ask: the shipment number is the tracking number, the label is ours."""

    sandbox = False

    def create_label(self, request: ParcelRequest) -> Label:
        from shipping import documents

        return Label(request.reference, documents.label_pdf(request, sandbox=self.sandbox))


class SandboxCarrier(OwnLabel):
    sandbox = True

    def create_label(self, request: ParcelRequest) -> Label:
        from shipping import documents

        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()
        tracking = f"3S{int(digest[:12], 16) % 10**11:011d}"
        return Label(tracking, documents.label_pdf(request, sandbox=True, tracking_number=tracking))


def is_sandbox(endpoint: str) -> bool:
    host = (urlparse(endpoint).hostname or "").lower()
    return any(host.endswith(domain) for domain in settings.OMS_CARRIER_SANDBOX_DOMAINS)
