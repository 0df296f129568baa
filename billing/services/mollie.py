"""Talking to Mollie through its official client (``mollie-api-python``), in one place.

Everything that leaves the machine for the payment provider goes through these four calls:
create a payment, get one, create a refund, get a refund. The API endpoint and key come from
``settings.OMS_PAYMENT_PROVIDERS[provider]`` (``url`` with or without the ``/v2`` the client adds
itself, ``api_key``, ``timeout``), so tests point the client at a fake Mollie on 127.0.0.1.

The client's errors become two of ours, which decide what the caller does:

* ``ProviderUnavailable``: the network, a timeout, a 5xx, a 401 or an answer that is not
  Mollie's: try again later (the callers keep their back-off in the database);
* ``ProviderRefused``: Mollie answered 4xx with a reason (``422`` the amount is too low for the
  method, the method is not enabled ...): trying again changes nothing; shown to people.

Never call these inside a transaction: they wait on the network.
"""

from __future__ import annotations

from django.conf import settings
from mollie.api.client import Client
from mollie.api.error import (
    IdentifierError,
    NotFoundError,
    RequestError,
    ResponseError,
    ResponseHandlingError,
    UnauthorizedError,
)
from mollie.api.objects.payment import Payment as MolliePayment

from oms.errors import NotFound

TIMEOUT_SECONDS = 5


class ProviderUnavailable(Exception):
    """The provider could not be asked (network, timeout, 5xx, nonsense): ask again later."""


class ProviderRefused(Exception):
    """The provider refused the request with a reason (4xx): asking again changes nothing."""

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


def provider_config(provider: str) -> dict:
    config = getattr(settings, "OMS_PAYMENT_PROVIDERS", {}).get(provider)
    if not config:
        raise NotFound(f"No payment provider '{provider}'.", field="provider")
    return config


def client(provider: str = "mollie") -> Client:
    config = provider_config(provider)
    endpoint = config["url"].rstrip("/").removesuffix("/v2")
    # retry=0: the client's own retries sleep in the worker; ours live in the database.
    mollie = Client(api_endpoint=endpoint, timeout=config.get("timeout", TIMEOUT_SECONDS), retry=0)
    try:
        mollie.set_api_key(config.get("api_key", ""))
    except RequestError as exc:
        raise ProviderUnavailable(f"{provider}: {exc}") from exc
    return mollie


def _call(provider: str, call):
    try:
        return call(client(provider))
    except (IdentifierError, NotFoundError):
        return None
    except UnauthorizedError as exc:
        raise ProviderUnavailable(f"{provider} refused our key: {exc}") from exc
    except ResponseError as exc:
        if exc.status and 400 <= int(exc.status) < 500:
            raise ProviderRefused(str(exc), status=int(exc.status), field=exc.field) from exc
        raise ProviderUnavailable(f"{provider} answered {exc.status}: {exc}") from exc
    except (RequestError, ResponseHandlingError, ValueError) as exc:
        raise ProviderUnavailable(f"{provider}: {exc}") from exc


def payment_create(data: dict, *, idempotency_key: str, provider: str = "mollie") -> dict:
    """POST /v2/payments; the answer as a dict (``id``, ``status``, ``expiresAt``, ``_links``).
    The idempotency key makes a repeated request (our retry after a timeout) return the payment
    the first one made instead of a second payment."""
    found = _call(provider, lambda mollie: mollie.payments.create(data, idempotency_key=idempotency_key))
    if found is None:
        raise ProviderUnavailable(f"{provider}: payments endpoint not found")
    return dict(found)


def payment_get(payment_id: str, *, provider: str = "mollie") -> dict | None:
    """GET /v2/payments/{id}; None when the provider does not know it."""
    found = _call(provider, lambda mollie: mollie.payments.get(payment_id))
    return None if found is None else dict(found)


def _payment(mollie: Client, payment_id: str) -> MolliePayment:
    return MolliePayment({"id": payment_id}, mollie)


def refund_create(payment_id: str, data: dict, *, idempotency_key: str, provider: str = "mollie") -> dict | None:
    """POST /v2/payments/{id}/refunds; None when the provider does not know the payment."""
    found = _call(
        provider, lambda mollie: _payment(mollie, payment_id).refunds.create(data, idempotency_key=idempotency_key)
    )
    return None if found is None else dict(found)


def refund_get(payment_id: str, refund_id: str, *, provider: str = "mollie") -> dict | None:
    """GET /v2/payments/{id}/refunds/{refund id}; None when the provider does not know it."""
    found = _call(provider, lambda mollie: _payment(mollie, payment_id).refunds.get(refund_id))
    return None if found is None else dict(found)


def checkout_url(payment: dict) -> str:
    try:
        return str(payment["_links"]["checkout"]["href"])
    except (KeyError, TypeError):
        return ""
