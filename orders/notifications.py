"""The customer's e-mails about the order itself: the confirmation (promised date, lines, shipping
cost and total including VAT) on ``order.placed``, a backorder notice with the new expected
date on ``order.backordered``, and the lines whose promised date moved
(``orders.services.promises``). Both go through ``oms.notify`` (once per event, in the customer's
language, on the order timeline).

A backorder that is already part of the placement (the order was placed with lines waiting for
stock) is told in the confirmation; the notice is for orders that fall back to backordered
later. Placing publishes ``order.placed`` and then the status event right after it; the
confirmation remembers that status event's id, which is how the backorder handler knows it.

A notice tells news: which units wait. It is keyed by the order and what waits (per line the
units backordered), not by the event, so an order that goes back to the same backorder (put on
hold and released, issue 15) does not tell the customer the same thing again, and one whose
waiting units change does. The confirmation remembers what waited when it was queued, so the
first release after placing is no news either.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import partial

from django.conf import settings

from oms import notify
from oms.models import Notification, OutboxEvent
from oms.money import quantize
from orders import selectors
from orders.models import Channel
from orders.services import payment, promises

CONFIRMATION = payment.CONFIRMATION
BACKORDER = "order_backordered"
TEMPLATES = "orders/notifications"


def register() -> None:
    notify.register_kind(notify.NotificationKind(CONFIRMATION, "Order confirmation", render_confirmation))
    notify.register_kind(notify.NotificationKind(BACKORDER, "Backorder notice", render_backorder))
    notify.register_kind(notify.NotificationKind(promises.PROMISE_MOVED, "Delivery date moved", render_promise_moved))
    for code, label in (
        (payment.PAYMENT_LINK, "Payment link"),
        (payment.PAYMENT_REMINDER, "Payment reminder"),
        (payment.UNPAID_CANCELLED, "Cancelled: not paid"),
    ):
        notify.register_kind(notify.NotificationKind(code, label, partial(_render, code)))


def on_order_placed(event) -> None:
    """Handler of ``order.placed``: queue the order confirmation (once per order). A counter
    sale in the store is handed over with its receipt: no e-mail."""
    order = selectors.order_get(event.payload["order_id"])
    if order.channel == Channel.STORE:
        return
    # held while billing makes the payment link (orders.services.payment)
    payment.order_confirmation_queue(
        order_id=order.pk,
        context={"placement_status_event": _next_event_id(event.id, order.pk), "waiting": _waiting(order)},
    )


def _waiting(order) -> str:
    """What of the order waits for stock, as a key: ``line:units`` per backordered line."""
    parts = [
        f"{line.pk}:{line.quantity_backordered}"
        for line in order.lines.all()
        if line.quantity_backordered and not line.is_cancelled
    ]
    return ",".join(sorted(parts))


def _next_event_id(after_id: int, order_id: int) -> int | None:
    """The id of the first event about the order after ``after_id`` (placing's status event);
    a short walk up the primary key from the placed event."""
    return (
        OutboxEvent.objects.filter(id__gt=after_id, name__startswith="order.", payload__order_id=order_id)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )


def on_order_backordered(event) -> None:
    """Handler of ``order.backordered``: queue a backorder notice (once per event), unless the
    confirmation of the same placement already tells it."""
    order = selectors.order_get(event.payload["order_id"])
    waiting = _waiting(order)
    confirmation = Notification.objects.filter(key=f"{CONFIRMATION}:order:{order.pk}").values("context").first()
    if confirmation and (
        confirmation["context"].get("placement_status_event") == event.id
        or confirmation["context"].get("waiting") == waiting
    ):
        return
    notify.notification_queue(
        kind=BACKORDER,
        # the key holds what waits as a digest: a long order would not fit the key column
        key=f"{BACKORDER}:order:{order.pk}:{hashlib.sha256(waiting.encode()).hexdigest()[:16]}",
        to_email=order.customer.email,
        language=order.customer.language,
        order_id=order.pk,
        customer_id=order.customer_id,
        context={"order_id": order.pk, "event_id": event.id},
    )


def _context(notification: Notification) -> dict:
    order = selectors.order_get(notification.context["order_id"])
    lines = [line for line in order.lines.all() if not line.is_cancelled]
    return {
        "order": order,
        "customer": order.customer,
        "lines": lines,
        "backordered_lines": [line for line in lines if line.quantity_backordered],
        "shipping_gross": quantize(order.shipping_amount * (1 + order.shipping_vat_rate / 100)),
        "seller": settings.OMS_SELLER,
        "payment_url": order.current_payment_url,
        "context": notification.context,
    }


def _render(code: str, notification: Notification) -> tuple[str, str]:
    return notify.render_text(f"{TEMPLATES}/{code}", notification.language, _context(notification))


def render_confirmation(notification: Notification) -> tuple[str, str]:
    return notify.render_text(f"{TEMPLATES}/{CONFIRMATION}", notification.language, _context(notification))


def render_backorder(notification: Notification) -> tuple[str, str]:
    return notify.render_text(f"{TEMPLATES}/{BACKORDER}", notification.language, _context(notification))


def render_promise_moved(notification: Notification) -> tuple[str, str]:
    """The lines whose promise moved, as they were when it moved (the notification's context)."""
    context = _context(notification)
    context["moves"] = [
        {
            **move,
            "from": date.fromisoformat(move["from"]) if move["from"] else None,
            "to": date.fromisoformat(move["to"]),
        }
        for move in notification.context.get("moves", [])
    ]
    return notify.render_text(f"{TEMPLATES}/{promises.PROMISE_MOVED}", notification.language, context)
