"""The customer's e-mails about the order itself: the confirmation (promised date, lines, shipping
cost and total including VAT) on ``order.placed`` and a backorder notice with the new expected
date on ``order.backordered``. Both go through ``oms.notify`` (once per event, in the customer's
language, on the order timeline).

A backorder that is already part of the placement (the order was placed with lines waiting for
stock) is told in the confirmation; the notice is for orders that fall back to backordered
later. Both events of one placement share the transaction's timestamp, which is how the
handler tells them apart.
"""

from __future__ import annotations

from django.conf import settings

from oms import notify
from oms.models import Notification
from oms.money import quantize
from orders import selectors
from orders.models import OrderStatus

CONFIRMATION = "order_confirmation"
BACKORDER = "order_backordered"
TEMPLATES = "orders/notifications"


def register() -> None:
    notify.register_kind(notify.NotificationKind(CONFIRMATION, "Order confirmation", render_confirmation))
    notify.register_kind(notify.NotificationKind(BACKORDER, "Backorder notice", render_backorder))


def on_order_placed(event) -> None:
    """Handler of ``order.placed``: queue the order confirmation (once per order)."""
    order = selectors.order_get(event.payload["order_id"])
    notify.notification_queue(
        kind=CONFIRMATION,
        key=f"{CONFIRMATION}:order:{order.pk}",
        to_email=order.customer.email,
        language=order.customer.language,
        order_id=order.pk,
        customer_id=order.customer_id,
        context={
            "order_id": order.pk,
            "placed_in": event.created_at.isoformat() if event.created_at else "",
            "backordered": order.status == OrderStatus.BACKORDERED,
        },
    )


def on_order_backordered(event) -> None:
    """Handler of ``order.backordered``: queue a backorder notice (once per event), unless the
    confirmation of the same placement already tells it."""
    order = selectors.order_get(event.payload["order_id"])
    placed_in = event.created_at.isoformat() if event.created_at else None
    confirmation = Notification.objects.filter(key=f"{CONFIRMATION}:order:{order.pk}").values("context").first()
    if confirmation and placed_in and confirmation["context"].get("placed_in") == placed_in:
        return
    notify.notification_queue(
        kind=BACKORDER,
        key=f"{BACKORDER}:event:{event.id}",
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
    }


def render_confirmation(notification: Notification) -> tuple[str, str]:
    return notify.render_text(f"{TEMPLATES}/{CONFIRMATION}", notification.language, _context(notification))


def render_backorder(notification: Notification) -> tuple[str, str]:
    return notify.render_text(f"{TEMPLATES}/{BACKORDER}", notification.language, _context(notification))
