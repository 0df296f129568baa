"""The order's side of being paid through a link: the link itself, its e-mails, the reminder and
the cancellation of an order that is never paid. Billing makes the links and decides when to
remind and cancel (it knows the provider and the payments in flight); orders keeps what the
customer and customer service see (``Order.payment_url``, the timeline, the e-mails).

The confirmation e-mail and the link (ARCHITECTURE "Payment links"): an order that will get a
link (``order_expects_payment_link``) writes its confirmation held (``notify`` ``hold=True``);
the link's arrival (``order_payment_link_set``) releases it, and the confirmation is rendered
when sent, so it carries the link. Both take the order row lock, so the link never lands
between the confirmation handler's look and its write. A link that is refused, or slower than
the notification sweep's grace, lets the confirmation go without it; a link that arrives after
the confirmation went is sent in an e-mail of its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from oms import notify
from orders.models import PAID_BEFORE_PICKING, Order, OrderEventKind, OrderLine, OrderStatus
from orders.services._common import lock_order, save, timeline, transition
from orders.services.allocation import release_allocations, reserved_allocations

CONFIRMATION = "order_confirmation"
PAYMENT_LINK = "order_payment_link"
PAYMENT_REMINDER = "order_payment_reminder"
UNPAID_CANCELLED = "order_cancelled_unpaid"
RESEND_GAP = timedelta(minutes=1)  # a double click, or a second agent on the same order, sends one


def confirmation_key(order_id: int) -> str:
    return f"{CONFIRMATION}:order:{order_id}"


def reminder_key(order_id: int) -> str:
    return f"{PAYMENT_REMINDER}:order:{order_id}"


def order_expects_payment_link(order: Order) -> bool:
    """The order is paid through a provider link we make: payment links are on, the order came
    by phone or from the webshop, is paid before picking (iDEAL, card, Klarna, Riverty) and
    has something to pay."""
    return (
        bool(settings.OMS_PAYMENT_LINKS)
        and order.channel in settings.OMS_PAYMENT_LINK_CHANNELS
        and order.payment_method in PAID_BEFORE_PICKING
        and order.gross_amount > 0
    )


def _queue(kind: str, key: str, order: Order, *, hold: bool = False, context: dict | None = None):
    return notify.notification_queue(
        kind=kind,
        key=key,
        to_email=order.customer.email,
        language=order.customer.language,
        order_id=order.pk,
        customer_id=order.customer_id,
        context={"order_id": order.pk, **(context or {})},
        hold=hold,
    )


def order_confirmation_queue(*, order_id: int, context: dict) -> None:
    """Write the order confirmation once; held when a payment link is still being made. Locks
    the order row of such an order (against ``order_payment_link_set``). Not durable."""
    with transaction.atomic():
        order = Order.objects.select_related("customer").get(pk=order_id)
        hold = False
        if order_expects_payment_link(order):
            order = lock_order(order_id)  # only these wait for a link: lock against its arrival
            hold = not order.payment_url
        _queue(CONFIRMATION, confirmation_key(order.pk), order, hold=hold, context=context)


def order_payment_link_set(
    *, order_id: int, url: str, expires_at: datetime | None, purpose: str, link_id: int
) -> Order:
    """Billing made a payment link: keep it on the order, say so on the timeline, and get it to
    the customer: in the held confirmation (``purpose`` ``order``) or reminder (``reminder``), or
    on its own when that e-mail went already. A link asked for by customer service or the
    webshop (``renew``) is sent by them (read out, the resend button, the webshop's redirect).
    Not durable; locks the order row."""
    with transaction.atomic():
        order = lock_order(order_id)
        order.payment_url, order.payment_url_expires_at = url, expires_at
        save(order, "payment_url", "payment_url_expires_at")
        until = timezone.localtime(expires_at).strftime("%d-%m-%Y %H:%M") if expires_at else "-"
        timeline(
            order,
            OrderEventKind.PAYMENT,
            gettext_noop("Payment link made (valid until %(until)s)."),
            data={"payment_link_id": link_id, "url": url},
            params={"until": until},
        )
        if purpose in ("order", "reminder") and order.awaits_payment:
            _deliver(order, confirmation_key(order.pk) if purpose == "order" else reminder_key(order.pk), link_id)
    return order


def _deliver(order: Order, held: str, link_id: int) -> None:
    """The e-mail that waits for the link goes now; if it went already (the sweep's grace ran
    out), the link gets an e-mail of its own. Not written yet: it will be rendered with the link."""
    status = notify.notification_status(key=held)
    if status is None or notify.notification_release(key=held):
        return
    if status in ("sent", "queued"):
        # sent, or queued and not releasable: being sent right now, maybe rendered before the
        # link (a failed one is rendered again when retried, with the link)
        _queue(PAYMENT_LINK, f"{PAYMENT_LINK}:link:{link_id}", order)


def order_payment_link_missing(*, order_id: int, reason: str) -> None:
    """No link could be made: the held confirmation (or reminder) goes without one, and the
    timeline says why. Not durable; locks the order row."""
    with transaction.atomic():
        order = lock_order(order_id)
        timeline(
            order,
            OrderEventKind.NOTE,
            gettext_noop("No payment link: %(reason)s"),
            params={"reason": reason[:300]},
        )
        notify.notification_release(key=confirmation_key(order.pk))
        notify.notification_release(key=reminder_key(order.pk))


def order_payment_link_send(*, order: Order, user, now: datetime | None = None) -> bool:
    """Customer service's "resend": e-mail the order's current link to the customer, unless a
    link e-mail was written for the order in the last ``RESEND_GAP`` (a double click sends one,
    also across a minute's turn). Durable; the order row lock serialises the look and the write.
    Returns False when nothing was sent."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = lock_order(order.pk)
        if not locked.payment_url or not locked.awaits_payment:
            return False
        if notify.notification_written_since(kind=PAYMENT_LINK, order_id=locked.pk, since=now - RESEND_GAP):
            return False
        sent = _queue(PAYMENT_LINK, f"{PAYMENT_LINK}:order:{locked.pk}:{now:%Y%m%d%H%M%S%f}", locked)
        if sent is not None:
            timeline(locked, OrderEventKind.NOTE, gettext_noop("Payment link sent again."), user=user, params={})
    return sent is not None


def order_payment_reminder(*, order_id: int, wait_for_link: bool) -> bool:
    """Remind the customer of an unpaid order, once per order: an e-mail with the link (held
    while billing makes a fresh one, ``wait_for_link``) and a line on the timeline. Returns
    False when the order was reminded already or needs no reminder any more (paid, cancelled).
    Not durable; locks the order row."""
    with transaction.atomic():
        order = lock_order(order_id)
        if not order.awaits_payment:
            return False
        if _queue(PAYMENT_REMINDER, reminder_key(order.pk), order, hold=wait_for_link) is None:
            return False
        timeline(order, OrderEventKind.NOTE, gettext_noop("Payment reminder sent."), params={})
    return True


def order_cancel_unpaid(*, order_id: int, hours: int, now: datetime | None = None) -> Order | None:
    """Cancel an order that is still not paid ``hours`` after placing: its reserved stock goes
    back, the timeline says why, the customer is told. Conditional: under the order row lock it
    must still await payment and be cancellable, so a payment recorded first (it takes the same
    lock) wins and this returns None. Not durable (billing calls it under the customer's billing
    lock). Publishes ``order.cancelled``."""
    now = now or timezone.now()
    with transaction.atomic():
        order = lock_order(order_id)
        if not order.awaits_payment or not order.can_transition_to(OrderStatus.CANCELLED):
            return None
        line_ids = list(OrderLine.objects.filter(order=order).values_list("pk", flat=True))
        released = release_allocations(reserved_allocations(line_ids), now=now)
        OrderLine.objects.filter(order=order, is_cancelled=False).update(is_cancelled=True)
        reason = f"not paid within {hours} hours"
        transition(
            order,
            OrderStatus.CANCELLED,
            user=None,
            kind=OrderEventKind.CANCELLED,
            message=f"Cancelled: {reason}. {released} reserved unit{'s' if released != 1 else ''} back in stock.",
            data={"reason": reason, "released": released, "unpaid": True},
            now=now,
        )
        _queue(UNPAID_CANCELLED, f"{UNPAID_CANCELLED}:order:{order.pk}", order, context={"hours": hours})
    return order
