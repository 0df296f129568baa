"""E-mails to the customer about a shipment: on its way (with the tracking link) and delivered.

The notice row is written in the transaction that hands off or delivers the shipment (at most
one per shipment and kind: a unique constraint) with its ``oms.deliver_once`` delivery (kind
``shipping.notice``), and a worker sends it after commit, once: it claims the delivery, sends,
and records ``sent_at``. A worker that dies mid-send leaves a claim that expires, so the e-mail
is sent at least once and, short of that crash, exactly once. The sweep queues notices whose
task was lost.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_noop

from oms import deliver_once, notify
from oms.models import NotificationStatus
from orders import selectors as orders_selectors
from shipping.models import Shipment, ShipmentNotice

DELIVERY = deliver_once.register(
    deliver_once.Kind(
        code="shipping.notice",
        task="shipping.tasks.shipment_notice_send",
        label="Shipment e-mail",
        inbox_label=gettext_noop("Shipment e-mails not sent"),
        url=lambda key: f"/admin/shipping/shipmentnotice/{key}/change/",
    )
)

# Write notices without queueing their e-mail (bulk loads such as the demo data).
paused = deliver_once.paused


def notice_create(shipment: Shipment, kind: str) -> ShipmentNotice | None:
    """Write the notice in the caller's transaction and queue its e-mail after commit (once per
    shipment and kind; a second call changes nothing). Needs ``shipment.customer`` loaded."""
    notice, created = ShipmentNotice.objects.get_or_create(
        shipment=shipment, kind=kind, defaults={"to_email": shipment.customer.email}
    )
    if created and notice.to_email:
        deliver_once.deliver(DELIVERY.code, notice.pk)
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
    return deliver_once.queue_try(DELIVERY.code, notice_id)


def notice_send(*, notice_id: int) -> str:
    """Send one notice e-mail, once. Returns ``sent``, ``skipped`` (sent already, being sent, or
    no address). Raises what the mail backend raises (the task retries; the claim is released).
    Locks nothing; talks to SMTP outside any transaction."""
    claim = deliver_once.claim(DELIVERY.code, notice_id, create=False)
    if claim is None:
        return "skipped"
    notice = ShipmentNotice.objects.select_related("shipment__carrier", "shipment__customer").get(pk=notice_id)
    message = _message(notice)
    with deliver_once.attempt(claim, on_error=partial(_failed, notice_id)):
        message.send(fail_silently=False)
    ShipmentNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(sent_at=timezone.now(), error="")
    deliver_once.succeed(claim)
    _record(notice, notice.shipment, NotificationStatus.SENT, message.subject)
    return "sent"


def _failed(notice_id: int, error: str) -> None:
    ShipmentNotice.objects.filter(pk=notice_id).update(error=error[:300])


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
    return notify.email_message(notice.to_email, subject, body)


def notices_withdraw_unsent(*, reason: str) -> int:
    """Withdraw the e-mails of the notices not sent yet (demo data: nobody to mail); the
    shipment page shows ``reason``. Returns how many."""
    unsent = ShipmentNotice.objects.filter(sent_at__isnull=True)
    deliver_once.withdraw(DELIVERY.code, list(unsent.values_list("pk", flat=True)))
    return unsent.update(error=reason)


def notices_sweep(*, limit: int = 200) -> int:
    """Queue unsent notices whose task was lost (or whose send failed and is due again)."""
    return deliver_once.sweep(DELIVERY.code, limit=limit)
