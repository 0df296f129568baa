"""Status reports about shipments: carriers' tracking webhooks and the stops of our own trips.

A report is recorded once per carrier event id (a repeated webhook changes nothing) and moves
the shipment only forward (``TRACKING_RANK``: handed off < in transit < failed < delivered <
returned), so a late "in transit" after "delivered" is recorded but not applied. Delivered
publishes ``shipment.delivered`` and e-mails the customer; when every parcel of a fully
shipped order has arrived, the order moves to ``delivered`` (orders' ``order_mark_delivered``,
which also completes an order that is paid).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from oms import events
from oms.errors import NotFound, ValidationFailed
from orders import selectors as orders_selectors
from orders import services as order_services
from orders.models import OrderStatus
from shipping.event_names import SHIPMENT_DELIVERED, SHIPMENT_FAILED
from shipping.models import (
    SHIPPED_STATUSES,
    TRACKING_RANK,
    NoticeKind,
    ReturnReason,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
)
from shipping.services._common import clean_text, lock_order_shipments
from shipping.services.notices import notice_create

REPORTABLE = tuple(TRACKING_RANK)


@dataclass(frozen=True)
class TrackingResult:
    shipment: Shipment
    event: TrackingEvent | None
    applied: bool
    duplicate: bool = False


def tracking_event_record(
    *,
    carrier_id: int,
    event_id: str,
    tracking_number: str,
    status: str,
    occurred_at: datetime,
    description: str = "",
    location: str = "",
    user=None,
) -> TrackingResult:
    """Record a carrier's status report for the shipment with ``tracking_number``.

    Durable. Locks the shipments of the shipment's order (id order), then, when the order is
    delivered, the order. Publishes ``shipment.delivered`` / ``shipment.failed`` (and through
    orders ``order.delivered``, ``order.completed``). Raises ``ValidationFailed`` (status, event
    id, time) and ``NotFound`` (no shipment of this carrier with that tracking number).
    """
    event_id = clean_text(event_id, "event_id", max_length=100, label="Event id")
    if not event_id:
        raise ValidationFailed("Every report needs its event id.", code="required", field="event_id")
    values = {
        "carrier_id": carrier_id,
        "event_id": event_id,
        "status": _clean_status(status),
        "occurred_at": _aware(occurred_at),
        "description": clean_text(description, "description", max_length=300, label="Description"),
        "location": clean_text(location, "location", max_length=100, label="Location"),
    }
    with transaction.atomic(durable=True):
        siblings, shipment = _lock(carrier_id, (tracking_number or "").strip())
        if TrackingEvent.objects.filter(carrier_id=carrier_id, event_id=event_id).exists():
            return TrackingResult(shipment, None, applied=False, duplicate=True)
        try:
            with transaction.atomic():
                event = TrackingEvent.objects.create(shipment=shipment, **values)
        except IntegrityError:  # the same event under a different tracking number: still a repeat
            return TrackingResult(shipment, None, applied=False, duplicate=True)
        if apply_status(shipment, siblings, values["status"], values["occurred_at"], user=user):
            event.applied = True
            event.save(update_fields=["applied"])
    return TrackingResult(shipment, event, event.applied)


def _lock(carrier_id: int, tracking_number: str) -> tuple[dict[int, Shipment], Shipment]:
    """The shipments of the order of the shipment with this tracking number, locked; and it."""
    order_id = (
        Shipment.objects.filter(carrier_id=carrier_id, tracking_number=tracking_number)
        .values_list("order_id", flat=True)
        .first()
    )
    if not tracking_number or order_id is None:
        raise NotFound(f"No shipment with tracking number {tracking_number!r}.", field="tracking_number")
    siblings = lock_order_shipments(order_id)
    return siblings, next(s for s in siblings.values() if s.tracking_number == tracking_number)


def _clean_status(status) -> str:
    if status not in REPORTABLE:
        raise ValidationFailed(
            f"Status must be one of: {', '.join(REPORTABLE)}.", code="invalid_status", field="status"
        )
    return status


def _aware(value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationFailed("Give the time of the event.", code="invalid_time", field="occurred_at")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def apply_status(shipment: Shipment, siblings: dict[int, Shipment], status: str, when: datetime, *, user) -> bool:
    """Move a locked, handed-off shipment forward to ``status``; False when that would not be
    forward. Runs in the caller's transaction (tracking reports and own-fleet stops)."""
    if shipment.status not in SHIPPED_STATUSES or TRACKING_RANK[status] <= TRACKING_RANK[shipment.status]:
        return False
    shipment.status = status
    shipment.updated_at = timezone.now()
    fields = ["status", "updated_at"]
    if status == ShipmentStatus.DELIVERED:
        shipment.delivered_at = when
        fields.append("delivered_at")
    shipment.save(update_fields=fields)
    payload = {"shipment_id": shipment.pk, "order_id": shipment.order_id}
    if status == ShipmentStatus.DELIVERED:
        events.publish(SHIPMENT_DELIVERED, payload)
        notice_create(shipment, NoticeKind.DELIVERED)
        _order_delivered_if_all_arrived(shipment.order_id, siblings, user)
    elif status == ShipmentStatus.FAILED:
        events.publish(SHIPMENT_FAILED, payload)
    elif status == ShipmentStatus.RETURNED:
        from shipping.services.returns import return_register_for_shipment

        return_register_for_shipment(shipment, reason=ReturnReason.UNDELIVERABLE, user=user)
    return True


def _order_delivered_if_all_arrived(order_id: int, siblings: dict[int, Shipment], user) -> None:
    """Every unit shipped (the order is ``shipped``) and every parcel that left has arrived."""
    live = [s for s in siblings.values() if s.status != ShipmentStatus.CANCELLED]
    if any(s.status != ShipmentStatus.DELIVERED for s in live):
        return
    order = orders_selectors.orders_by_ids([order_id])[order_id]
    if order.status == OrderStatus.SHIPPED:
        order_services.order_mark_delivered(order=order, user=user)
