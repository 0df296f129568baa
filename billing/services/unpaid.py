"""Prepaid orders that are not paid: reminded after ``OMS_PAYMENT_REMINDER_HOURS``, cancelled after
``OMS_UNPAID_CANCEL_HOURS`` (both from placing), each once per order, by a beat task.

* Reminder. Once per order (the reminder e-mail's key is the claim, ``order_payment_reminder``).
  An order whose link has expired (or that never got one) asks for a fresh link first, and the
  reminder waits for it (held, released by the link), so the e-mail always carries a link
  that works.
* Cancellation. Under the customer's billing lock, the lock every payment is recorded under,
  so a payment and the cancellation never interleave: the order must still await payment
  (checked again under its row lock by ``order_cancel_unpaid``), and no webhook call about one
  of its payments may be waiting for its fetch (``PaymentFetch``): a payment that is arriving
  at this moment wins, and the next run looks again. Stock goes back, the customer is told,
  both on the timeline.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import LinkPurpose, LinkStatus, PaymentFetch, PaymentLink
from billing.services.locks import lock_customer_billing
from billing.services.payment_links import payment_link_request
from orders import selectors as order_selectors
from orders.models import PAID_BEFORE_PICKING
from orders.services import payment as order_payment

logger = logging.getLogger(__name__)
BATCH = 200


def unpaid_orders_chase(*, now: datetime | None = None) -> dict:
    """Remind and cancel what is due. Returns the counts. Safe to run twice at once (each step is
    claimed per order)."""
    now = now or timezone.now()
    cancelled = 0
    for row in order_selectors.open_orders_unpaid(
        payment_methods=PAID_BEFORE_PICKING,
        placed_before=now - timedelta(hours=settings.OMS_UNPAID_CANCEL_HOURS),
        limit=BATCH,
    ):
        cancelled += unpaid_order_cancel(order_id=row["id"], now=now)
    reminded = 0
    for row in order_selectors.open_orders_unpaid(
        payment_methods=PAID_BEFORE_PICKING,
        placed_before=now - timedelta(hours=settings.OMS_PAYMENT_REMINDER_HOURS),
        limit=BATCH,
    ):
        reminded += unpaid_order_remind(order_id=row["id"], now=now)
    return {"reminded": reminded, "cancelled": cancelled}


def unpaid_order_remind(*, order_id: int, now: datetime | None = None) -> bool:
    """Remind the customer once (with a link that works). Durable. True when a reminder was
    written now."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        order = order_selectors.order_get(order_id)
        needs_link = order_payment.order_expects_payment_link(order) and not _valid_link(order, now)
        if not order_payment.order_payment_reminder(order_id=order_id, wait_for_link=needs_link):
            return False
        if needs_link:
            payment_link_request(order=order, purpose=LinkPurpose.REMINDER)
    return True


def _valid_link(order, now: datetime) -> bool:
    """A link the customer can still pay with for a while (an hour's margin to read the mail)."""
    return bool(order.payment_url) and (
        order.payment_url_expires_at is None or order.payment_url_expires_at > now + timedelta(hours=1)
    )


def unpaid_order_cancel(*, order_id: int, now: datetime | None = None) -> bool:
    """Cancel the order when it is still unpaid and no payment of it is on its way. Durable.
    Takes the customer's billing lock, then the order row. True when it was cancelled now."""
    now = now or timezone.now()
    order = order_selectors.order_get(order_id)
    with transaction.atomic(durable=True):
        lock_customer_billing(order.customer_id)
        if _payment_arriving(order.pk):
            logger.info("unpaid orders: %s has a payment on its way; not cancelled", order.number)
            return False
        cancelled = order_payment.order_cancel_unpaid(
            order_id=order.pk, hours=settings.OMS_UNPAID_CANCEL_HOURS, now=now
        )
        if cancelled is not None:
            # its links are of no use any more; a payment through one is refunded by accounting
            PaymentLink.objects.filter(order_id=order.pk, status=LinkStatus.REQUESTED).update(
                status=LinkStatus.FAILED, error="order cancelled"
            )
    return cancelled is not None


def _payment_arriving(order_id: int) -> bool:
    """The provider called about one of the order's payments and the fetch has not finished."""
    ids = PaymentLink.objects.filter(order_id=order_id).exclude(provider_payment_id="")
    return PaymentFetch.objects.filter(payment_id__in=ids.values("provider_payment_id")).exists()
