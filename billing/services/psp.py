"""Payment-provider webhooks: each call is only a hint that something changed.

The provider calls ``/webhooks/payments/<provider>/`` with nothing but its payment id (Mollie
style). We never trust the call: we fetch the payment from the provider's API over HTTPS with
the official client (``billing.services.mollie``; the URL and key are in
``settings.OMS_PAYMENT_PROVIDERS``), and only a payment the provider itself
reports as ``paid`` is recorded, through ``payment_record`` with the provider's id as the
reference, so a repeated or concurrent call records it once. A pay-later payment (Klarna,
Riverty) is recorded once the provider reports it ``authorized``: the provider owes it then.
An unknown or forged id changes nothing (and is logged on the ``billing.security`` logger).

The provider's answer (Mollie's payments API shape):
``{"id": "tr_WDqYK6vllg", "status": "paid", "amount": {"value": "24.94", "currency": "EUR"},
"method": "ideal", "paidAt": "2026-11-26T21:53:10+00:00", "metadata": {"order_number":
"SO-000123"}}``; the webshop puts the order number in ``metadata`` when it creates the payment.

The webhook itself never waits on the provider (a slow or forged flood would hold web threads):
``payment_webhook_hint`` records the id in ``PaymentFetch`` (one row per payment, so a payment
already queued is not queued again) and a worker runs ``payment_fetch_run``. The sweep
(``payment_fetches_sweep``, every minute) queues again what a lost message, a killed worker or
an unreachable provider left behind, each payment at most ``FETCH_MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import PaymentFetch
from billing.services import mollie
from billing.services.mollie import ProviderUnavailable
from billing.services.payments import payment_record
from billing.services.provider_refunds import provider_refunds_check
from customers.models import PaymentMethod
from oms.errors import NotFound, OmsError
from oms.tasks_registry import enqueue
from orders import selectors as order_selectors

logger = logging.getLogger(__name__)
security_log = logging.getLogger("billing.security")

# A fetch not finished this long after it started has died with its worker: the task's hard time
# limit would have ended it by then (and the broker redelivers it after its visibility timeout,
# which is longer).
FETCH_STALE_MARGIN = timedelta(seconds=10)
# A queued fetch not started this long after it was queued is queued again by the sweep.
FETCH_GRACE = timedelta(minutes=1)
FETCH_MAX_ATTEMPTS = 8
ID_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
# The provider's method names -> ours (anything else paid through the provider: card).
METHODS = {
    "ideal": PaymentMethod.IDEAL,
    "creditcard": PaymentMethod.CARD,
    "klarna": PaymentMethod.KLARNA,
    "klarnapaylater": PaymentMethod.KLARNA,
    "klarnasliceit": PaymentMethod.KLARNA,
    "riverty": PaymentMethod.RIVERTY,
    "banktransfer": PaymentMethod.BANK_TRANSFER,
}


# Pay-later methods: the provider authorises the payment (Mollie status ``authorized``) and from
# then on owes us the money, whatever the customer does; it is recorded as the provider's payment
# then (account 1320/1330), which releases the order to the warehouse (issue 15).
PAY_LATER = frozenset({PaymentMethod.KLARNA, PaymentMethod.RIVERTY})


def _settled(found: ProviderPayment) -> bool:
    """Paid, or (pay later) authorised by the provider."""
    return found.status == "paid" or (found.status == "authorized" and METHODS.get(found.method) in PAY_LATER)


@dataclass(frozen=True)
class ProviderPayment:
    id: str
    status: str
    amount: str
    currency: str
    method: str
    order_number: str
    paid_at: datetime | None


def _config(provider: str) -> dict:
    return mollie.provider_config(provider)


def provider_payment_fetch(*, provider: str, payment_id: str) -> ProviderPayment | None:
    """Ask the provider for one payment (through the Mollie client); None when it does not know
    the id. Raises ``ProviderUnavailable`` (a refusal with a reason counts as one too: the id
    came from the provider, so asking later may work). Never call this inside a transaction."""
    try:
        body = mollie.payment_get(payment_id, provider=provider)
    except mollie.ProviderRefused as exc:
        raise ProviderUnavailable(f"{provider} refused to show {payment_id}: {exc}") from exc
    return None if body is None else _parse(body, payment_id)


def _parse(body, payment_id: str) -> ProviderPayment:
    try:
        amount = body["amount"]
        paid_at = body.get("paidAt")
        return ProviderPayment(
            id=str(body["id"]),
            status=str(body["status"]),
            amount=str(amount["value"]),
            currency=str(amount["currency"]),
            method=str(body.get("method") or ""),
            order_number=str((body.get("metadata") or {}).get("order_number") or ""),
            paid_at=datetime.fromisoformat(paid_at) if paid_at else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProviderUnavailable(f"unreadable answer for payment {payment_id}") from exc


def payment_webhook_process(*, provider: str, payment_id: str) -> str:
    """Handle one webhook call: fetch the payment and record it when it is paid. Returns what
    happened: ``recorded``, ``repeat``, the provider's status when not paid (``open``,
    ``failed`` ...), ``unknown`` (forged or unknown id, or an order we do not know), ``ignored``
    (not EUR, or an id that cannot be one). Durable through ``payment_record``. Raises
    ``ProviderUnavailable`` and ``NotFound`` (no such provider)."""
    _config(provider)
    if not ID_PATTERN.match(payment_id or ""):
        security_log.warning("payment webhook %s: malformed id %r", provider, (payment_id or "")[:80])
        return "ignored"
    found = provider_payment_fetch(provider=provider, payment_id=payment_id)
    if found is None or found.id != payment_id:
        security_log.warning("payment webhook %s: the provider does not know payment %s", provider, payment_id)
        return "unknown"
    if not _settled(found):
        return found.status
    if found.currency != "EUR":
        logger.warning("payment webhook %s: payment %s is in %s, not recorded", provider, payment_id, found.currency)
        return "ignored"
    try:
        order = order_selectors.order_get_by_number(found.order_number)
    except NotFound:
        security_log.warning("payment webhook %s: payment %s names no known order", provider, payment_id)
        return "unknown"
    return _record(provider, found, order)


def _record(provider: str, found: ProviderPayment, order) -> str:
    try:
        result = payment_record(
            order=order,
            method=METHODS.get(found.method, PaymentMethod.CARD),
            amount=found.amount,
            reference=found.id,
            # The provider's clock may run ahead of ours; its payment is never "in the future".
            paid_at=min(found.paid_at, timezone.now()) if found.paid_at else None,
            provider=provider,
            user=None,
        )
    except OmsError as exc:
        logger.error("payment webhook %s: payment %s not recorded: %s", provider, found.id, exc.message)
        return "ignored"
    return "recorded" if result.created else "repeat"


# --- asynchronous fetching ------------------------------------------------------------------------


def payment_webhook_hint(*, provider: str, payment_id: str) -> bool:
    """The webhook's whole work: remember that ``payment_id`` changed, and queue its fetch once
    this transaction commits. Returns True when a fetch was queued; False for an id that cannot
    be one (logged) and for a payment already queued (deduplicated). A payment being fetched
    right now is marked to be fetched again when that run ends. Locks nothing; one INSERT (or
    one UPDATE). Raises ``NotFound`` (no such provider)."""
    _config(provider)
    if not ID_PATTERN.match(payment_id or ""):
        security_log.warning("payment webhook %s: malformed id %r", provider, (payment_id or "")[:80])
        return False
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {PaymentFetch._meta.db_table} (provider, payment_id, requested_at, again, attempts)
                    VALUES (%s, %s, %s, false, 0) ON CONFLICT (provider, payment_id) DO NOTHING RETURNING id""",
                [provider, payment_id, timezone.now()],
            )
            created = cursor.fetchone() is not None
        if not created:
            PaymentFetch.objects.filter(provider=provider, payment_id=payment_id, started_at__isnull=False).update(
                again=True
            )
            return False
        transaction.on_commit(partial(queue_fetch, provider, payment_id))
    return True


