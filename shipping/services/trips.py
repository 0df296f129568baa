"""The own fleet: vehicles, and delivery trips planned from packed own-fleet shipments by weight.

Planning takes the warehouse's packed own-fleet shipments (and failed ones, for a second
attempt) that are on no open trip, in postcode order (a rough route), and puts on the trip
each that still fits the vehicle's capacity. Dispatching the trip makes its packed shipments'
hand-off due (our own label and tracking number, the stock issued); the driver's stops are then
marked delivered or failed, which moves the shipments as a carrier's report would.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from oms.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from oms.i18n import english
from shipping.models import (
    TRIP_NUMBER_SEQUENCE,
    Carrier,
    DeliveryTrip,
    Shipment,
    ShipmentStatus,
    StopStatus,
    TrackingEvent,
    TripStatus,
    TripStop,
    Vehicle,
)
from shipping.services import stored_pdf
from shipping.services._common import acting, clean_count, clean_text, lock_order_shipments, next_number
from shipping.services.handoff import queue_hand_off
from shipping.services.tracking import apply_status

MAX_CAPACITY_GRAMS = 40_000_000  # a 40 t truck
MANIFEST_TASK = "shipping.tasks.trip_manifest_render"


def vehicle_save(
    *,
    user,
    vehicle_id: int | None = None,
    code: str,
    name: str,
    carrier_id: int,
    warehouse_id: int,
    capacity_grams: int,
    registration: str = "",
    active: bool = True,
) -> Vehicle:
    """Create a vehicle of an own-fleet carrier based at a warehouse, or update one.

    Durable. Locks the vehicle when updating. Raises ``ValidationFailed`` (capacity, a carrier
    that is not an own fleet), ``Conflict`` ``duplicate_code``, ``NotFound``."""
    values = _vehicle_values(code, name, registration, capacity_grams)
    values.update(carrier_id=carrier_id, warehouse_id=warehouse_id, active=bool(active))
    carrier = Carrier.objects.filter(pk=carrier_id).first()
    if carrier is None or not carrier.is_own_fleet:
        raise ValidationFailed("A vehicle belongs to an own-fleet carrier.", code="not_own_fleet", field="carrier")
    try:
        with transaction.atomic(durable=True):
            if vehicle_id is None:
                return Vehicle.objects.create(**values)
            vehicle = Vehicle.objects.select_for_update().filter(pk=vehicle_id).first()
            if vehicle is None:
                raise NotFound("No such vehicle.")
            for field, value in values.items():
                setattr(vehicle, field, value)
            vehicle.save(update_fields=list(values))
            return vehicle
    except IntegrityError as exc:
        raise Conflict(f"Vehicle code {values['code']!r} is taken.", code="duplicate_code", field="code") from exc


def _vehicle_values(code, name, registration, capacity_grams) -> dict:
    values = {
        "code": clean_text(code, "code", max_length=30, label="Code").lower(),
        "name": clean_text(name, "name", max_length=100, label="Name"),
        "registration": clean_text(registration, "registration", max_length=20, label="Registration").upper(),
        "capacity_grams": clean_count(
            capacity_grams, "capacity_grams", label="Capacity (g)", minimum=1, maximum=MAX_CAPACITY_GRAMS
        ),
    }
    if not values["code"] or not values["name"]:
        raise ValidationFailed("Give the vehicle a code and a name.", code="required", field="code")
    return values


def trip_plan(*, vehicle_id: int, day: date, user, shipment_ids: Iterable[int] | None = None, now=None) -> DeliveryTrip:
    """Plan a trip for a vehicle on ``day``: the chosen shipments (all must fit), or else as many
    waiting shipments as fit, in postcode order.

    Durable. Locks the vehicle, then the candidate shipments (``SKIP LOCKED``: two planners at
    once get different shipments; the unique open-stop index is the backstop). Publishes
    nothing. Raises ``NotFound``, ``ValidationFailed`` (inactive vehicle), ``Conflict``
    ``nothing_to_plan`` / ``over_capacity``. With a worker, the manifest's render is queued after
    commit (``trip_manifest_render``)."""
    chosen = sorted(set(shipment_ids)) if shipment_ids is not None else None
    with transaction.atomic(durable=True):
        vehicle = Vehicle.objects.select_for_update().select_related("carrier").filter(pk=vehicle_id).first()
        if vehicle is None:
            raise NotFound("No such vehicle.", field="vehicle")
        if not vehicle.active:
            raise ValidationFailed(f"{vehicle} is not in use.", code="inactive_vehicle", field="vehicle")
        candidates = _candidates(vehicle, chosen)
        load = _fill(vehicle, candidates, strict=chosen is not None)
        if not load:
            raise Conflict("No packed own-fleet shipment is waiting for a trip.", code="nothing_to_plan")
        trip = DeliveryTrip.objects.create(
            number=next_number(TRIP_NUMBER_SEQUENCE, "TR"), vehicle=vehicle, warehouse_id=vehicle.warehouse_id,
            date=day, capacity_grams=vehicle.capacity_grams, weight_grams=sum(s.weight_grams for s in load),
            created_by=acting(user), created_at=now or timezone.now(),
        )  # fmt: skip
        TripStop.objects.bulk_create(
            TripStop(trip=trip, shipment=shipment, sequence=number) for number, shipment in enumerate(load, start=1)
        )
        stored_pdf.pdf_queue_on_commit(MANIFEST_TASK, trip_id=trip.pk)
    return trip


def trip_manifest_render(*, trip_id: int) -> bool:
    """Render the driver's manifest with WeasyPrint and store it with the stamp of what it shows
    (``selectors.trip_manifest_stamp``; ``stored_pdf.pdf_store``). True when this call stored a
    PDF; False when the stored one still agrees with the trip, or a concurrent run stored first.
    Publishes no event. Raises ``NotFound`` for an unknown trip."""
    from shipping import documents
    from shipping.selectors import fulfilment as selectors

    trip = selectors.trip_get(trip_id)
    return stored_pdf.pdf_store(
        trip,
        stamp=selectors.trip_manifest_stamp(trip),
        render=lambda: documents.trip_manifest_pdf(trip, list(trip.stops.all())),
    )


def trip_candidates(vehicle: Vehicle):
    """Shipments a trip of this vehicle may take: packed (or failed once) own-fleet shipments of
    its carrier at its warehouse that are on no open stop, in postcode order."""
    on_a_trip = TripStop.objects.filter(shipment=OuterRef("pk"), status=StopStatus.PENDING)
    return (
        Shipment.objects.filter(
            carrier_id=vehicle.carrier_id,
            warehouse_id=vehicle.warehouse_id,
            status__in=[ShipmentStatus.PACKED, ShipmentStatus.FAILED],
        )
        .exclude(Exists(on_a_trip))
        .order_by("address__postal_code", "id")
    )


def _candidates(vehicle: Vehicle, chosen: list[int] | None) -> list[Shipment]:
    qs = trip_candidates(vehicle)
    if chosen is not None:
        qs = qs.filter(pk__in=chosen)
    found = list(qs.select_for_update(skip_locked=True, of=("self",)))
    if chosen is not None and len(found) != len(chosen):
        raise Conflict("Some of these shipments are not waiting for a trip any more.", code="nothing_to_plan")
    return found


def _fill(vehicle: Vehicle, candidates: list[Shipment], *, strict: bool) -> list[Shipment]:
    load, weight = [], 0
    for shipment in candidates:
        if weight + shipment.weight_grams <= vehicle.capacity_grams:
            load.append(shipment)
            weight += shipment.weight_grams
        elif strict:
            raise Conflict(
                f"These shipments weigh more than {vehicle} carries ({vehicle.capacity_kg} kg).",
                code="over_capacity",
            )
    return load


def _lock_trip(trip_id: int, *statuses: str) -> DeliveryTrip:
    trip = DeliveryTrip.objects.select_for_update().select_related("vehicle").filter(pk=trip_id).first()
    if trip is None:
        raise NotFound("No such trip.", field="trip")
    if trip.status not in statuses:
        raise InvalidTransition(
            trip.status, statuses[0], message=f"{trip.number} is {english(trip.get_status_display())}."
        )
    return trip


def trip_dispatch(*, trip_id: int, user, now=None) -> DeliveryTrip:
    """The van leaves: the trip is on the road and the hand-off of its packed shipments is due
    (queued after commit; it issues their stock and e-mails the customers). Failed shipments on
    a second attempt were handed off before. Durable. Locks the trip. Raises
    ``InvalidTransition`` (not planned), ``Conflict`` ``empty_trip``."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        trip = _lock_trip(trip_id, TripStatus.PLANNED)
        ids = list(trip.stops.filter(status=StopStatus.PENDING).values_list("shipment_id", flat=True))
        if not ids:
            raise Conflict(f"{trip.number} has no stops.", code="empty_trip")
        due = list(
            Shipment.objects.filter(pk__in=ids, status=ShipmentStatus.PACKED)
            .order_by("id")
            .values_list("id", flat=True)
        )
        Shipment.objects.filter(pk__in=due).update(handoff_due_at=now)
        trip.status, trip.dispatched_at = TripStatus.DISPATCHED, now
        trip.save(update_fields=["status", "dispatched_at"])
        for shipment_id in due:
            transaction.on_commit(partial(queue_hand_off, shipment_id))
    return trip


