"""Refunds of provider payments go back through the provider's refunds API.

A refund record (a negative ``Payment``: a return's credit, the order panel's "Refund") of a
payment that came in through a provider (its ``provider`` is set, as the webhook records it)
gets a ``ProviderRefund`` row in the same transaction (``provider_refund_for``). After commit a
worker claims the row and POSTs /v2/payments/{id}/refunds through the client with the row's
Idempotency-Key (a retry after a timeout returns the refund the first try made), and keeps the
provider's refund id. The provider carries a refund out later: the worker asks again (the sweep,
every minute with a growing pause, and at once when the provider's webhook calls about the
payment) until the provider says ``refunded`` (confirmed: ``confirmed_at``) or ``failed``/
``canceled``. A refusal with a reason (422: more than is left, a payment that cannot be
refunded) marks the row ``failed`` with the reason, for accounting to see; the refund record
itself stays (the money is owed to the customer either way).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import Payment, ProviderRefund, RefundStatus
from billing.services import mollie
from oms.tasks_registry import enqueue

logger = logging.getLogger(__name__)

REFUND_BACKOFF = timedelta(minutes=1)
REFUND_MAX_BACKOFF = timedelta(hours=6)
REFUND_MAX_ATTEMPTS = 30
CLAIM_MARGIN = timedelta(seconds=10)


def provider_refund_for(refund: Payment, head: Payment) -> ProviderRefund | None:
    """In the refund's transaction: a row to send it through the provider ``head`` came by,
    queued after commit. None for money that did not come through a provider we talk to."""
    if not head.provider or head.provider not in getattr(settings, "OMS_PAYMENT_PROVIDERS", {}):
        return None
    row = ProviderRefund.objects.create(
        refund=refund, provider=head.provider, provider_payment_id=head.reference, amount=-refund.amount
    )
    transaction.on_commit(partial(queue_refund, row.pk))
    return row


def queue_refund(refund_id: int) -> bool:
    """Hand one refund to the broker; never raises (the sweep queues what could not be)."""
    return enqueue("billing.tasks.provider_refund_send", kwargs={"refund_id": refund_id}, retry=False)


def _stale() -> timedelta:
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + CLAIM_MARGIN


def _claim(refund_id: int) -> ProviderRefund | None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {ProviderRefund._meta.db_table} SET started_at = %s, attempts = attempts + 1
                WHERE id = %s AND status IN ('requested', 'pending') AND (started_at IS NULL OR started_at < %s)
                RETURNING id""",
            [now, refund_id, now - _stale()],
        )
        claimed = cursor.fetchone() is not None
    return ProviderRefund.objects.select_related("refund").get(pk=refund_id) if claimed else None


def provider_refund_run(*, refund_id: int) -> str:
    """Send a requested refund, or ask how a sent one stands. Returns the row's status after
    the call, ``provider_unavailable`` or ``duplicate`` (done, or being done elsewhere). Never
    holds a lock while it waits on the provider."""
    row = _claim(refund_id)
    if row is None:
        return "duplicate"
    try:
        if row.status == RefundStatus.REQUESTED:
            answer = mollie.refund_create(
                row.provider_payment_id,
                {
                    "amount": {"currency": "EUR", "value": f"{row.amount:.2f}"},
                    "description": f"Refund {row.refund.reference}"[:140],
                    "metadata": {"refund_reference": row.refund.reference},
                },
                idempotency_key=f"oms-refund-{row.pk}",
                provider=row.provider,
            )
        else:
            answer = mollie.refund_get(row.provider_payment_id, row.provider_refund_id, provider=row.provider)
    except mollie.ProviderUnavailable as exc:
        logger.warning("provider refunds: refund %s not sent or checked (%s); trying again later", row.pk, exc)
        _later(row, error=str(exc))
        return "provider_unavailable"
    except mollie.ProviderRefused as exc:
        return _finish(row, RefundStatus.FAILED, error=str(exc))
    if answer is None:
        return _finish(row, RefundStatus.FAILED, error="the provider does not know the payment or refund")
    return _record(row, answer)


def _record(row: ProviderRefund, answer: dict) -> str:
    status = str(answer.get("status") or "")
    refund_id = str(answer.get("id") or row.provider_refund_id)[:64]
    if status == "refunded":
        return _finish(row, RefundStatus.REFUNDED, provider_refund_id=refund_id)
    if status in ("failed", "canceled"):
        return _finish(row, RefundStatus.FAILED, provider_refund_id=refund_id, error=f"the provider says {status}")
    ProviderRefund.objects.filter(pk=row.pk).update(status=RefundStatus.PENDING, provider_refund_id=refund_id)
    row.provider_refund_id = refund_id
    _later(row, error="")
    return RefundStatus.PENDING


def _later(row: ProviderRefund, *, error: str) -> None:
    pause = min(REFUND_BACKOFF * 2 ** max(row.attempts - 1, 0), REFUND_MAX_BACKOFF)
    if row.attempts >= REFUND_MAX_ATTEMPTS:
        _finish(row, RefundStatus.FAILED, error=f"gave up after {row.attempts} tries: {error}")
        return
    ProviderRefund.objects.filter(pk=row.pk).update(
        started_at=None, next_try_at=timezone.now() + pause, error=error[:300]
    )


def _finish(row: ProviderRefund, status: str, *, provider_refund_id: str = "", error: str = "") -> str:
    if status == RefundStatus.FAILED:
        logger.error("provider refunds: refund %s of %s failed: %s", row.pk, row.provider_payment_id, error)
    ProviderRefund.objects.filter(pk=row.pk).update(
        status=status,
        provider_refund_id=provider_refund_id or row.provider_refund_id,
        error=error[:300],
        started_at=None,
        confirmed_at=timezone.now() if status == RefundStatus.REFUNDED else None,
    )
    return status


def provider_refunds_check(*, provider: str, payment_id: str) -> int:
    """The provider's webhook called about ``payment_id``: ask at once about its refunds that
    are sent and not yet carried out. Returns how many were queued."""
    ids = list(
        ProviderRefund.objects.filter(
            provider=provider, provider_payment_id=payment_id, status=RefundStatus.PENDING
        ).values_list("pk", flat=True)
    )
    for refund_id in ids:
        queue_refund(refund_id)
    return len(ids)


def provider_refunds_sweep(*, limit: int = 200) -> int:
    """Queue the refunds that are due: to send, or to ask about again. Returns how many."""
    now = timezone.now()
    due = list(
        ProviderRefund.objects.filter(
            Q(started_at__isnull=True) | Q(started_at__lt=now - _stale()),
            status__in=[RefundStatus.REQUESTED, RefundStatus.PENDING],
            next_try_at__lte=now,
        )
        .order_by("next_try_at")
        .values_list("pk", flat=True)[:limit]
    )
    for refund_id in due:
        queue_refund(refund_id)
    return len(due)