def queue_fetch(provider: str, payment_id: str) -> bool:
    """Hand one fetch to the broker; never raises (the sweep queues what could not be)."""
    return enqueue("billing.tasks.payment_fetch", kwargs={"provider": provider, "payment_id": payment_id}, retry=False)


def payment_fetch_run(*, provider: str, payment_id: str) -> str:
    """A worker's fetch of one hinted payment (``payment_webhook_process``), claimed first so
    that two deliveries of the task fetch once. Returns the outcome, or ``duplicate`` when the
    fetch is done or running elsewhere. When the provider cannot be asked the row waits for the
    sweep (back-off doubling from a minute); after ``FETCH_MAX_ATTEMPTS`` claims it is dropped
    and logged. Never holds a lock while it waits on the provider."""
    fetch = _claim(provider, payment_id)
    if fetch is None:
        return "duplicate"
    if fetch.attempts > FETCH_MAX_ATTEMPTS:
        logger.error("payment webhook %s: gave up fetching %s after %s tries", provider, payment_id, FETCH_MAX_ATTEMPTS)
        PaymentFetch.objects.filter(pk=fetch.pk).delete()
        return "given_up"
    try:
        outcome = payment_webhook_process(provider=provider, payment_id=payment_id)
        provider_refunds_check(provider=provider, payment_id=payment_id)
    except ProviderUnavailable as exc:
        logger.warning("payment webhook %s: fetching %s failed (%s); trying again later", provider, payment_id, exc)
        backoff = FETCH_GRACE * 2 ** (fetch.attempts - 1)
        PaymentFetch.objects.filter(pk=fetch.pk).update(
            started_at=None, again=False, requested_at=timezone.now() + backoff - FETCH_GRACE
        )
        return "provider_unavailable"
    if not PaymentFetch.objects.filter(pk=fetch.pk, again=False).delete()[0]:
        # a webhook came in while we were fetching: fetch once more
        PaymentFetch.objects.filter(pk=fetch.pk).update(
            started_at=None, again=False, attempts=0, requested_at=timezone.now()
        )
        transaction.on_commit(partial(queue_fetch, provider, payment_id))
    return outcome


