"""The carrier interface every adapter offers, its value types, and the HTTP client they share.

An adapter (one per carrier, built by ``shipping.carriers.adapter_for``):

- ``create_shipment(request)`` -> ``Label`` (tracking number, label PDF, the carrier's own
  reference); raises ``CarrierUnavailable`` (try again: time-out, 429, 5xx) or ``CarrierRefused``
  (a person must look: bad credentials, an address the carrier refuses). Called again with the
  same ``request.idempotency_key`` after an unknown outcome, it must not make a second parcel;
- ``cancel_shipment(tracking_number=...)``: the carrier voids the label;
- ``tracking(tracking_number=...)`` -> ``[TrackingUpdate]`` (polled), or
  ``parse_webhook(headers=..., body=...)`` -> ``[TrackingUpdate]`` (pushed; raises
  ``WebhookRefused`` on a bad signature, ``ValueError`` on a malformed body);
- ``pickup_points(postcode=..., country=...)`` -> ``[PickupPoint]``, nearest first;
- ``create_return_label(request)`` -> ``Label`` for a parcel the customer sends back: the same
  ``ParcelRequest`` with the roles turned round (``sender`` the customer, ``recipient`` the
  warehouse), its ``idempotency_key`` the return's, so a retried try gets the same label.
  ``supports_returns`` says whether the carrier offers it at all.

What an adapter cannot do raises ``NotSupported`` (a ``CarrierRefused``). Adapters do I/O and
never run inside a database transaction.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

import httpcore
import httpx
from django.conf import settings

from oms import outbound
from shipping import endpoints
from shipping.adapters import (
    MAX_ANSWER_BYTES,
    RETRYABLE_STATUSES,
    CarrierError,
    CarrierRefused,
    CarrierUnavailable,
    Label,
    ParcelRequest,
)

__all__ = [
    "CarrierAdapter",
    "CarrierError",
    "CarrierRefused",
    "CarrierUnavailable",
    "HttpApi",
    "Label",
    "NotSupported",
    "ParcelRequest",
    "PickupPoint",
    "TrackingUpdate",
    "WebhookRefused",
]


class NotSupported(CarrierRefused):
    """This carrier's API does not offer that."""


class WebhookRefused(Exception):
    def __init__(self, message: str, *, status: int = 403, code: str = "bad_signature") -> None:
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


@dataclass(frozen=True)
class TrackingUpdate:
    """A carrier's status report, with ``status`` one of ours (``TRACKING_RANK``)."""

    event_id: str
    tracking_number: str
    status: str
    occurred_at: datetime
    description: str = ""
    location: str = ""


@dataclass(frozen=True)
class PickupPoint:
    id: str
    name: str
    street: str
    house_number: str
    postal_code: str
    city: str
    country: str
    carrier: str = ""
    distance_m: int | None = None
    # (weekday 0 = Monday, "09:00-18:00"), one entry per opening period
    opening_hours: tuple[tuple[int, str], ...] = field(default_factory=tuple)

    def as_json(self) -> dict:
        data = asdict(self)
        data["opening_hours"] = [{"day": day, "hours": hours} for day, hours in self.opening_hours]
        return data


class CarrierAdapter:
    """The interface; a method an adapter does not override is not supported by its carrier."""

    name = "generic"
    supports_pickup_points = False
    supports_returns = False

    def create_shipment(self, request: ParcelRequest) -> Label:
        raise NotSupported(f"{self.name} cannot make labels.")

    def cancel_shipment(self, *, tracking_number: str) -> None:
        raise NotSupported(f"{self.name} has no cancellation in its API.")

    def tracking(self, *, tracking_number: str) -> list[TrackingUpdate]:
        raise NotSupported(f"{self.name} has no tracking to ask for.")

    def parse_webhook(self, *, headers, body: bytes) -> list[TrackingUpdate]:
        raise NotSupported(f"{self.name} sends no webhooks of this kind.")

    def pickup_points(self, *, postcode: str, country: str, limit: int = 10) -> list[PickupPoint]:
        raise NotSupported(f"{self.name} has no pick-up points.")

    def create_return_label(self, request: ParcelRequest) -> Label:
        raise NotSupported(f"{self.name} makes no return labels.")


