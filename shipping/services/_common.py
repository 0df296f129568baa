"""Helpers shared by the fulfilment services (not part of the public interface).

Lock order in shipping, so that no two use cases wait on each other in a circle: a trip, then
its stops, then the shipments of one order (by id), then (through orders' services) the order,
then stock levels. Nothing in shipping locks a shipment while it holds an order or stock row.
"""

from __future__ import annotations

from django.db import connection

from oms.errors import InvalidTransition, NotFound, ValidationFailed
from oms.numbering import format_number, next_value
from shipping.models import Shipment


def acting(user):
    """The user to record (None for anonymous users and workers)."""
    return user if getattr(user, "pk", None) else None


def next_number(sequence: str, prefix: str) -> str:
    return format_number(prefix, next_value(sequence))


def lock_order_shipments(order_id: int) -> dict[int, Shipment]:
    """Every shipment of an order, locked FOR UPDATE in id order, with carrier and customer.
    Deliveries of two parcels of one order then run one after the other, so the second sees the
    first and can tell that everything has arrived."""
    assert connection.in_atomic_block, "lock_order_shipments needs a transaction"
    rows = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("carrier", "customer")
        .filter(order_id=order_id)
        .order_by("id")
    )
    return {shipment.pk: shipment for shipment in rows}


def lock_shipment(shipment_id: int) -> Shipment:
    """One shipment locked FOR UPDATE, after the other shipments of its order (see above)."""
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(f"No shipment with id {shipment_id}.", field="shipment")
    shipment = lock_order_shipments(order_id).get(shipment_id)
    if shipment is None:  # moved to another order in between: cannot happen, order is immutable
        raise NotFound(f"No shipment with id {shipment_id}.", field="shipment")
    return shipment


def lock_open_trips_of(order_id: int) -> None:
    """Lock the trips on which the order's shipments have an open stop, before the shipments
    (trips come first in the lock order, as the driver's stop reports take them)."""
    from shipping.models import DeliveryTrip, StopStatus

    assert connection.in_atomic_block, "lock_open_trips_of needs a transaction"
    list(
        DeliveryTrip.objects.select_for_update()
        .filter(stops__shipment__order_id=order_id, stops__status=StopStatus.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )


def require(shipment: Shipment, target: str) -> None:
    if not shipment.can_transition_to(target):
        raise InvalidTransition(shipment.status, target, shipment=shipment.number)


def clean_text(value, field: str, *, max_length: int, label: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{label} must be text.", field=field)
    text = value.strip()
    if len(text) > max_length:
        raise ValidationFailed(f"{label} has at most {max_length} characters.", code="max_length", field=field)
    return text


def clean_count(value, field: str, *, label: str, minimum: int = 0, maximum: int = 10_000_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValidationFailed(f"{label} must be a whole number from {minimum} to {maximum:,}.", field=field)
    return value
