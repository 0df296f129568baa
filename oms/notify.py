"""Customer notifications: every e-mail the customer gets about an order, in their language, once,
and visible on the order's timeline.

A ``Notification`` row is written in the transaction of the event it is about (an outbox
handler, a hand-off), at most one per ``key`` (a unique column: "order_confirmation:order:12").
Its sending is an ``oms.deliver_once`` delivery (kind ``oms.notification``): after commit a
worker claims it, renders the kind's template in the row's language, sends, and records
``sent_at``. A send that fails gives the claim back and the task retries; the beat sweep
re-queues what was lost. A customer without an
e-mail address gets a row with status ``skipped`` (the timeline says "not sent").

Kinds are registered by the app that owns them (``register_kind`` from ``AppConfig.ready()``)
with a renderer ``(notification) -> (subject, body)``; ``render_text`` renders the usual
``<app>/notifications/<kind>.<lang>.txt`` template whose first line is the subject.

Apps that already send their own e-mail with its own send-once claim (shipping's shipment
notices, billing's invoice and reminder mails, which carry PDFs and batch progress) log what
they sent with ``notification_record`` instead, so that all of them show on the timeline alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from oms import deliver_once
from oms.models import Delivery, DeliveryState, Notification, NotificationStatus

logger = logging.getLogger(__name__)

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
DELIVERY = deliver_once.register(
    deliver_once.Kind(
        code="oms.notification",
        task="oms.tasks.notification_send",
        label="Customer e-mail",
        own_rule=True,  # listed by "oms.notification_unsent", with the order it is about
    )
)


@dataclass(frozen=True)
class NotificationKind:
    code: str  # "order_confirmation"
    label: str  # "Order confirmation" (the timeline)
    render: Callable[[Notification], tuple[str, str]] | None = None  # None: the app sends it itself


KINDS: dict[str, NotificationKind] = {}


def register_kind(kind: NotificationKind) -> NotificationKind:
    KINDS[kind.code] = kind
    return kind


def kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return kind.label if kind else code.replace("_", " ").capitalize()


def language_of(code: str | None) -> str:
    """The customer's language if we have templates in it, else Dutch."""
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


# Write notifications without queueing their e-mail (bulk loads such as the demo data).
paused = deliver_once.paused


def notification_queue(
    *,
    kind: str,
    key: str,
    to_email: str,
    language: str,
    order_id: int | None = None,
    customer_id: int | None = None,
    context: dict | None = None,
    hold: bool = False,
) -> Notification | None:
    """Write a notification in the caller's transaction and queue its e-mail after commit.

    Once per ``key``: a second call changes nothing and returns None. Without an address the
    row is written as ``skipped``. Locks nothing (the unique key decides).

    ``hold``: write the row but do not queue it yet; ``notification_release`` queues it when
    what it waits for is there (the order confirmation waits for the payment link). A held row
    is a queued row whose task was not sent, so the sweep sends it after ``SWEEP_GRACE`` all the
    same: nothing waits longer than that for what may never come."""
    notification, created = Notification.objects.get_or_create(
        key=key[:120],
        defaults=_row(
            kind, to_email, language, order_id, customer_id,
            context=context or {}, status=NotificationStatus.QUEUED if to_email else NotificationStatus.SKIPPED,
        ),
    )  # fmt: skip
    if not created:
        return None
    if notification.to_email:
        deliver_once.deliver(DELIVERY.code, notification.pk, queue=not hold)
    return notification


def notifications_queue(items: list[dict]) -> list[Notification]:
    """``notification_queue`` for many notifications at once (``items``: its keyword arguments,
    without ``hold``), in a constant number of statements: the keys already written are left
    alone, the others inserted in one statement and their e-mails queued after commit. Returns
    the new ones. Two callers racing on one key: one gets an ``IntegrityError`` (its
    transaction rolls back; its retry finds the key written)."""
    wanted = {item["key"][:120]: item for item in items}
    if not wanted:
        return []
    written = set(Notification.objects.filter(key__in=list(wanted)).values_list("key", flat=True))
    new = [
        Notification(
            key=key,
            **_row(
                item["kind"], item["to_email"], item["language"], item.get("order_id"), item.get("customer_id"),
                context=item.get("context") or {},
                status=NotificationStatus.QUEUED if item["to_email"] else NotificationStatus.SKIPPED,
            ),
        )
        for key, item in wanted.items()
        if key not in written
    ]  # fmt: skip
    created = Notification.objects.bulk_create(new)
    deliver_once.deliver_new(DELIVERY.code, [n.pk for n in created if n.to_email])
    return created