# --- HTTP ------------------------------------------------------------------------------------


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to public addresses (``shipping.endpoints``): the host is resolved here, every
    address checked, and the connection made to a checked one, so DNS cannot change in between."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if not getattr(settings, "OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS", False):
            host = _public_address(host, port)
        return super().connect_tcp(host, port, timeout, local_address, socket_options)


def _public_address(host: str, port: int) -> str:
    try:
        addresses = outbound.resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise endpoints.EndpointRefused(f"The host {host} cannot be resolved.") from exc
    reason = outbound.first_refusal(addresses)
    if reason:
        raise endpoints.EndpointRefused(f"The carrier's address is not allowed ({reason}).")
    return addresses[0]


def _client(timeout: float, auth=None, headers=None) -> httpx.Client:
    transport = httpx.HTTPTransport()
    # httpx takes no network backend; its pool is httpcore's public ConnectionPool, given ours
    # (tests/shipping/test_carrier_tracking_and_points.py holds this to a refused loopback connection).
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), network_backend=_GuardedBackend())
    return httpx.Client(transport=transport, timeout=timeout, auth=auth, headers=headers or {}, follow_redirects=False)


class HttpApi:
    """One carrier API: base URL, credentials, time-out; answers mapped to the carrier errors.

    ``call`` returns the response for a status in ``ok``; otherwise it raises
    ``CarrierUnavailable`` for time-outs, connection errors, 408/425/429 (with ``retry_after``)
    and 5xx, ``CarrierRefused`` for 401/403 (credentials) and other 4xx, its message the
    carrier's own error text (``error_text``)."""

    def __init__(self, base_url: str, *, carrier: str, auth=None, headers=None, error_text=None) -> None:
        self.base_url = base_url.rstrip("/")
        self.carrier = carrier
        self.timeout = settings.OMS_CARRIER_TIMEOUT_SECONDS
        self.auth, self.headers = auth, {"User-Agent": "OMS carrier adapter", **(headers or {})}
        self.error_text = error_text or _error_text

    def url(self, path: str) -> str:
        return path if path.startswith(("https://", "http://")) else self.base_url + path

    def call(self, method: str, path: str, *, ok=(200, 201), **kwargs) -> httpx.Response:
        url = self.url(path)
        try:
            endpoints.check_url(url)
            with _client(self.timeout, self.auth, self.headers) as client:
                response = client.request(method, url, **kwargs)
        except endpoints.EndpointRefused as exc:
            raise CarrierRefused(str(exc)) from exc
        except httpx.TimeoutException as exc:
            raise CarrierUnavailable(f"{self.carrier} did not answer within {self.timeout:g} s.") from exc
        except httpx.TransportError as exc:
            raise CarrierUnavailable(f"Could not reach {self.carrier}: {exc}") from exc
        if len(response.content) > MAX_ANSWER_BYTES:
            raise CarrierUnavailable(f"{self.carrier}'s answer is too large.", http_status=response.status_code)
        if response.status_code in ok:
            return response
        raise self._error(response)

    def _error(self, response: httpx.Response):
        status = response.status_code
        detail = self.error_text(response)
        message = f"{self.carrier} answered HTTP {status}" + (f": {detail}" if detail else ".")
        if status in (401, 403):
            return CarrierRefused(f"{message} Check the carrier's API credentials.", http_status=status)
        if status >= 500 or status in RETRYABLE_STATUSES:
            return CarrierUnavailable(message, http_status=status, retry_after=_retry_after(response))
        return CarrierRefused(message, http_status=status)

    def json(self, response: httpx.Response) -> dict:
        try:
            data = response.json()
        except ValueError as exc:
            raise CarrierUnavailable(f"{self.carrier}'s answer (HTTP {response.status_code}) is not JSON.") from exc
        if not isinstance(data, dict | list):
            raise CarrierUnavailable(f"{self.carrier}'s answer (HTTP {response.status_code}) is not an object.")
        return data


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(float(response.headers.get("Retry-After", "")), 0.0)
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200].strip()
    return json.dumps(data)[:200] if data else ""


def pdf_or_retry(pdf: bytes, carrier: str) -> bytes:
    if not pdf.startswith(b"%PDF"):
        raise CarrierUnavailable(f"{carrier}'s label is not a PDF.")
    return pdf
