"""API clients and their scopes (API.md 1.1 "API clients and scopes"), after Stripe's restricted
keys and Shopify's access scopes: each webshop or ERP gets its own token with only the scopes
it needs, optionally bound to one sales channel.

A client's token is ``oms_`` and 43 random URL-safe characters (256 bits). Only its SHA-256 is
stored (a slow password hash buys nothing for a random 256-bit secret, and the lookup must be
one indexed query on every request); ``prefix`` keeps its first 12 characters readable. A
client acts as a user of its own (no password, no role), so what every API write already does
with ``request.user`` (idempotency keys, audit, ``Order.entered_by``) names the client; that
user can never log into the screens (``oms.auth``).

Who may do what is decided per endpoint by ``oms.api.api_access``: a client token by its
scopes, a staff user's own DRF token (``drf_create_token``) or session by the user's roles.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from oms.errors import MultipleErrors, NotFound, ValidationFailed
from oms.models import ApiClient


class Scope(models.TextChoices):
    ORDERS_WRITE = "orders:write", _("Place orders (in its channel when bound); read and cancel its own")
    ORDERS_READ = "orders:read", _("Read orders: a bound client its own, an unbound one all")
    CUSTOMERS_READ = "customers:read", _("Read customers")
    CUSTOMERS_WRITE = "customers:write", _("Create customers (no credit limit or payment terms)")
    CREDIT_WRITE = "credit:write", _("Set customers' credit limit and payment terms")
    CATALOG_WRITE = "catalog:write", _("Create and change products and prices")
    STOCK_WRITE = "stock:write", _("Adjust stock")
    WAREHOUSES_WRITE = "warehouses:write", _("Create and change warehouses")
    PAYMENTS_WRITE = "payments:write", _("Record payments and refunds")
    INVOICES_READ = "invoices:read", _("Read invoices")
    EVENTS_READ = "events:read", _("Read the event feed")
    WEBHOOKS_WRITE = "webhooks:write", _("Manage webhook endpoints")
    PRICES_OVERRIDE = "prices:override", _("Order at a price of 0 or with a 100% discount")
    ALL = "all", _("Everything (a trusted system)")


# The sales channels a client may be bound to: orders.models.Channel's values (oms cannot import
# orders; tests/orders/test_api_scopes.py holds the two together).
CHANNELS = ("web", "phone", "store", "b2b")
TOKEN_PREFIX = "oms_"
PREFIX_LENGTH = 12
# ``last_used_at`` is written at most this often per client: a write on every request would
# double the statements of a cheap read.
LAST_USE_RESOLUTION = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def clean_scopes(scopes: Iterable[str], field: str = "scopes") -> list[str]:
    """The scopes, checked, without repeats, in ``Scope`` order; at least one."""
    given = [s.strip() if isinstance(s, str) else s for s in scopes]
    unknown = [s for s in given if s not in Scope.values]
    if unknown:
        raise ValidationFailed(
            f"Unknown scope {', '.join(map(str, unknown))}; choose from {', '.join(Scope.values)}.",
            code="invalid_choice",
            field=field,
        )
    if not given:
        raise ValidationFailed("Give at least one scope.", code="required", field=field)
    return [s for s in Scope.values if s in given]


def api_client_create(*, name: str, scopes: Iterable[str], channel: str = "", user=None) -> tuple[ApiClient, str]:
    """Create a client and its user; returns the client and its token, which is shown this
    once and never stored. ``user`` is who creates it (the audit's actor), None on the command
    line. Raises ``ValidationFailed`` (``name`` ``required``, ``channel``/``scopes``
    ``invalid_choice``). Locks nothing."""
    errors = []
    name = (name or "").strip()
    if not name or len(name) > 100 or "\x00" in name:
        errors.append(ValidationFailed("Give a name of 1 to 100 characters.", code="required", field="name"))
    channel = (channel or "").strip()
    if channel not in ("", *CHANNELS):
        errors.append(
            ValidationFailed(
                f"Channel is one of {', '.join(CHANNELS)}, or empty.", code="invalid_choice", field="channel"
            )
        )
    try:
        scopes = clean_scopes(scopes)
    except ValidationFailed as exc:
        errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    token = new_token()
    with transaction.atomic():
        account = get_user_model().objects.create_user(
            username=f"api-{slugify(name)[:40]}-{secrets.token_hex(3)}", first_name=name[:150], is_active=True
        )  # no password given: an unusable one
        client = ApiClient.objects.create(
            name=name,
            channel=channel,
            scopes=scopes,
            user=account,
            prefix=token[:PREFIX_LENGTH],
            token_hash=token_hash(token),
            created_by=user if user is not None and user.is_authenticated else None,
        )
    return client, token


def api_client_revoke(*, client_id: int, now: datetime | None = None) -> ApiClient:
    """Revoke a client: its token is refused from now on (401). Revoking twice changes nothing;
    the audit trail records the change with the acting user of the request. Raises
    ``NotFound``. One conditional UPDATE, no lock."""
    now = now or timezone.now()
    ApiClient.objects.filter(pk=client_id, revoked_at__isnull=True).update(revoked_at=now)
    try:
        return ApiClient.objects.get(pk=client_id)
    except ApiClient.DoesNotExist:
        raise NotFound(f"No API client {client_id}.") from None


def api_client_mark_used(client: ApiClient, now: datetime | None = None) -> None:
    """Record that the client called the API, at most once per ``LAST_USE_RESOLUTION`` (one
    conditional UPDATE then, no statement otherwise)."""
    now = now or timezone.now()
    last = client.last_used_at
    if last is not None and now - last < LAST_USE_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION)
    ApiClient.objects.filter(stale, pk=client.pk).update(last_used_at=now)
    client.last_used_at = now


def api_client_list() -> models.QuerySet[ApiClient]:
    """Every client, live ones first, by name (the manager's list)."""
    return ApiClient.objects.order_by(models.F("revoked_at").desc(nulls_first=True), "name", "id")
