"""Payment-provider webhooks (``/webhooks/payments/<provider>/``, no login: the provider calls
it). The call is a hint only: it is answered at once (202) and a worker fetches the payment from
the provider and records it idempotently (``billing.services.psp``). Answers 202 whatever the id
(an unknown or forged one changes nothing and tells the caller nothing), 404 for a provider we
do not have, and 429 problem+json to an address that calls more than
``OMS_PAYMENT_WEBHOOK_RATE_LIMIT`` times a minute."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.services import psp
from oms import ratelimit
from oms.errors import NotFound

MAX_BODY = 4096
RATE_WINDOW = 60


def _payment_id(request: HttpRequest) -> str:
    """Mollie posts ``id=tr_...`` form-encoded; a JSON ``{"id": ...}`` is accepted too."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body[:MAX_BODY] or b"{}")
        except ValueError:
            return ""
        return str(body.get("id", "")) if isinstance(body, dict) else ""
    return request.POST.get("id", "")


@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    address = request.META.get("REMOTE_ADDR", "")
    retry_after = ratelimit.hit(
        "payment-webhook", address, limit=settings.OMS_PAYMENT_WEBHOOK_RATE_LIMIT, window=RATE_WINDOW
    )
    if retry_after is not None:
        return _too_many(retry_after)
    try:
        psp.payment_webhook_hint(provider=provider, payment_id=_payment_id(request))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return HttpResponse("accepted", status=202, content_type="text/plain")


def _too_many(retry_after: int) -> JsonResponse:
    body = {
        "type": "about:blank",
        "title": "Too many requests",
        "status": 429,
        "errors": [{"field": None, "code": "rate_limited", "message": "Too many webhook calls from this address."}],
    }
    response = JsonResponse(body, status=429, content_type="application/problem+json")
    response["Retry-After"] = str(retry_after)
    return response
