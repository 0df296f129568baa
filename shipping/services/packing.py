"""The pack screen: open a box for an order in a warehouse, scan its items into it, close it.

A shipment is ``pending`` while it is being packed: its lines say how many units of each order
line were reserved in the warehouse (``quantity_expected``) and how many were scanned
(``quantity``). Closing the box (``shipment_pack``) keeps what was scanned, records the weight
and the parcels, chooses the carrier service and queues the hand-off: at once for an external
carrier, when its trip leaves for the own fleet. Stock is issued at hand-off, not here.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from inventory import selectors as inventory_selectors
from oms.errors import Conflict, InvalidTransition, NotFound, OmsError, ValidationFailed
from oms.i18n import english
from orders import selectors as orders_selectors
from orders import services as order_services
from orders.models import Order, OrderStatus
from shipping import selectors as carrier_selectors
from shipping.models import (
    OPEN_STATUSES,
    SHIPMENT_NUMBER_SEQUENCE,
    DeliveryTrip,
    ServiceLevel,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    StopStatus,
    TripStatus,
    TripStop,
)
from shipping.promise import ShippingUnavailable, choose_service
from shipping.services import stored_pdf
from shipping.services._common import (
    acting,
    clean_count,
    lock_open_trips_of,
    lock_order_shipments,
    lock_shipment,
    next_number,
    require,
)
from shipping.services.handoff import hand_off_running, queue_hand_off
from shipping.services.trips import MANIFEST_TASK
from shipping.zones import zone_for

logger = logging.getLogger(__name__)

MAX_PARCELS = 99
MAX_WEIGHT_GRAMS = 2_000_000  # two tonnes: a full pallet load, more is a typo


def shipment_start(*, order_id: int, warehouse_id: int, user, now=None) -> Shipment:
    """Open the pack screen for an order in a warehouse: the pending shipment with a line for
    each order line that has units reserved there and not yet in another open shipment. A pending
    shipment that exists already is returned as it is. The order moves to ``picking`` when it is
    not there yet (orders' ``order_start_picking``, which refuses an order on hold and a
    ship-complete order that still waits for stock).

    Durable. Locks the order row (through orders). Publishes ``order.picking_started`` (orders)
    when the order was not picking yet. Raises ``NotFound``, ``InvalidTransition``, ``Conflict``
    ``nothing_to_pack``.
    """
    now = now or timezone.now()
    existing = _pending(order_id, warehouse_id)
    if existing is not None:
        return existing
    with transaction.atomic(durable=True):
        order = orders_selectors.order_get(order_id)
        expected = _expected_quantities(order, warehouse_id)
        if not expected:
            raise Conflict(
                f"Nothing of order {order.number} is reserved in this warehouse to pack.", code="nothing_to_pack"
            )
        if order.status != OrderStatus.PICKING:
            order_services.order_start_picking(order=order, user=user, now=now)
        try:
            with transaction.atomic():
                return _create(order, warehouse_id, expected, user, now)
        except IntegrityError:  # a colleague opened the same box a moment ago
            pass
    return _pending(order_id, warehouse_id) or _raise_gone(order_id)


def _raise_gone(order_id: int):
    raise Conflict("The box was opened and closed by someone else; open it again.", code="shipment_taken")


def _pending(order_id: int, warehouse_id: int) -> Shipment | None:
    return Shipment.objects.filter(order_id=order_id, warehouse_id=warehouse_id, status=ShipmentStatus.PENDING).first()


def _expected_quantities(order: Order, warehouse_id: int) -> dict[int, int]:
    """Order line id -> units reserved here and not already in a packed shipment."""
    reserved: dict[int, int] = defaultdict(int)
    for allocation in orders_selectors.reserved_allocations(order_ids=[order.pk], warehouse_id=warehouse_id):
        reserved[allocation.order_line_id] += allocation.quantity
    in_boxes = dict(
        ShipmentLine.objects.filter(
            shipment__order_id=order.pk, shipment__warehouse_id=warehouse_id, shipment__status__in=OPEN_STATUSES
        )
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("order_line_id", "total")
    )
    left = {line_id: quantity - in_boxes.get(line_id, 0) for line_id, quantity in reserved.items()}
    return {line_id: quantity for line_id, quantity in left.items() if quantity > 0}


def _create(order: Order, warehouse_id: int, expected: dict[int, int], user, now) -> Shipment:
    lines = {line.pk: line for line in order.lines.all()}
    products = inventory_selectors.products_by_ids(lines[line_id].product_id for line_id in expected)
    shipment = Shipment.objects.create(
        number=next_number(SHIPMENT_NUMBER_SEQUENCE, "SH"),
        order=order,
        customer=order.customer,
        warehouse_id=warehouse_id,
        address=_recipient(order),
        weight_grams=sum(products[lines[i].product_id].weight_grams * q for i, q in expected.items()),
        created_by=acting(user),
        created_at=now,
        updated_at=now,
    )
    ShipmentLine.objects.bulk_create(
        ShipmentLine(
            shipment=shipment,
            order_line_id=line_id,
            product_id=lines[line_id].product_id,
            sku=lines[line_id].sku,
            barcode=products[lines[line_id].product_id].barcode or "",
            name=lines[line_id].name,
            quantity_expected=quantity,
        )
        for line_id, quantity in sorted(expected.items(), key=lambda item: lines[item[0]].line_no)
    )
    return shipment


def _recipient(order: Order) -> dict:
    customer = order.customer
    address = dict(order.shipping_address or {})
    address.setdefault("country", "NL")
    address["name"] = customer.company_name or customer.name
    if customer.company_name and customer.name != customer.company_name:
        address["attention"] = customer.name
    address["email"] = customer.email
    return address


@dataclass(frozen=True)
class ScanResult:
    line: ShipmentLine
    complete: bool  # every expected unit of the shipment is in the box


def shipment_scan(*, shipment_id: int, code: str, user, quantity: int = 1) -> ScanResult:
    """Count ``quantity`` scanned items into the box. ``code`` is the EAN barcode or the SKU of
    one of the shipment's lines (case does not matter); two lines of one product fill in order.

    Durable. Locks the shipment. Publishes nothing. Raises ``InvalidTransition`` (not being
    packed), ``ValidationFailed`` ``unknown_item`` (not in this order), ``Conflict``
    ``too_many`` (more than was reserved).
    """
    code = (code or "").strip()
    quantity = clean_count(quantity, "quantity", label="Quantity", minimum=1, maximum=10_000)
    if not code:
        raise ValidationFailed("Scan a barcode or type a SKU.", code="required", field="code")
    with transaction.atomic(durable=True):
        shipment = lock_shipment(shipment_id)
        _require_pending(shipment)
        lines = [line for line in shipment.lines.all() if _matches(line, code)]
        if not lines:
            raise ValidationFailed(f"“{code}” is not in this shipment.", code="unknown_item", field="code")
        line = next((ln for ln in lines if ln.quantity + quantity <= ln.quantity_expected), None)
        if line is None:
            raise Conflict(
                f"{lines[0].sku}: all {sum(ln.quantity_expected for ln in lines)} are in the box already.",
                code="too_many",
                field="code",
            )
        line.quantity = F("quantity") + quantity
        line.save(update_fields=["quantity"])
        line.refresh_from_db(fields=["quantity"])
        _touch(shipment)
        left = ShipmentLine.objects.filter(shipment=shipment, quantity__lt=F("quantity_expected")).exists()
    return ScanResult(line, not left)


def _require_pending(shipment: Shipment) -> None:
    if shipment.status != ShipmentStatus.PENDING:
        raise InvalidTransition(
            shipment.status,
            "packing",
            message=f"{shipment.number} is {english(shipment.get_status_display()).lower()}.",
        )


def _matches(line: ShipmentLine, code: str) -> bool:
    return line.sku.upper() == code.upper() or (bool(line.barcode) and line.barcode == code)


def _touch(shipment: Shipment) -> None:
    shipment.updated_at = timezone.now()
    shipment.save(update_fields=["updated_at"])


def shipment_line_set(*, shipment_id: int, line_id: int, quantity: int, user) -> ShipmentLine:
    """Correct a count on the pack screen (an item taken out of the box again).

    Durable. Locks the shipment. Raises ``InvalidTransition``, ``NotFound``, ``ValidationFailed``
    (more than reserved, negative)."""
    with transaction.atomic(durable=True):
        shipment = lock_shipment(shipment_id)
        _require_pending(shipment)
        line = ShipmentLine.objects.filter(pk=line_id, shipment=shipment).first()
        if line is None:
            raise NotFound("No such line in this shipment.", field="line")
        quantity = clean_count(quantity, "quantity", label="Quantity", maximum=line.quantity_expected)
        line.quantity = quantity
        line.save(update_fields=["quantity"])
        _touch(shipment)
    return line


def shipment_pack(
    *, shipment_id: int, weight_grams: int, parcel_count: int = 1, service_id: int | None = None, user, now=None
) -> Shipment:
    """Close the box: what was scanned is the shipment (lines with nothing scanned are dropped),
    with its weight and number of parcels. The service is the one given, else the one the order
    was quoted while it still takes this weight to the address, else the cheapest that does.
    A ship-complete order must have everything that was reserved in the box.

    The hand-off is due at once for an external carrier (queued after commit); an own-fleet
    shipment waits for its delivery trip. Durable. Locks the shipment. Publishes nothing (the
    hand-off publishes ``shipment.handed_off``). Raises ``InvalidTransition``,
    ``ValidationFailed`` (``weight_grams``, ``parcel_count``, ``nothing_packed``, a service that
    is not active), ``Conflict`` ``ship_complete_partial``, ``ShippingUnavailable``.
    """
    weight_grams = clean_count(weight_grams, "weight_grams", label="Weight (g)", minimum=1, maximum=MAX_WEIGHT_GRAMS)
    parcel_count = clean_count(parcel_count, "parcel_count", label="Parcels", minimum=1, maximum=MAX_PARCELS)
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        shipment = lock_shipment(shipment_id)
        _require_pending(shipment)
        lines = list(shipment.lines.all())
        if not any(line.quantity for line in lines):
            raise ValidationFailed("Scan at least one item into the box.", code="nothing_packed", field="code")
        order = orders_selectors.orders_by_ids([shipment.order_id])[shipment.order_id]
        if order.ship_complete and any(line.quantity < line.quantity_expected for line in lines):
            raise Conflict(
                f"Order {order.number} ships complete: pack everything that is reserved.", code="ship_complete_partial"
            )
        service = _service(order, shipment.address, weight_grams, service_id)
        ShipmentLine.objects.filter(shipment=shipment, quantity=0).delete()
        shipment.status = ShipmentStatus.PACKED
        shipment.carrier, shipment.service = service.carrier, service
        shipment.weight_grams, shipment.parcel_count = weight_grams, parcel_count
        shipment.packed_at = shipment.updated_at = now
        shipment.packed_by = acting(user)
        shipment.handoff_due_at = None if service.carrier.is_own_fleet else now
        shipment.save(update_fields=_PACK_FIELDS)
        if shipment.handoff_due_at:
            transaction.on_commit(partial(queue_hand_off, shipment.pk))
    return shipment


_PACK_FIELDS = [
    "status", "carrier", "service", "weight_grams", "parcel_count", "packed_at", "updated_at", "packed_by",
    "handoff_due_at",
]  # fmt: skip


def _service(order: Order, address: dict, weight_grams: int, service_id: int | None) -> ServiceLevel:
    if service_id:
        service = carrier_selectors.service_level_get(service_id)
        if not (service.active and service.carrier.active):
            raise ValidationFailed(f"{service} is not in use.", code="inactive_service", field="service")
        return service
    country, postal_code = address.get("country", "NL"), address.get("postal_code", "")
    quoted = _quoted(order, country, postal_code, weight_grams)
    if quoted is not None:
        return quoted
    choice = carrier_selectors.service_choose(country=country, postal_code=postal_code, weight_grams=weight_grams)
    return carrier_selectors.service_level_get(choice.service.service_id)


def _quoted(order: Order, country: str, postal_code: str, weight_grams: int) -> ServiceLevel | None:
    """The service the order was quoted, while it still takes this parcel there (else None)."""
    if not order.carrier_code:
        return None
    try:
        service = carrier_selectors.service_level_by_codes(
            carrier_code=order.carrier_code, service_code=order.service_code
        )
    except NotFound:
        return None
    options = [o for o in carrier_selectors.promise_services(zone_for(country)) if o.service_id == service.pk]
    try:
        choose_service(
            options, country=country, postal_code=postal_code, weight_grams=weight_grams, to_pickup_points=True
        )
    except ShippingUnavailable:
        return None
    return service


def shipment_cancel(*, shipment_id: int, user, reason: str = "", now=None) -> Shipment:
    """Unpack a shipment that has not left (pending or packed): the goods go back on the shelf,
    still reserved for the order, which can be packed again. Takes it off a planned trip.

    Durable. Locks the shipment (and the trip's stop). Refused while a hand-off try is running
    (``Conflict`` ``handoff_running``). Raises ``InvalidTransition``."""
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    with transaction.atomic(durable=True):
        if order_id is not None:
            lock_open_trips_of(order_id)
        shipment = lock_shipment(shipment_id)
        cancel_locked(shipment, now=now or timezone.now())
    return shipment


def cancel_locked(shipment: Shipment, *, now) -> None:
    """Cancel a locked open shipment (also for orders' ``order.cancelled``, non-durable)."""
    require(shipment, ShipmentStatus.CANCELLED)
    if hand_off_running(shipment.pk):
        raise Conflict(f"{shipment.number} is being handed to the carrier right now.", code="handoff_running")
    stops = (
        TripStop.objects.select_for_update().select_related("trip").filter(shipment=shipment, status=StopStatus.PENDING)
    )
    for stop in stops:
        if stop.trip.status != TripStatus.PLANNED:
            raise Conflict(f"{shipment.number} is on trip {stop.trip.number}, which left.", code="on_the_road")
        stop.status = StopStatus.CANCELLED
        stop.save(update_fields=["status"])
        DeliveryTrip.objects.filter(pk=stop.trip_id).update(weight_grams=F("weight_grams") - shipment.weight_grams)
        stored_pdf.pdf_queue_on_commit(MANIFEST_TASK, trip_id=stop.trip_id)  # the manifest without the stop
    shipment.status = ShipmentStatus.CANCELLED
    shipment.handoff_due_at = None
    shipment.updated_at = now
    shipment.save(update_fields=["status", "handoff_due_at", "updated_at"])


def shipments_cancel_for_order(*, order_id: int) -> int:
    """The order was cancelled: its open shipments are unpacked. Not durable (the outbox handler
    of ``order.cancelled`` calls it). A shipment whose hand-off is running is left; the hand-off
    then finds the order cancelled and puts the shipment in the exception list."""
    cancelled = 0
    now = timezone.now()
    lock_open_trips_of(order_id)
    for shipment in lock_order_shipments(order_id).values():
        if shipment.is_open and not hand_off_running(shipment.pk):
            try:
                with transaction.atomic():
                    cancel_locked(shipment, now=now)
                cancelled += 1
            except OmsError as exc:
                logger.warning("shipping: %s stays open after its order was cancelled: %s", shipment.number, exc)
    return cancelled