def _claim(provider: str, payment_id: str) -> PaymentFetch | None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {PaymentFetch._meta.db_table} SET started_at = %s, again = false, attempts = attempts + 1
                WHERE provider = %s AND payment_id = %s AND (started_at IS NULL OR started_at < %s)
                RETURNING id, attempts""",
            [now, provider, payment_id, now - _fetch_stale()],
        )
        row = cursor.fetchone()
    return None if row is None else PaymentFetch(pk=row[0], provider=provider, payment_id=payment_id, attempts=row[1])


def _fetch_stale() -> timedelta:
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + FETCH_STALE_MARGIN


def payment_fetches_sweep() -> int:
    """Queue again the fetches that are due: queued over a minute ago and not started (a lost
    message, or a provider back-off that ended), or started longer ago than a task may run (a killed
    worker). Returns how many were queued."""
    now = timezone.now()
    waiting = Q(started_at__isnull=True, requested_at__lte=now - FETCH_GRACE)
    abandoned = Q(started_at__lt=now - _fetch_stale())
    due = list(PaymentFetch.objects.filter(waiting | abandoned).values_list("provider", "payment_id")[:500])
    for provider, payment_id in due:
        PaymentFetch.objects.filter(provider=provider, payment_id=payment_id, started_at__isnull=True).update(
            requested_at=now
        )
        queue_fetch(provider, payment_id)
    return len(due)
