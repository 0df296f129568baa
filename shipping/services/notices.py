"""E-mails to the customer about a shipment: on its way (with the tracking link) and delivered.

The notice row is written in the transaction that hands off or delivers the shipment (at most
one per shipment and kind: a unique constraint), and a worker sends it after commit, once: it
claims the row with a conditional UPDATE, sends, and records ``sent_at``. A worker that dies
mid-send leaves a claim that expires, so the e-mail is sent at least once and, short of that
crash, exactly once. The sweep queues notices whose task was lost.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from oms import notify
from oms.models import NotificationStatus
from orders import selectors as orders_selectors
from shipping.models import Shipment, ShipmentNotice

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=15)
SWEEP_GRACE = timedelta(minutes=5)
SWEEP_WINDOW = timedelta(days=3)
MAX_ATTEMPTS = 8

_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("shipping_notices_paused", default=False)


@contextmanager
def paused() -> Iterator[None]:
    """Write notices without queueing their e-mail (bulk loads such as the demo data)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def notice_create(shipment: Shipment, kind: str) -> ShipmentNotice | None:
    """Write the notice in the caller's transaction and queue its e-mail after commit (once per
    shipment and kind; a second call changes nothing). Needs ``shipment.customer`` loaded."""
    notice, created = ShipmentNotice.objects.get_or_create(
        shipment=shipment, kind=kind, defaults={"to_email": shipment.customer.email}
    )
    if created and notice.to_email and not _paused.get():
        transaction.on_commit(partial(queue_notice, notice.pk))
    if created and not notice.to_email:  # the timeline says it was not sent
        _record(notice, shipment, NotificationStatus.SKIPPED)
    return notice if created else None


def _record(notice: ShipmentNotice, shipment: Shipment, status: str, subject: str = "") -> None:
    """Log the notice in ``oms.notify`` so that it shows on the order's timeline."""
    notify.notification_record(
        kind=f"shipment_{notice.kind}",
        key=f"shipment_{notice.kind}:shipment:{shipment.pk}",
        to_email=notice.to_email,
        language=shipment.customer.language,
        status=status,
        subject=subject,
        order_id=shipment.order_id,
        customer_id=shipment.customer_id,
    )


def queue_notice(notice_id: int) -> bool:
    from shipping.tasks import shipment_notice_send as shipment_notice_send_task

    try:
        shipment_notice_send_task.apply_async(args=[notice_id], retry=True)
    except Exception as exc:  # broker down: the sweep sends it later
        logger.warning("shipping: could not queue notice %s: %s", notice_id, exc)
        return False
    return True


def notice_send(*, notice_id: int) -> str:
    """Send one notice e-mail, once. Returns ``sent``, ``skipped`` (sent already, being sent, or
    no address). Raises what the mail backend raises (the task retries; the claim is released).
    Locks nothing; talks to SMTP outside any transaction."""
    now = timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    claimed = (
        ShipmentNotice.objects.filter(claimable, pk=notice_id, sent_at__isnull=True)
        .exclude(to_email="")
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "skipped"
    notice = ShipmentNotice.objects.select_related("shipment__carrier", "shipment__customer").get(pk=notice_id)
    message = _message(notice)
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        ShipmentNotice.objects.filter(pk=notice_id, claimed_at=now).update(claimed_at=None, error=str(exc)[:300])
        raise
    ShipmentNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(sent_at=timezone.now(), error="")
    _record(notice, notice.shipment, NotificationStatus.SENT, message.subject)
    return "sent"


def _message(notice: ShipmentNotice) -> EmailMessage:
    shipment = notice.shipment
    order = orders_selectors.orders_by_ids([shipment.order_id])[shipment.order_id]
    language = "nl" if shipment.customer.language == "nl" else "en"
    context = {
        "shipment": shipment,
        "order": order,
        "customer": shipment.customer,
        "seller": settings.OMS_SELLER,
        "tracking_url": shipment.tracking_url,
        "status_url": notify.customer_status_url({"order": order}),
    }
    subject = render_to_string(f"shipping/email/{notice.kind}_subject.{language}.txt", context).strip()
    body = render_to_string(f"shipping/email/{notice.kind}.{language}.txt", context)
    seller_email = settings.OMS_SELLER.get("email")
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notice.to_email],
        reply_to=[seller_email] if seller_email else None,
    )


def notices_sweep(*, limit: int = 200) -> int:
    """Queue recent unsent notices whose task was lost (or whose send failed for good)."""
    now = timezone.now()
    ids = list(
        ShipmentNotice.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT),
            sent_at__isnull=True,
            created_at__lte=now - SWEEP_GRACE,
            created_at__gte=now - SWEEP_WINDOW,
            attempts__lt=MAX_ATTEMPTS,
        )
        .exclude(to_email="")
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for notice_id in ids:
        if not queue_notice(notice_id):
            break
    return len(ids)
