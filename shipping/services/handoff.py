"""The carrier hand-off, one try at a time, run by a worker (``shipping.tasks.shipment_hand_off``).

A try:

1. claims the shipment: a conditional UPDATE of the shipment (packed, due, not in the exception
   list) and the claim of its ``oms.deliver_once`` delivery (kind ``shipping.handoff``: no other
   try running or that one's claim expired), which counts the attempt, so a task delivered
   twice, or the sweep and a retry at once, make one call to the carrier;
2. asks the carrier's adapter for the tracking number and label with the shipment's own
   idempotency key (the same on every try: a carrier that made the label already answers with
   the same one), outside any transaction;
3. stores the label file, then in one transaction marks the shipment handed off, issues the
   stock through orders (``order_record_shipment``), publishes ``shipment.handed_off`` and
   writes the customer's e-mail; or, when the try failed, records why and when the next one
   is due (the delivery's doubling back-off), and after ``OMS_CARRIER_HANDOFF_ATTEMPTS`` tries,
   or at once when the carrier refuses the shipment, puts it in the exception list, where a
   person may press *Retry* (``shipment_hand_off_retry``).

The shipment keeps the hand-off's visible state (tries, next try, error, gave up) for its pages
and the exception list; the delivery holds the claim and decides retry or give up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from oms import deliver_once, events
from oms.errors import Conflict, OmsError
from oms.i18n import english
from orders import selectors as orders_selectors
from orders import services as order_services
from orders.services.fulfilment import SHIPPABLE
from shipping.adapters import CarrierError, ParcelRequest
from shipping.carriers import adapter_for
from shipping.event_names import SHIPMENT_HANDED_OFF
from shipping.models import (
    HandoffAttempt,
    HandoffOutcome,
    NoticeKind,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
)
from shipping.services._common import lock_shipment
from shipping.services.notices import notice_create

logger = logging.getLogger(__name__)

# The sweep leaves a fresh hand-off to its own after-commit task.
SWEEP_GRACE = timedelta(seconds=60)
MAX_BACKOFF_SECONDS = 3600.0

HANDOFF = deliver_once.register(
    deliver_once.Kind(
        code="shipping.handoff",
        task="shipping.tasks.shipment_hand_off",
        label="Carrier hand-off",
        max_attempts=lambda: settings.OMS_CARRIER_HANDOFF_ATTEMPTS,
        # A try that has not finished after this long died with its worker; another may claim it.
        claim_timeout=timedelta(minutes=5),
        first_retry_seconds=lambda: settings.OMS_CARRIER_RETRY_SECONDS,
        max_retry_seconds=MAX_BACKOFF_SECONDS,
        sweep_grace=SWEEP_GRACE,
        own_rule=True,  # "shipping.handoff_failed" lists the shipment, with its Retry
    )
)
CLAIM_TIMEOUT = HANDOFF.claim_timeout


@dataclass(frozen=True)
class HandOffResult:
    outcome: str  # "handed_off", "retry", "failed" or "skipped"
    retry_in: float | None = None  # seconds until the next try, for "retry"
    message: str = ""


SKIPPED = HandOffResult("skipped")


def shipment_hand_off(*, shipment_id: int, adapter=None) -> HandOffResult:
    """One try to hand a packed shipment to its carrier (see the module docstring).

    Must run outside any transaction: it talks to the carrier and renders PDFs. Locks nothing
    while doing so; the final transaction updates the shipment (conditionally, on its claim),
    then locks the order and its stock levels (``order_record_shipment``). Publishes
    ``shipment.handed_off`` and, through orders, ``order.partially_shipped`` / ``order.shipped``.
    Never raises for a carrier failure: the result says what happened.
    """
    if _in_transaction():
        raise RuntimeError("shipment_hand_off talks to a carrier: call it outside a transaction")
    claimed_at = _claim(shipment_id)
    if claimed_at is None:
        return SKIPPED
    shipment = _load(shipment_id)
    problem = _order_problem(shipment)
    if problem:
        return _record_failure(shipment, claimed_at, problem, final=True)
    try:
        label = (adapter or adapter_for(shipment.carrier)).create_shipment(parcel_request(shipment))
    except CarrierError as exc:
        return _record_failure(shipment, claimed_at, exc.message, http_status=exc.http_status, final=not exc.retryable)
    except Exception as exc:  # a bug or a PDF failure must not leave the claim behind
        logger.exception("shipping: hand-off of %s failed unexpectedly", shipment.number)
        return _record_failure(shipment, claimed_at, f"{type(exc).__name__}: {exc}")
    name = default_storage.save(f"shipping/labels/{shipment.number}.pdf", ContentFile(label.pdf))
    try:
        done = _complete(shipment, claimed_at, label.tracking_number, name)
    except (OmsError, IntegrityError) as exc:
        default_storage.delete(name)
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        return _record_failure(shipment, claimed_at, f"Could not book the shipment: {message}", final=True)
    if not done:
        default_storage.delete(name)
        return SKIPPED
    return HandOffResult(HandoffOutcome.HANDED_OFF, message=label.tracking_number)


def _in_transaction() -> bool:
    """True inside a transaction of ours (a test case's wrapping transaction does not count, as
    Django's own durability check does not count it)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _claim(shipment_id: int) -> deliver_once.Claim | None:
    """The shipment's row first (it must still be packed and due; a cancel holding its lock is
    waited for), then the delivery's claim; the shipment shows the try's number."""
    now = timezone.now()
    with transaction.atomic():
        ready = Shipment.objects.filter(
            pk=shipment_id,
            status=ShipmentStatus.PACKED,
            handoff_failed_at__isnull=True,
            # a second of slack: the retry's countdown and the due time are taken a moment apart
            handoff_due_at__lte=now + timedelta(seconds=1),
        ).update(updated_at=F("updated_at"))
        claim = deliver_once.claim(HANDOFF.code, shipment_id) if ready else None
        if claim is not None:
            Shipment.objects.filter(pk=shipment_id).update(handoff_attempts=claim.attempts)
    return claim


def _load(shipment_id: int) -> Shipment:
    return (
        Shipment.objects.select_related("carrier", "service", "warehouse", "order", "customer", "packed_by")
        .prefetch_related("lines")
        .get(pk=shipment_id)
    )


def _order_problem(shipment: Shipment) -> str:
    """Why the order can no longer ship (cancelled meanwhile), before bothering the carrier."""
    order = orders_selectors.orders_by_ids([shipment.order_id])[shipment.order_id]
    if order.status not in SHIPPABLE:
        return f"Order {order.number} is {english(order.get_status_display()).lower()}; it cannot ship."
    return ""


def parcel_request(shipment: Shipment) -> ParcelRequest:
    warehouse = shipment.warehouse
    sender = {
        "name": f"{settings.OMS_SELLER.get('name', '')} ({warehouse.code})",
        "street": warehouse.street,
        "house_number": warehouse.house_number,
        "postal_code": warehouse.postal_code,
        "city": warehouse.city,
        "country": warehouse.country,
    }
    return ParcelRequest(
        reference=shipment.number,
        order=shipment.order.number,
        carrier_name=shipment.carrier.name,
        service_code=shipment.service.code,
        idempotency_key=str(shipment.handoff_key),
        sender=sender,
        recipient=dict(shipment.address),
        parcel_count=shipment.parcel_count,
        weight_grams=shipment.weight_grams,
        lines=[{"sku": line.sku, "quantity": line.quantity} for line in shipment.lines.all()],
        # the customer's choice at entry, when the parcel goes with the service it was made for
        pickup_point=_pickup_point(shipment),
    )


def _pickup_point(shipment: Shipment) -> dict | None:
    order = shipment.order
    if not order.pickup_point or (shipment.carrier.code, shipment.service.code) != (
        order.carrier_code,
        order.service_code,
    ):
        return None
    return dict(order.pickup_point)


def _complete(shipment: Shipment, claim: deliver_once.Claim, tracking_number: str, label_name: str) -> bool:
    """Book the hand-off; False when this try lost its claim (another finished, or it was cancelled)."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        moved = Shipment.objects.filter(pk=shipment.pk, status=ShipmentStatus.PACKED).update(
            status=ShipmentStatus.HANDED_OFF, tracking_number=tracking_number, label=label_name, handed_off_at=now,
            handoff_due_at=None, handoff_error="", updated_at=now,
        )  # fmt: skip
        if not (moved and deliver_once.succeed(claim, {"tracking_number": tracking_number})):
            transaction.set_rollback(True)
            return False
        order_services.order_record_shipment(
            order=shipment.order,
            lines=[(line.order_line_id, line.quantity) for line in shipment.lines.all()],
            user=shipment.packed_by,
            warehouse_id=shipment.warehouse_id,
            reference=shipment.number,
            now=now,
        )
        _attempt(shipment, claim, HandoffOutcome.HANDED_OFF, tracking_number)
        TrackingEvent.objects.create(
            shipment=shipment, carrier=shipment.carrier, event_id=f"oms-handoff-{shipment.handoff_key}",
            status=ShipmentStatus.HANDED_OFF, occurred_at=now, description=f"Handed to {shipment.carrier.name}",
            applied=True,
        )  # fmt: skip
        shipment.status, shipment.tracking_number = ShipmentStatus.HANDED_OFF, tracking_number
        events.publish(SHIPMENT_HANDED_OFF, {"shipment_id": shipment.pk, "order_id": shipment.order_id})
        notice_create(shipment, NoticeKind.HANDED_OFF)
    return True


def _attempt(shipment: Shipment, claim: deliver_once.Claim, outcome: str, message: str = "", http_status=None) -> None:
    HandoffAttempt.objects.create(
        shipment=shipment,
        number=claim.attempts,
        started_at=claim.started_at,
        outcome=outcome,
        http_status=http_status,
        message=message[:500],
    )


def backoff_seconds(attempts: int) -> float:
    return deliver_once.backoff_seconds(HANDOFF, attempts)


def _record_failure(
    shipment: Shipment,
    claim: deliver_once.Claim,
    message: str,
    *,
    http_status: int | None = None,
    final: bool = False,
) -> HandOffResult:
    now = timezone.now()
    with transaction.atomic(durable=True):
        lock_shipment(shipment.pk)  # the shipment before its delivery, as a claim takes them
        failure = deliver_once.fail(claim, message, final=final)
        outcome = HandoffOutcome.FAILED if failure.final else HandoffOutcome.RETRY
        if failure.recorded:
            Shipment.objects.filter(pk=shipment.pk).update(
                handoff_error=message[:500],
                handoff_failed_at=now if failure.final else None,
                handoff_due_at=None if failure.final else now + timedelta(seconds=failure.retry_in),
            )
            _attempt(shipment, claim, outcome, message, http_status)
    log = logger.error if failure.final else logger.warning
    log(
        "shipping: hand-off of %s, try %s: %s%s",
        shipment.number,
        claim.attempts,
        message,
        " (gave up)" if failure.final else "",
    )
    if not failure.recorded:
        return SKIPPED
    return HandOffResult(outcome, retry_in=failure.retry_in, message=message)


def queue_hand_off(shipment_id: int, countdown: float | None = None) -> bool:
    """Hand the try to the broker; never raises (the sweep picks up what could not be queued)."""
    return deliver_once.queue_try(HANDOFF.code, shipment_id, countdown=countdown)


def shipment_hand_off_retry(*, shipment_id: int, user) -> Shipment:
    """*Retry* in the exception list: a fresh set of tries, the first at once (after commit).

    Durable. Locks the shipment. Raises ``Conflict`` ``not_in_exception_list`` unless the
    shipment is packed and its hand-off gave up (or is waiting for its next try)."""
    with transaction.atomic(durable=True):
        shipment = lock_shipment(shipment_id)
        waiting = shipment.status == ShipmentStatus.PACKED and (
            shipment.handoff_failed_at is not None or shipment.handoff_due_at is not None
        )
        if not waiting or hand_off_running(shipment.pk):
            raise Conflict(f"{shipment.number} is not waiting for a hand-off.", code="not_in_exception_list")
        shipment.handoff_attempts = 0
        shipment.handoff_failed_at = None
        shipment.handoff_due_at = timezone.now()
        shipment.save(update_fields=["handoff_attempts", "handoff_failed_at", "handoff_due_at"])
        if not deliver_once.retry(HANDOFF.code, shipment.pk, due_at=shipment.handoff_due_at):
            transaction.on_commit(partial(queue_hand_off, shipment.pk))  # never tried yet
    return shipment


def hand_off_running(shipment_id: int) -> bool:
    """A try of this shipment's hand-off is running now (its claim has not expired)."""
    return bool(deliver_once.live_claims(HANDOFF.code, [shipment_id]))


def hand_offs_sweep(*, limit: int = 200) -> int:
    """Queue the tries that are due but whose task was lost (broker down at commit, a worker
    killed, quick-start mode without a broker). Returns how many were queued."""
    now = timezone.now()
    ids = list(
        Shipment.objects.filter(
            status=ShipmentStatus.PACKED,
            handoff_failed_at__isnull=True,
            handoff_due_at__lte=now - SWEEP_GRACE,
        )
        .order_by("handoff_due_at")
        .values_list("id", flat=True)[:limit]
    )
    running = deliver_once.live_claims(HANDOFF.code, ids)
    ids = [shipment_id for shipment_id in ids if str(shipment_id) not in running]
    for shipment_id in ids:
        if not queue_hand_off(shipment_id):
            break
    return len(ids)
