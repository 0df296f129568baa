"""The customer's status link: ``<OMS_SITE_URL>/s/<token>/``, one per order, no login.

The token is the order id and its ``status_link_version``, signed with the project's
``SECRET_KEY`` (``django.core.signing``, a salt of its own): it cannot be guessed or altered, and
it needs no column of its own, so placing an order writes nothing extra. Staff revoke the link by
raising the version (``orders.services.order_status_link_revoke``): every token signed with an
older version stops working, and the customer's next e-mail carries the new one.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from oms import ratelimit
from oms.errors import NotFound
from oms.links import reverse_one

SALT = "orders.status-link"
URL_NAME = "status:page"


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, sep=".")


def status_token(order_id: int, version: int) -> str:
    return _signer().sign(f"{order_id}-{version}")


def token_parts(token: str) -> tuple[int, int] | None:
    """``(order_id, version)`` of a genuine token; None for anything else (tampered, malformed)."""
    try:
        value = _signer().unsign(token or "")
        order_id, version = (int(part) for part in value.split("-"))
    except (signing.BadSignature, ValueError):
        return None
    return order_id, version


def order_token(order) -> str:
    return status_token(order.pk, order.status_link_version)


def status_path(order) -> str:
    return reverse_one(URL_NAME, "token", order_token(order))


def status_url(order) -> str:
    """The absolute link (``settings.OMS_SITE_URL``) for e-mails and the API."""
    return settings.OMS_SITE_URL.rstrip("/") + status_path(order)


# --- the public pages (shipping's order page, billing's documents) -----------------------------

RATE_WINDOW = 60
NOT_FOUND_TEMPLATE = "orders/status/not_found.html"


def public_page(view):
    """Wrap a view of the customer's order page ``view(request, order, **kwargs)``: no login; at
    most ``OMS_STATUS_PAGE_RATE_LIMIT`` requests a minute per address (429 after); the order
    of the token or one and the same 404 page for anything else; the customer's language; never
    cached or indexed, and no ``Referer`` carrying the token to the carrier's tracking site."""
    from orders import selectors  # selectors read tokens with this module's helpers

    @login_not_required
    @wraps(view)
    def wrapped(request, token: str, **kwargs):
        retry_after = ratelimit.hit(
            "status-page",
            request.META.get("REMOTE_ADDR", ""),
            limit=settings.OMS_STATUS_PAGE_RATE_LIMIT,
            window=RATE_WINDOW,
        )
        if retry_after is not None:
            response = HttpResponse(
                _("Too many requests. Please try again in a minute."), status=429, content_type="text/plain"
            )
            response["Retry-After"] = str(retry_after)
        else:
            try:
                order = selectors.order_for_status_token(token)
            except NotFound:
                response = render(request, NOT_FOUND_TEMPLATE, status=404)
            else:
                with translation.override(order.customer.language or "nl"):
                    response = view(request, order, **kwargs)
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapped
