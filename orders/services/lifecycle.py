"""Cancel, hold and release: transitions customer service (and the API) make by hand."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from oms.errors import InvalidTransition, ValidationFailed
from oms.i18n import join, part, part_n
from orders.models import Order, OrderEventKind, OrderLine, OrderStatus
from orders.services._common import clean_text, lock_order, require, transition
from orders.services.allocation import release_allocations, reserved_allocations
from orders.services.placement import stock_status


def order_cancel(*, order: Order, user, reason: str = "", now: datetime | None = None) -> Order:
    """Cancel an order that has not shipped (a draft, on hold, allocated, backordered or being
    picked): its reservations go back to stock and every line is marked cancelled (their
    quantities stay as they were, for the record). Totals stay what they were.

    Durable. Locks the order row, then (through ``stock_release``) its stock levels. Publishes
    ``order.cancelled``; orders' own handler then gives the released stock to waiting
    backorders. Raises ``InvalidTransition`` once anything shipped, ``ValidationFailed``
    (``reason`` too long).
    """
    reason = clean_text(reason, "reason", max_length=300, label="Reason")
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = lock_order(order.pk)
        require(locked, OrderStatus.CANCELLED)
        line_ids = list(OrderLine.objects.filter(order=locked).values_list("pk", flat=True))
        released = release_allocations(reserved_allocations(line_ids), now=now)
        OrderLine.objects.filter(order=locked, is_cancelled=False).update(is_cancelled=True)
        pieces = [
            part(gettext_noop("Cancelled: %(reason)s."), reason=reason) if reason else part(gettext_noop("Cancelled."))
        ]
        if released:
            pieces.append(
                part_n(
                    gettext_noop("%(count)s reserved unit back in stock."),
                    gettext_noop("%(count)s reserved units back in stock."),
                    released,
                )
            )
        message = join(pieces)
        transition(
            locked,
            OrderStatus.CANCELLED,
            user=user,
            kind=OrderEventKind.CANCELLED,
            message=message,
            data={"reason": reason, "released": released},
            now=now,
        )
    return locked


def order_hold(*, order: Order, user, reason: str, now: datetime | None = None) -> Order:
    """Put an order on hold (a credit or payment check): it keeps its reservations and gets
    backorders filled, but is not picked. Durable. Locks the order row. Publishes
    ``order.held``. Raises ``ValidationFailed`` (``reason`` required), ``InvalidTransition``."""
    reason = clean_text(reason, "reason", max_length=300, label="Reason")
    if not reason:
        raise ValidationFailed("Say why the order goes on hold.", code="required", field="reason")
    with transaction.atomic(durable=True):
        locked = lock_order(order.pk)
        transition(
            locked,
            OrderStatus.ON_HOLD,
            user=user,
            kind=OrderEventKind.HELD,
            message=part(gettext_noop("On hold: %(reason)s"), reason=reason),
            data={"reason": reason},
            now=now,
        )
    return locked


def order_release_hold(*, order: Order, user, now: datetime | None = None) -> Order:
    """Release a hold: the order becomes ``allocated`` or ``backordered`` by its lines. Durable.
    Locks the order row. Publishes ``order.allocated`` or ``order.backordered`` (so shipping
    may pick it). Raises ``InvalidTransition`` when the order is not on hold."""
    with transaction.atomic(durable=True):
        locked = lock_order(order.pk)
        if locked.status != OrderStatus.ON_HOLD:
            raise InvalidTransition(locked.status, "released", message=f"Order {locked.number} is not on hold.")
        target = stock_status(list(OrderLine.objects.filter(order=locked)))
        transition(locked, target, user=user, kind=OrderEventKind.HOLD_RELEASED, message="Hold released.", now=now)
    return locked