def _row(kind: str, to_email: str, language: str, order_id, customer_id, **fields) -> dict:
    """A new notification's columns."""
    return {
        "kind": kind,
        "order_id": order_id,
        "customer_id": customer_id,
        "to_email": to_email or "",
        "language": language_of(language),
        **fields,
    }


def notification_release(*, key: str) -> bool:
    """Queue a held notification (``notification_queue(hold=True)``) after commit. False when
    there is none, or it is no longer waiting (sent, being sent, skipped). Locks nothing."""
    row = (
        Notification.objects.filter(key=key[:120], status=NotificationStatus.QUEUED)
        .exclude(to_email="")
        .values_list("pk", flat=True)
        .first()
    )
    if row is None or deliver_once.is_paused():
        return False
    delivery = deliver_once.state_of(DELIVERY.code, row)
    if delivery is None or delivery.state != DeliveryState.PENDING:
        return False
    transaction.on_commit(partial(queue_send, row))
    return True


def notification_status(*, key: str) -> str | None:
    """The status of the notification with ``key`` (None: not written)."""
    return Notification.objects.filter(key=key[:120]).values_list("status", flat=True).first()


def notification_written_since(*, kind: str, order_id: int, since: datetime) -> bool:
    """Whether a ``kind`` notification about the order was written at or after ``since``."""
    return Notification.objects.filter(order_id=order_id, kind=kind, created_at__gte=since).exists()


def notification_record(
    *,
    kind: str,
    key: str,
    to_email: str,
    language: str,
    status: str,
    subject: str = "",
    order_id: int | None = None,
    customer_id: int | None = None,
) -> Notification:
    """Log an e-mail an app sent (or could not send) itself, once per ``key``; a later call
    moves the row on (``skipped``/``failed`` -> ``sent``) but never back from ``sent``."""
    now = timezone.now()
    notification, created = Notification.objects.get_or_create(
        key=key[:120],
        defaults=_row(
            kind, to_email, language, order_id, customer_id,
            subject=subject[:300], status=status, sent_at=now if status == NotificationStatus.SENT else None,
        ),
    )  # fmt: skip
    if not created and notification.status != NotificationStatus.SENT and status != notification.status:
        Notification.objects.filter(pk=notification.pk).exclude(status=NotificationStatus.SENT).update(
            status=status,
            subject=subject[:300] or F("subject"),
            to_email=to_email or "",
            sent_at=now if status == NotificationStatus.SENT else None,
        )
        notification.refresh_from_db()
    return notification


def queue_send(notification_id: int) -> bool:
    """Hand the send to the broker; never raises (the sweep picks up what could not be queued)."""
    return deliver_once.queue_try(DELIVERY.code, notification_id)


def notification_send(*, notification_id: int) -> str:
    """Send one notification, once. Returns ``sent`` or ``skipped`` (sent already, being sent,
    no address, or a kind nobody renders). Raises what rendering or the mail backend raises
    after recording the failure and giving the claim back (the task retries). No transaction is
    open while talking to SMTP."""
    claim = deliver_once.claim(DELIVERY.code, notification_id, create=False)
    if claim is None:
        return "skipped"
    notification = Notification.objects.get(pk=notification_id)
    kind = KINDS.get(notification.kind)
    with deliver_once.attempt(claim, on_error=partial(_failed, notification_id)):
        if kind is None or kind.render is None:
            raise LookupError(f"no renderer for notification kind {notification.kind!r}")
        subject, body = kind.render(notification)
        email_message(notification.to_email, subject, body).send(fail_silently=False)
    Notification.objects.filter(pk=notification_id).exclude(status=NotificationStatus.SENT).update(
        status=NotificationStatus.SENT, subject=subject[:300], sent_at=timezone.now(), error=""
    )
    deliver_once.succeed(claim)
    return "sent"


