"""Reads for fulfilment: the pick queue, pick lists, shipments, the exception list, trips,
returns, the panels on the order and customer pages and the order API's ``shipments`` array.
Each runs a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Aggregate, Count, Exists, F, FloatField, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Extract
from django.utils import timezone

from oms.errors import NotFound
from oms.numbers import plain_int
from orders import selectors as orders_selectors
from orders.models import AWAITING_PAYMENT, Order, OrderStatus
from shipping.models import (
    OPEN_STATUSES,
    DeliveryTrip,
    HandoffAttempt,
    PickList,
    PickListLine,
    Return,
    ReturnStatus,
    Shipment,
    ShipmentStatus,
    StopStatus,
    TrackingEvent,
    TripStatus,
    TripStop,
    Vehicle,
)

# Orders the warehouse may start picking (orders' ``order_start_picking`` accepts these).
PICKABLE = (OrderStatus.ALLOCATED, OrderStatus.BACKORDERED, OrderStatus.PARTIALLY_SHIPPED)


# --- pick queue and pick lists ---------------------------------------------------------------------


def pick_queue(warehouse_id: int) -> QuerySet[Order]:
    """Orders with stock reserved in the warehouse that may be picked, oldest first: allocated,
    the reserved part of backordered and partially shipped orders that ship as available, and
    ship-complete orders once nothing waits; not those with a box being packed here, nor those
    paid before picking whose payment is not in (``awaiting_payment``). The caller
    pages (one query per page)."""
    open_here = Shipment.objects.filter(warehouse_id=warehouse_id, status__in=OPEN_STATUSES).values("order_id")
    return orders_selectors.orders_with_stock_reserved(
        warehouse_id=warehouse_id, statuses=PICKABLE, exclude_ids=open_here
    ).exclude(AWAITING_PAYMENT)


def awaiting_payment(warehouse_id: int, *, limit: int = 20) -> list[Order]:
    """Orders with stock reserved here that would be in the pick queue but wait for their
    payment (iDEAL, card, Klarna, Riverty not yet paid), oldest first: the queue names them."""
    return list(
        orders_selectors.orders_with_stock_reserved(warehouse_id=warehouse_id, statuses=PICKABLE).filter(
            AWAITING_PAYMENT
        )[:limit]
    )


def orders_to_pack(warehouse_id: int, *, limit: int = 100) -> list[Order]:
    """Orders being picked with stock reserved here (the pack screen's list), oldest first."""
    return list(
        orders_selectors.orders_with_stock_reserved(warehouse_id=warehouse_id, statuses=[OrderStatus.PICKING])[:limit]
    )


@dataclass
class PickUnits:
    lines: int = 0
    units: int = 0
    skus: list[str] = field(default_factory=list)


def units_to_pick(orders: list[Order], warehouse_id: int) -> dict[int, PickUnits]:
    """Per order of a page: its lines and units reserved in the warehouse (one query)."""
    found: dict[int, PickUnits] = defaultdict(PickUnits)
    seen: set[int] = set()
    allocations = orders_selectors.reserved_allocations(order_ids=[o.pk for o in orders], warehouse_id=warehouse_id)
    for allocation in allocations:
        line = allocation.order_line
        row = found[line.order_id]
        row.units += allocation.quantity
        if line.pk not in seen:
            seen.add(line.pk)
            row.lines += 1
            row.skus.append(line.sku)
    return dict(found)


def pick_lists_recent(warehouse_id: int, *, limit: int = 10) -> list[PickList]:
    return list(PickList.objects.filter(warehouse_id=warehouse_id).select_related("created_by").order_by("-id")[:limit])


def pick_list_get(pick_list_id: int) -> PickList:
    """The pick list with its warehouse and lines (by SKU). Two queries. Raises ``NotFound``."""
    lines = PickListLine.objects.select_related("order").order_by("sku", "order_id", "id")
    pick_list = (
        PickList.objects.select_related("warehouse", "created_by")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .filter(pk=pick_list_id)
        .first()
    )
    if pick_list is None:
        raise NotFound("No such pick list.")
    return pick_list


@dataclass
class PickRow:
    sku: str
    name: str
    total: int
    orders: list[tuple[str, int]]  # (order number, units)


def pick_rows(pick_list: PickList) -> list[PickRow]:
    """One row per SKU, sorted by SKU, with the units per order (from ``pick_list_get``; no query)."""
    rows: dict[str, PickRow] = {}
    for line in pick_list.lines.all():
        row = rows.setdefault(line.sku, PickRow(line.sku, line.name, 0, []))
        row.total += line.quantity
        row.orders.append((line.order.number, line.quantity))
    return [rows[sku] for sku in sorted(rows)]


def pick_list_orders(pick_list: PickList) -> list[Order]:
    """The orders of a pick list, in order of number (from ``pick_list_get``; no query)."""
    orders = {line.order_id: line.order for line in pick_list.lines.all()}
    return sorted(orders.values(), key=lambda order: order.pk)


def pick_list_notes(pick_list: PickList) -> list[tuple[str, str]]:
    """The orders' notes for the warehouse as ``(order number, note)`` (from ``pick_list_get``;
    no query)."""
    return [(order.number, order.notes) for order in pick_list_orders(pick_list) if order.notes]


def pick_list_pdf_stamp(pick_list: PickList) -> str:
    """A digest of everything the printed pick list shows (number, warehouse, lines, notes), so
    that a stored PDF is served only while it agrees with the pick list (no query)."""
    parts = [pick_list.number, pick_list.warehouse.code]
    parts += [f"{line.pk}:{line.sku}:{line.name}:{line.order.number}:{line.quantity}" for line in pick_list.lines.all()]
    parts += [f"{number}:{note}" for number, note in pick_list_notes(pick_list)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


# --- shipments -------------------------------------------------------------------------------------


def _shipments() -> QuerySet[Shipment]:
    return Shipment.objects.select_related("order", "customer", "carrier", "service", "warehouse")


def shipment_get(shipment_id: int) -> Shipment:
    """A shipment with its order, customer, carrier, service, warehouse, lines, hand-off tries,
    tracking events, notices, trip stops and returns. Seven queries. Raises ``NotFound``."""
    shipment = (
        _shipments()
        .select_related("packed_by")
        .prefetch_related(
            "lines",
            Prefetch("attempts", queryset=HandoffAttempt.objects.order_by("id")),
            Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("occurred_at", "id")),
            "notices",
            Prefetch("stops", queryset=TripStop.objects.select_related("trip").order_by("id")),
            Prefetch("returns", queryset=Return.objects.order_by("id")),
        )
        .filter(pk=shipment_id)
        .first()
    )
    if shipment is None:
        raise NotFound("No such shipment.")
    return shipment


def shipment_get_by_number(number: str) -> Shipment:
    shipment_id = Shipment.objects.filter(number=_number("SH", number or "")).values_list("id", flat=True).first()
    if shipment_id is None:
        raise NotFound(f"No shipment {number!r}.")
    return shipment_get(shipment_id)


def shipment_for_packing(shipment_id: int) -> Shipment:
    """A shipment on the pack screen with its order, customer, warehouse and lines. Two queries."""
    shipment = (
        Shipment.objects.select_related("order", "customer", "warehouse", "carrier", "service")
        .prefetch_related("lines")
        .filter(pk=shipment_id)
        .first()
    )
    if shipment is None:
        raise NotFound("No such shipment.")
    return shipment


def shipment_list(
    *,
    status: str = "",
    warehouse_id: int | None = None,
    carrier_id: int | None = None,
    search: str = "",
    handed_off_on: date | None = None,
) -> QuerySet[Shipment]:
    """Shipments newest first, filtered (index ``shipment_status_idx`` for the status,
    ``shipment_handed_off_idx`` for the day handed to the carrier); the caller pages. A search
    is a shipment or order number or a tracking number."""
    qs = _shipments().order_by("-id")
    if handed_off_on:
        start = timezone.make_aware(datetime.combine(handed_off_on, datetime.min.time()))
        qs = qs.filter(handed_off_at__gte=start, handed_off_at__lt=start + timedelta(days=1))
    if status:
        qs = qs.filter(status=status)
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    if carrier_id:
        qs = qs.filter(carrier_id=carrier_id)
    if search.strip():
        q = search.strip()
        qs = qs.filter(Q(number=_number("SH", q)) | Q(tracking_number=q) | Q(order_id__in=_orders_matching(q)))
    return qs


def _number(prefix: str, text: str) -> str:
    """``sh-12`` and ``12`` -> ``SH-000012``, as people type numbers into a search box."""
    text = text.strip().upper()
    digits = text.removeprefix(f"{prefix}-")
    number = plain_int(digits)
    return f"{prefix}-{number:06d}" if number is not None else text


def _orders_matching(q: str):
    """Ids of the orders orders' own search finds (number, reference, postcode, customer)."""
    return orders_selectors.order_list(search=q).values("id")[:200]


def shipment_exceptions() -> list[Shipment]:
    """Packed shipments whose hand-off gave up, oldest failure first, with the last try's answer."""
    return list(
        _shipments()
        .filter(status=ShipmentStatus.PACKED, handoff_failed_at__isnull=False)
        .order_by("handoff_failed_at", "id")[:500]
    )


def shipments_retrying() -> list[Shipment]:
    """Packed shipments between two hand-off tries (the carrier did not answer; more tries due)."""
    return list(
        _shipments()
        .filter(status=ShipmentStatus.PACKED, handoff_failed_at__isnull=True, handoff_attempts__gt=0)
        .exclude(handoff_error="")
        .order_by("handoff_due_at", "id")[:200]
    )


def shipments_for_order(order_id: int) -> list[Shipment]:
    """The order's shipments (not cancelled boxes), oldest first, with carrier and lines. Two queries."""
    return list(
        Shipment.objects.filter(order_id=order_id)
        .exclude(status=ShipmentStatus.CANCELLED)
        .select_related("carrier", "service", "warehouse")
        .prefetch_related("lines")
        .order_by("id")
    )


def returns_for_order(order_id: int) -> list[Return]:
    return list(Return.objects.filter(order_id=order_id).prefetch_related("lines").order_by("id"))


def shipments_for_customer(customer_id: int, *, limit: int = 10) -> list[Shipment]:
    """The customer's latest shipments (index ``shipment_customer_idx``). One query."""
    return list(
        Shipment.objects.filter(customer_id=customer_id)
        .exclude(status=ShipmentStatus.CANCELLED)
        .select_related("order", "carrier")
        .order_by("-id")[:limit]
    )


def order_api_shipments(orders: list[Order]) -> dict[int, list[dict]]:
    """The order API's ``shipments`` (``settings.OMS_ORDER_API_EXTRAS``): per order its shipments
    that have not been cancelled, oldest first. One query for any number of orders."""
    found: dict[int, list[dict]] = defaultdict(list)
    rows = (
        Shipment.objects.filter(order_id__in=[order.pk for order in orders])
        .exclude(status=ShipmentStatus.CANCELLED)
        .select_related("carrier", "service")
        .order_by("id")
    )
    for shipment in rows:
        found[shipment.order_id].append(_api_shipment(shipment))
    return dict(found)


def _api_shipment(shipment: Shipment) -> dict:
    return {
        "number": shipment.number,
        "status": shipment.status,
        "carrier": shipment.carrier.name if shipment.carrier else None,
        "carrier_code": shipment.carrier.code if shipment.carrier else None,
        "service": shipment.service.code if shipment.service else None,
        "tracking_number": shipment.tracking_number or None,
        "tracking_url": shipment.tracking_url or None,
        "parcels": shipment.parcel_count,
        "handed_off_at": _time(shipment.handed_off_at),
        "delivered_at": _time(shipment.delivered_at),
    }


def _time(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def shipments_changed(*, updated_since: datetime | None = None, owner: int | None = None) -> QuerySet[Shipment]:
    """Shipments for the API's ERP list, with carrier, service, order and tracking events
    (two queries a page). ``updated_since``: changed (``updated_at``) or tracked since then;
    ``owner``: only shipments of orders entered by that user (a bound API client)."""
    shipments = Shipment.objects.select_related("carrier", "service", "order").prefetch_related(
        Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("occurred_at", "id"))
    )
    if owner is not None:
        shipments = shipments.filter(order__entered_by_id=owner)
    if updated_since is not None:
        tracked = TrackingEvent.objects.filter(shipment_id=OuterRef("pk"), received_at__gte=updated_since)
        shipments = shipments.filter(Q(updated_at__gte=updated_since) | Exists(tracked))
    return shipments


def shipment_api_representation(shipment: Shipment) -> dict:
    """A shipment as the ERP list shows it: the order API's shipment with its order and tracking."""
    return {
        **_api_shipment(shipment),
        "order": shipment.order.number,
        "updated_at": _time(shipment.updated_at),
        "tracking": [
            {
                "status": event.status,
                "occurred_at": _time(event.occurred_at),
                "description": event.description,
                "location": event.location,
            }
            for event in shipment.tracking_events.all()
        ],
    }


# --- trips ---------------------------------------------------------------------------------------


def vehicle_list(*, active_only: bool = False) -> list[Vehicle]:
    qs = Vehicle.objects.select_related("carrier", "warehouse").order_by("code")
    return list(qs.filter(active=True) if active_only else qs)


def vehicle_get(vehicle_id: int) -> Vehicle:
    vehicle = Vehicle.objects.select_related("carrier", "warehouse").filter(pk=vehicle_id).first()
    if vehicle is None:
        raise NotFound("No such vehicle.")
    return vehicle


def trip_list(*, open_only: bool = False, limit: int = 100) -> list[DeliveryTrip]:
    qs = DeliveryTrip.objects.select_related("vehicle", "warehouse").order_by("-date", "-id")
    if open_only:
        qs = qs.filter(status__in=[TripStatus.PLANNED, TripStatus.DISPATCHED])
    return list(qs[:limit])


def trip_get(trip_id: int) -> DeliveryTrip:
    """A trip with its vehicle and stops (in order) with their shipments and orders. Two queries."""
    stops = TripStop.objects.exclude(status=StopStatus.CANCELLED).select_related(
        "shipment__order", "shipment__customer"
    )
    trip = (
        DeliveryTrip.objects.select_related("vehicle__carrier", "warehouse")
        .prefetch_related(Prefetch("stops", queryset=stops.order_by("sequence", "id")))
        .filter(pk=trip_id)
        .first()
    )
    if trip is None:
        raise NotFound("No such trip.")
    return trip


def trip_manifest_stamp(trip: DeliveryTrip) -> str:
    """A digest of everything the printed manifest shows (the trip, its van and warehouse, the
    stops in order with their shipment, order, address, parcels and weight), so that a stored
    manifest is served only while it agrees with the trip: a stop added or removed, or a
    corrected address, needs a new one (from ``trip_get``; no query)."""
    vehicle, warehouse = trip.vehicle, trip.warehouse
    parts = [
        trip.number, trip.date.isoformat(), str(trip.weight_grams), str(trip.capacity_grams),
        vehicle.name, vehicle.registration, str(vehicle.capacity_grams),
        warehouse.code, warehouse.name, warehouse.street, warehouse.house_number, warehouse.city,
    ]  # fmt: skip
    for stop in trip.stops.all():
        shipment = stop.shipment
        address = json.dumps(shipment.address, sort_keys=True, default=str)
        parts.append(f"{stop.pk}:{stop.sequence}:{shipment.number}:{shipment.order.number}:{address}:"
                     f"{shipment.parcel_count}:{shipment.weight_grams}")  # fmt: skip
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def trip_waiting(vehicle: Vehicle, *, limit: int = 200) -> list[Shipment]:
    """What a trip of this vehicle could take now (see ``services.trips.trip_candidates``)."""
    from shipping.services.trips import trip_candidates

    return list(trip_candidates(vehicle).select_related("order", "customer")[:limit])


def own_fleet_waiting_count() -> int:
    """Packed own-fleet shipments on no open trip (a small partial-index read)."""
    on_a_trip = TripStop.objects.filter(status=StopStatus.PENDING).values("shipment_id")
    return (
        Shipment.objects.filter(status=ShipmentStatus.PACKED, carrier__kind="own_fleet")
        .exclude(pk__in=on_a_trip)
        .count()
    )


# --- returns -------------------------------------------------------------------------------------


def return_list(*, status: str = "", search: str = "") -> QuerySet[Return]:
    qs = Return.objects.select_related("order", "customer", "warehouse").order_by("-id")
    if status:
        qs = qs.filter(status=status)
    if search.strip():
        q = search.strip()
        qs = qs.filter(Q(number=_number("RT", q)) | Q(order_id__in=_orders_matching(q)))
    return qs


def return_get(return_id: int) -> Return:
    ret = (
        Return.objects.select_related("order", "customer", "shipment", "warehouse", "created_by", "processed_by")
        .prefetch_related("lines")
        .filter(pk=return_id)
        .first()
    )
    if ret is None:
        raise NotFound("No such return.")
    return ret


def returns_open_count() -> int:
    return Return.objects.filter(status=ReturnStatus.REGISTERED).count()


# --- dashboards -----------------------------------------------------------------------------------


def fulfilment_counts(warehouse_id: int, *, limit: int = 1000) -> tuple[int, int]:
    """Orders to pick and to pack in a warehouse, each count bounded at ``limit``. Two queries."""
    to_pick = pick_queue(warehouse_id).order_by().values("pk")[:limit].count()
    to_pack = (
        orders_selectors.orders_with_stock_reserved(warehouse_id=warehouse_id, statuses=[OrderStatus.PICKING])
        .order_by()
        .values("pk")[:limit]
        .count()
    )
    return to_pick, to_pack


def handed_off_count(day: date) -> int:
    """Shipments handed to a carrier on ``day`` (as the shipment list's ``handed_off`` filter)."""
    return shipment_list(handed_off_on=day).order_by().count()


class _Percentile(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=percentile, **extra)


def delivery_times(*, days: int = 30, now: datetime | None = None) -> dict[str, float | int | None]:
    """Order-to-delivery time of the shipments delivered in the last ``days`` days: from the
    order being placed to the parcel being delivered, in days (p50, p90) and how many. One
    query over the window (index ``shipment_delivered_idx``)."""
    now = now or timezone.now()
    seconds = Extract(F("delivered_at") - F("order__placed_at"), "epoch")
    row = Shipment.objects.filter(
        delivered_at__gte=now - timedelta(days=days), delivered_at__lte=now, order__placed_at__isnull=False
    ).aggregate(
        n=Count("id"),
        p50=_Percentile(seconds, 0.5),
        p90=_Percentile(seconds, 0.9),
    )
    day = 86400.0
    return {
        "count": row["n"],
        "p50": None if row["p50"] is None else row["p50"] / day,
        "p90": None if row["p90"] is None else row["p90"] / day,
    }
