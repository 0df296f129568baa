"""Payment-provider webhooks (``/webhooks/payments/<provider>/``, no login: the provider calls
it). The call is a hint only; ``billing.services.psp`` fetches the payment from the provider
and records it idempotently. Answers 200 whatever the id (an unknown or forged one changes
nothing and tells the caller nothing), 503 when the provider cannot be asked (it calls again),
404 for a provider we do not have."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.services import psp
from oms import input_guard
from oms.errors import NotFound

MAX_BODY = 4096


def _payment_id(request: HttpRequest) -> str:
    """Mollie posts ``id=tr_...`` form-encoded; a JSON ``{"id": ...}`` is accepted too."""
    if request.content_type == "application/json":
        try:
            body = input_guard.loads(request.body[:MAX_BODY] or b"{}")
        except ValueError:
            return ""
        return str(body.get("id", "")) if isinstance(body, dict) else ""
    return request.POST.get("id", "")


@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    try:
        psp.payment_webhook_process(provider=provider, payment_id=_payment_id(request))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except psp.ProviderUnavailable:
        return HttpResponse("provider unavailable, call again", status=503, headers={"Retry-After": "60"})
    return HttpResponse("ok", content_type="text/plain")
