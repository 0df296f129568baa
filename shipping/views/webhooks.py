"""Carriers' tracking webhooks: ``POST /webhooks/carriers/<code>/`` (no login; ``/webhooks/`` is
open to machines), authenticated by the carrier's webhook secret.

The carrier signs the raw body: header ``X-Carrier-Signature: sha256=<hex HMAC-SHA256 of the
body with the secret>``. The body is one event or ``{"events": [...]}``; an event is
``{"event_id": "...", "tracking_number": "...", "status": "in_transit", "occurred_at":
"2026-11-27T09:14:00+01:00", "description": "...", "location": "..."}``, with ``status`` one of
``handed_off``, ``in_transit``, ``failed``, ``delivered``, ``returned`` (or the aliases in
``ALIASES``). Answers: 200 with each event's result (``applied``: the shipment moved;
``recorded``: kept but older than what we know; ``duplicate``: seen before, nothing changed);
401 bad signature; 403 webhooks not enabled for the carrier; 404 unknown carrier, or an unknown
tracking number (the carrier retries later: its report may have overtaken our hand-off); 400 a
malformed body. Every event is its own transaction, and a repeat changes nothing, so a carrier
may safely send a batch again.

A carrier with another adapter (Sendcloud) posts its own format to the same address; its adapter
checks the signature and reads the body (``shipping.carriers``), see ``_adapter_webhook``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from oms import input_guard
from oms.errors import NotFound, OmsError
from shipping.carriers import adapter_for
from shipping.carriers.base import NotSupported, WebhookRefused
from shipping.models import Carrier, CarrierAdapterKind
from shipping.services import tracking

logger = logging.getLogger(__name__)

MAX_EVENTS = 500
ALIASES = {
    "accepted": "handed_off",
    "picked_up": "handed_off",
    "out_for_delivery": "in_transit",
    "delivery_failed": "failed",
    "failed_attempt": "failed",
    "returned_to_sender": "returned",
}


def _problem(status: int, code: str, message: str) -> JsonResponse:
    body = {"type": "about:blank", "title": message, "status": status, "errors": [{"code": code, "message": message}]}
    return JsonResponse(body, status=status, content_type="application/problem+json")


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def carrier_webhook(request, code: str):
    carrier = Carrier.objects.filter(code=code.lower()).first()
    if carrier is None:
        return _problem(404, "unknown_carrier", f"No carrier {code!r}.")
    if carrier.adapter != CarrierAdapterKind.GENERIC and request.method == "POST":
        return _adapter_webhook(request, carrier)
    if request.method == "GET":  # carriers check the address before they start sending
        return JsonResponse({"carrier": carrier.code, "accepts": "POST", "enabled": bool(carrier.webhook_secret)})
    if not carrier.webhook_secret:
        return _problem(403, "webhook_disabled", "Tracking webhooks are not enabled for this carrier.")
    if not _signed(request, carrier.webhook_secret):
        address = request.META.get("REMOTE_ADDR")
        logger.warning("shipping: webhook for %s with a bad signature from %s", carrier.code, address)
        return _problem(401, "bad_signature", "The signature does not match the body.")
    try:
        items = _events(request.body)
    except ValueError as exc:
        return _problem(400, "malformed_request", str(exc))
    return _record_all(carrier, items)


def _signed(request, secret: str) -> bool:
    given = request.headers.get("X-Carrier-Signature", "").strip().removeprefix("sha256=")
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return bool(given) and hmac.compare_digest(given.lower(), expected)


def _events(body: bytes) -> list[dict]:
    try:
        data = input_guard.loads(body)
    except ValueError as exc:
        raise ValueError("The body is not JSON.") from exc
    items = data.get("events") if isinstance(data, dict) and "events" in data else [data]
    if not isinstance(items, list) or not items or len(items) > MAX_EVENTS:
        raise ValueError(f"Send one event or a list of 1 to {MAX_EVENTS} events.")
    if not all(isinstance(item, dict) for item in items):
        raise ValueError("Each event is an object.")
    return items


def _record_all(carrier: Carrier, items: list[dict]) -> JsonResponse:
    results, worst = [], 200
    for item in items:
        result, status = _record(carrier, item)
        results.append({"event_id": str(item.get("event_id", ""))[:100], **result})
        worst = max(worst, status)
    return JsonResponse({"results": results}, status=worst)


def _record(carrier: Carrier, item: dict) -> tuple[dict, int]:
    occurred = parse_datetime(str(item.get("occurred_at", ""))) if item.get("occurred_at") else None
    status = str(item.get("status", "")).strip().lower()
    try:
        outcome = tracking.tracking_event_record(
            carrier_id=carrier.pk,
            event_id=str(item.get("event_id", "")),
            tracking_number=str(item.get("tracking_number", "")),
            status=ALIASES.get(status, status),
            occurred_at=occurred,
            description=str(item.get("description", ""))[:300],
            location=str(item.get("location", ""))[:100],
        )
    except NotFound as exc:
        return {"result": "unknown_shipment", "message": exc.message}, 404
    except OmsError as exc:
        return {"result": "invalid", "code": exc.code, "message": exc.message}, 400
    if outcome.duplicate:
        return {"result": "duplicate", "shipment": outcome.shipment.number}, 200
    return {"result": "applied" if outcome.applied else "recorded", "shipment": outcome.shipment.number,
            "status": outcome.shipment.status}, 200  # fmt: skip


def _adapter_webhook(request, carrier: Carrier) -> JsonResponse:
    """A carrier's own webhook format: 403 on a bad signature (nothing recorded), 400 on a
    malformed body, else 200 with each report's result. A report about a parcel we do not know
    (made in the carrier's panel, not by OMS) is answered 200 ``unknown_shipment``: the carrier
    would otherwise retry it for days. Each report is recorded once (its event id)."""
    try:
        updates = adapter_for(carrier).parse_webhook(headers=request.headers, body=request.body)
    except NotSupported:
        return _problem(404, "webhook_not_supported", "This carrier sends no webhooks here.")
    except WebhookRefused as exc:
        logger.warning("shipping: webhook for %s refused from %s: %s", carrier.code,
                       request.META.get("REMOTE_ADDR"), exc.message)  # fmt: skip
        return _problem(exc.status, exc.code, exc.message)
    except ValueError as exc:
        return _problem(400, "malformed_request", str(exc))
    results = []
    for update in updates:
        result, _status = _record(carrier, {**update.__dict__, "occurred_at": update.occurred_at.isoformat()})
        results.append({"event_id": update.event_id, **result})
    return JsonResponse({"results": results, "ignored": not updates})
