"""Payment links: a Mollie payment for an order, made by a worker, its checkout link on the order.

The protocol (ARCHITECTURE "Payment links"):

1. Ask (``payment_link_request``, in the caller's transaction): a ``PaymentLink`` row in status
   ``requested``, at most one per order at a time (a partial unique index: a double click or a
   repeated API call asks once), and its task queued after commit. ``order.placed`` asks for
   every order that expects one (``order_expects_payment_link``: phone or webshop, iDEAL, card,
   Klarna or Riverty, links on).
2. Make (``payment_link_create_run``, a worker): claim the row by a conditional UPDATE, then
   outside any transaction POST /v2/payments through the client with the row's own
   Idempotency-Key (a retry after a timeout returns the payment the first try made, never a
   second one). Then one transaction records the link and hands it to orders
   (``order_payment_link_set``: ``Order.payment_url``, the timeline, the held confirmation).
3. Fail: the provider unreachable (network, timeout, 5xx) gives the claim back with a back-off
   that doubles from a minute; the sweep (every minute) queues what is due. A refusal with a
   reason (4xx) or ``LINK_MAX_ATTEMPTS`` tries mark the link ``failed``: customer service sees
   why on the order page, and the held confirmation goes without a link.

The payment the customer makes is recorded by the provider's webhook (``billing.services.psp``)
like any other; the order then enters the pick queue (it was waiting for its payment).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from billing.models import LinkPurpose, LinkStatus, PaymentLink
from billing.services import mollie
from oms.errors import Conflict
from oms.tasks_registry import enqueue
from orders import selectors as order_selectors
from orders import status_links
from orders.models import PAID_BEFORE_PICKING, Order, OrderStatus
from orders.services import payment as order_payment

logger = logging.getLogger(__name__)

LINK_MAX_ATTEMPTS = 8
LINK_BACKOFF = timedelta(minutes=1)
# A claim older than a task may run belongs to a killed worker.
CLAIM_MARGIN = timedelta(seconds=10)
MOLLIE_METHODS = {"ideal": "ideal", "card": "creditcard", "klarna": "klarna", "riverty": "riverty"}


def _claim_stale() -> timedelta:
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + CLAIM_MARGIN


def payment_link_request(*, order: Order, purpose: str, user=None, queue: bool = True) -> PaymentLink:
    """Ask for a link for ``order`` (in the caller's transaction, or one of its own): the row
    that is being made already when there is one, else a new one, queued after commit unless
    ``queue`` is False (the caller runs it itself). Locks nothing; the partial unique index
    decides between two concurrent askers."""
    provider = settings.OMS_PAYMENT_LINK_PROVIDER
    try:
        with transaction.atomic():
            link = PaymentLink.objects.create(
                order=order,
                provider=provider,
                purpose=purpose,
                amount=order.amount_due,
                created_by=user if getattr(user, "pk", None) else None,
            )
    except IntegrityError:
        return PaymentLink.objects.get(order=order, status=LinkStatus.REQUESTED)
    if queue:
        transaction.on_commit(partial(queue_link, link.pk))
    return link


def payment_link_for_new_order(*, order_id: int) -> PaymentLink | None:
    """``order.placed``: ask for the order's first link when it expects one."""
    if not settings.OMS_PAYMENT_LINKS:
        return None
    order = order_selectors.order_get(order_id)
    if not order_payment.order_expects_payment_link(order) or not order.awaits_payment:
        return None
    if PaymentLink.objects.filter(order_id=order.pk).exists():
        return None
    return payment_link_request(order=order, purpose=LinkPurpose.ORDER)


def payment_link_new(*, order: Order, user) -> PaymentLink:
    """A new link for an order that is still to be paid (customer service, the webshop's
    ``POST /orders/{number}/payment-link/``): asked for and made at once, here, outside any
    transaction; when the provider cannot be reached now the worker's retries take over and
    the link comes back ``requested``. Raises ``Conflict`` ``order_paid`` (nothing to pay),
    ``not_a_provider_method`` (paid otherwise), ``order_closed`` (cancelled or a draft),
    ``payment_links_off`` (no provider key),
    ``provider_refused`` (the provider said no, with its reason)."""
    _check_linkable(order)
    with transaction.atomic(durable=True):
        link = payment_link_request(order=order, purpose=LinkPurpose.RENEW, user=user, queue=False)
    payment_link_create_run(link_id=link.pk)
    link.refresh_from_db()
    if link.status == LinkStatus.FAILED:
        raise Conflict(f"The payment provider refused the link: {link.error}", code="provider_refused")
    return link


def _check_linkable(order: Order) -> None:
    if not settings.OMS_PAYMENT_LINKS:
        raise Conflict("Payment links are off (no payment provider key is set).", code="payment_links_off")
    if order.payment_method not in PAID_BEFORE_PICKING:
        raise Conflict(
            f"Order {order.number} is not paid through the payment provider ({order.payment_method}).",
            code="not_a_provider_method",
        )
    if order.status in (OrderStatus.CANCELLED, OrderStatus.DRAFT):
        raise Conflict(f"Order {order.number} is {order.status}: nothing to pay.", code="order_closed")
    if order.amount_due <= 0:
        raise Conflict(f"Order {order.number} is paid.", code="order_paid")


def queue_link(link_id: int) -> bool:
    """Hand one link to the broker; never raises (the sweep queues what could not be)."""
    return enqueue("billing.tasks.payment_link_create", kwargs={"link_id": link_id}, retry=False)


def _claim(link_id: int) -> PaymentLink | None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {PaymentLink._meta.db_table} SET started_at = %s, attempts = attempts + 1
                WHERE id = %s AND status = 'requested' AND (started_at IS NULL OR started_at < %s)
                RETURNING id""",
            [now, link_id, now - _claim_stale()],
        )
        claimed = cursor.fetchone() is not None
    return PaymentLink.objects.select_related("order", "order__customer").get(pk=link_id) if claimed else None


def payment_link_create_run(*, link_id: int) -> str:
    """A worker's making of one link (see the module). Returns ``open``, ``failed``,
    ``provider_unavailable``, ``not_needed`` (paid or cancelled meanwhile) or ``duplicate``
    (made already or being made). Never holds a lock while it waits on the provider."""
    link = _claim(link_id)
    if link is None:
        return "duplicate"
    order = order_selectors.order_get(link.order_id)
    if not order.awaits_payment:
        return _fail(link, "the order no longer awaits payment", outcome="not_needed")
    if link.attempts > LINK_MAX_ATTEMPTS:
        return _fail(link, f"the provider could not be reached in {LINK_MAX_ATTEMPTS} tries")
    expires_at = timezone.now() + timedelta(hours=settings.OMS_PAYMENT_LINK_EXPIRY_HOURS)
    try:
        data = _payment_data(order, link, expires_at)
        answer = mollie.payment_create(data, idempotency_key=f"oms-payment-link-{link.pk}", provider=link.provider)
    except mollie.ProviderUnavailable as exc:
        logger.warning("payment links: link %s for %s not made (%s); trying again later", link.pk, order.number, exc)
        PaymentLink.objects.filter(pk=link.pk, status=LinkStatus.REQUESTED).update(
            started_at=None, error=str(exc)[:300], next_try_at=timezone.now() + LINK_BACKOFF * 2 ** (link.attempts - 1)
        )
        return "provider_unavailable"
    except mollie.ProviderRefused as exc:
        return _fail(link, str(exc))
    return _open(link, answer, expires_at)


def _payment_data(order: Order, link: PaymentLink, expires_at: datetime) -> dict:
    data = {
        "amount": {"currency": "EUR", "value": f"{link.amount:.2f}"},
        "description": f"Order {order.number}",
        "redirectUrl": _redirect_url(order),
        "webhookUrl": settings.OMS_SITE_URL.rstrip("/")
        + reverse("billing_webhooks:payment", kwargs={"provider": link.provider}),
        "metadata": {"order_number": order.number},
        "expiresAt": expires_at.isoformat(timespec="seconds"),
        "locale": "nl_NL" if order.customer.language != "en" else "en_US",
    }
    if order.payment_method in MOLLIE_METHODS:
        data["method"] = MOLLIE_METHODS[order.payment_method]
    return data


def _redirect_url(order: Order) -> str:
    """Where the customer lands after paying: the shop's page when one is set, otherwise the
    order's own page in OMS (which shows the payment once it is in)."""
    if settings.OMS_PAYMENT_REDIRECT_URL:
        return settings.OMS_PAYMENT_REDIRECT_URL.replace("{number}", order.number)
    return status_links.status_url(order)


def _open(link: PaymentLink, answer: dict, expires_at: datetime) -> str:
    url = mollie.checkout_url(answer)
    if not url or not answer.get("id"):
        return _fail(link, "the provider's answer has no checkout link")
    provider_expiry = answer.get("expiresAt")
    if provider_expiry:
        try:
            expires_at = datetime.fromisoformat(provider_expiry)
        except ValueError:
            pass
    with transaction.atomic(durable=True):
        updated = PaymentLink.objects.filter(pk=link.pk, status=LinkStatus.REQUESTED).update(
            status=LinkStatus.OPEN,
            provider_payment_id=str(answer["id"])[:64],
            checkout_url=url[:500],
            expires_at=expires_at,
            error="",
            started_at=None,
        )
        if updated:
            order_payment.order_payment_link_set(
                order_id=link.order_id, url=url[:500], expires_at=expires_at, purpose=link.purpose, link_id=link.pk
            )
    return "open"


def _fail(link: PaymentLink, reason: str, *, outcome: str = "failed") -> str:
    logger.warning("payment links: link %s of order %s failed: %s", link.pk, link.order_id, reason)
    with transaction.atomic(durable=True):
        PaymentLink.objects.filter(pk=link.pk, status=LinkStatus.REQUESTED).update(
            status=LinkStatus.FAILED, error=reason[:300], started_at=None
        )
        if outcome == "failed":
            order_payment.order_payment_link_missing(order_id=link.order_id, reason=reason)
    return outcome


def payment_links_sweep(*, limit: int = 200) -> int:
    """Queue the links that are due: their back-off ended, their message was lost, or their
    worker died. Returns how many were queued."""
    now = timezone.now()
    due = list(
        PaymentLink.objects.filter(
            Q(started_at__isnull=True) | Q(started_at__lt=now - _claim_stale()),
            status=LinkStatus.REQUESTED,
            next_try_at__lte=now,
        )
        .order_by("next_try_at")
        .values_list("pk", flat=True)[:limit]
    )
    for link_id in due:
        queue_link(link_id)
    return len(due)