def _failed(notification_id: int, error: str) -> None:
    Notification.objects.filter(pk=notification_id).exclude(status=NotificationStatus.SENT).update(
        status=NotificationStatus.FAILED, error=error[:300]
    )


def email_message(to_email: str, subject: str, body: str, *, reply_to: str | None = None) -> EmailMessage:
    """An e-mail from us to one address: the subject on one line, replies to ``reply_to`` (by
    default the seller's address)."""
    reply_to = reply_to or settings.OMS_SELLER.get("email")
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to_email],
        reply_to=[reply_to] if reply_to else None,
    )


def render_text(template: str, language: str, context: dict) -> tuple[str, str]:
    """Render ``<template>.<lang>.txt`` (Dutch when there is none in the language): the first
    line is the subject, the rest the body. Money and dates are formatted for the language."""
    language = language_of(language)
    context = {**context, "status_url": context.get("status_url") or customer_status_url(context)}
    with translation.override(language):
        try:
            text = render_to_string(f"{template}.{language}.txt", context)
        except TemplateDoesNotExist:
            text = render_to_string(f"{template}.{DEFAULT_LANGUAGE}.txt", context)
    subject, _, body = text.lstrip().partition("\n")
    return subject.strip(), body.lstrip("\n")


def customer_status_url(context: dict) -> str:
    """The link to the customer's own order page (``Order.status_url``) of the order the
    e-mail is about (``order``, or the ``invoice``'s order); empty when there is none."""
    order = context.get("order") or getattr(context.get("invoice"), "order", None)
    if order is None or getattr(order, "is_draft", False):
        return ""
    return getattr(order, "status_url", "") or ""


def notifications_sweep(*, limit: int = 200) -> int:
    """Queue notifications that are still unsent (task lost, or failed and due again). Beat
    runs it every few minutes. Returns how many were queued."""
    return deliver_once.sweep(DELIVERY.code, limit=limit)


def notification_retry(*, notification_id: int) -> bool:
    """Give a failed (or stuck) notification a fresh set of tries and queue it after commit."""
    return deliver_once.retry(DELIVERY.code, notification_id)


def order_notifications(order_id: int) -> list[Notification]:
    """The notifications of one order, oldest first (the order timeline; one indexed query)."""
    return list(Notification.objects.filter(order_id=order_id).order_by("id"))


# --- exception inbox rule -----------------------------------------------------------------------


def _stuck_notifications():
    from oms.exceptions import Finding, rule_limit

    since = timezone.now() - timedelta(minutes=settings.OMS_EXCEPTION_NOTIFICATION_MINUTES)
    rows = (
        Notification.objects.filter(
            status__in=[NotificationStatus.QUEUED, NotificationStatus.FAILED], created_at__lt=since
        )
        .exclude(to_email="")
        .order_by("created_at")
        .values("id", "kind", "key", "to_email", "error", "order_id")[: rule_limit()]
    )
    attempts = dict(
        Delivery.objects.filter(kind=DELIVERY.code, key__in=[str(row["id"]) for row in rows]).values_list(
            "key", "attempts"
        )
    )
    return [
        Finding(
            subject=f"notification:{row['id']}",
            title=f"{kind_label(row['kind'])} to {row['to_email']} not sent",
            url=f"/admin/oms/notification/{row['id']}/change/",
            detail={"error": row["error"], "order_id": row["order_id"]},
            occurrence=str(attempts.get(str(row["id"]), 0)),
        )
        for row in rows
    ]


def _retry_notification(subject: str, user) -> str:
    from oms.errors import Conflict
    from oms.exceptions import subject_id

    if not notification_retry(notification_id=subject_id(subject)):
        raise Conflict("The e-mail has been sent or cannot be sent.", code="not_retryable")
    return "E-mail queued again."


def register_rules() -> None:
    from oms.exceptions import Rule, register
    from oms.roles import Role

    register(
        Rule(
            code="oms.notification_unsent",
            label=gettext_noop("Customer e-mails not sent"),
            role=Role.CUSTOMER_SERVICE,
            find=_stuck_notifications,
            retry=_retry_notification,
        )
    )