def trip_cancel(*, trip_id: int, user) -> DeliveryTrip:
    """Call off a planned trip: its shipments wait for another. Durable. Locks the trip."""
    with transaction.atomic(durable=True):
        trip = _lock_trip(trip_id, TripStatus.PLANNED)
        trip.stops.filter(status=StopStatus.PENDING).update(status=StopStatus.CANCELLED)
        trip.status, trip.weight_grams = TripStatus.CANCELLED, 0
        trip.save(update_fields=["status", "weight_grams"])
    return trip


def trip_stop_complete(*, stop_id: int, delivered: bool, user, note: str = "", now=None) -> TripStop:
    """The driver reports a stop: delivered, or not (``note`` says why). The shipment moves as a
    carrier's report would move it (delivered: ``shipment.delivered``, the customer's e-mail, the
    order delivered when it was the last parcel). The trip completes with its last stop.

    Durable. Locks the trip, the stop, the order's shipments, then (delivered) the order.
    Raises ``InvalidTransition`` (trip not on the road, stop done), ``Conflict``
    ``not_handed_off`` (the hand-off has not run yet), ``ValidationFailed`` (note)."""
    note = clean_text(note, "note", max_length=300, label="Note")
    now = now or timezone.now()
    stop_trip = TripStop.objects.filter(pk=stop_id).values_list("trip_id", flat=True).first()
    if stop_trip is None:
        raise NotFound("No such stop.", field="stop")
    with transaction.atomic(durable=True):
        trip = _lock_trip(stop_trip, TripStatus.DISPATCHED)
        stop = TripStop.objects.select_for_update().select_related("shipment").get(pk=stop_id)
        if stop.status != StopStatus.PENDING:
            raise InvalidTransition(stop.status, "done", message="This stop is done already.")
        siblings = lock_order_shipments(stop.shipment.order_id)
        shipment = siblings[stop.shipment_id]
        if shipment.status not in (ShipmentStatus.HANDED_OFF, ShipmentStatus.IN_TRANSIT, ShipmentStatus.FAILED):
            raise Conflict(f"{shipment.number} is not handed off yet; wait a moment.", code="not_handed_off")
        status = ShipmentStatus.DELIVERED if delivered else ShipmentStatus.FAILED
        _report(shipment, siblings, stop, status, note, now, user)
        stop.status = StopStatus.DELIVERED if delivered else StopStatus.FAILED
        stop.note, stop.done_at = note, now
        stop.save(update_fields=["status", "note", "done_at"])
        if not trip.stops.filter(status=StopStatus.PENDING).exists():
            trip.status, trip.completed_at = TripStatus.COMPLETED, now
            trip.save(update_fields=["status", "completed_at"])
    return stop


def _report(shipment, siblings, stop, status, note, now, user) -> None:
    applied = apply_status(shipment, siblings, status, now, user=user)
    TrackingEvent.objects.create(
        shipment=shipment, carrier=shipment.carrier, event_id=f"oms-stop-{stop.pk}", status=status,
        occurred_at=now, description=note or f"Trip {stop.trip.number}, stop {stop.sequence}", applied=applied,
    )  # fmt: skip
