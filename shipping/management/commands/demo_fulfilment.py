"""Demo fulfilment: a van, a pick list, packed and handed-off shipments (through the demo
carriers' sandbox, ``shipping.adapters``), tracking reports and deliveries, an own-fleet trip on
the road and a received return, so that every fulfilment screen has something to show.

It works on the orders that are there (placing a few for demo customers when there are not
enough to pick) and goes through the services, as the screens would. Idempotent: it does
nothing when shipments exist. The customer e-mails it causes are marked as not sent on purpose
(demo customers' addresses are made up).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from customers import selectors as customers_selectors
from inventory import selectors as inventory_selectors
from oms import audit
from oms.errors import OmsError
from orders import services as order_services
from shipping.models import (
    Carrier,
    CarrierKind,
    HandoffAttempt,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
    Vehicle,
)
from shipping.selectors import fulfilment as selectors
from shipping.services import handoff, notices, packing, picking, returns, tracking, trips

ORDERS = 24
SMALL_ORDERS = 12
LEFT_IN_QUEUE = 8  # orders placed on top, so that the pick queue is not empty


class Command(BaseCommand):
    help = "Load demo shipments, a trip and a return (needs demo_inventory, demo_customers, demo_shipping)."

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true", help=f"{SMALL_ORDERS} orders instead of {ORDERS}")

    def handle(self, *args, small: bool = False, **options):
        if Shipment.objects.exists():
            self.stdout.write("fulfilment demo data already loaded")
            return
        warehouses = inventory_selectors.warehouses_active()
        if not warehouses or not Carrier.objects.exists():
            self.stdout.write("fulfilment demo skipped: load inventory and shipping demo data first")
            return
        warehouse = warehouses[0]
        user = get_user_model().objects.filter(Q(username="warehouse") | Q(is_superuser=True)).first()
        with audit.context(command="demo_fulfilment"), notices.paused():
            orders = self._orders(warehouse, SMALL_ORDERS if small else ORDERS)
            if len(orders) < 6:
                self.stdout.write("fulfilment demo skipped: no orders to pick")
                return
            shipped = self._ship(orders, warehouse, user)
            self._track(shipped)
            trip = self._trip(warehouse, user)
            self._return(shipped, user)
            notices.notices_withdraw_unsent(reason="demo data")
        self.stdout.write(
            f"fulfilment: {Shipment.objects.count()} shipments, trip {trip.number if trip else 'none'}, "
            f"{len(orders)} orders picked"
        )

    # --- orders ------------------------------------------------------------------------------

    def _orders(self, warehouse, count: int) -> list:
        waiting = len(selectors.pick_queue(warehouse.pk)[: count + LEFT_IN_QUEUE])
        if waiting < count + LEFT_IN_QUEUE:
            self._place(warehouse, count + LEFT_IN_QUEUE - waiting)
        return list(selectors.pick_queue(warehouse.pk)[:count])

    def _place(self, warehouse, count: int) -> None:
        """Web orders for demo customers in the Netherlands, of products in stock here."""
        products = list(inventory_selectors.product_list(active=True)[:400])
        stock = inventory_selectors.stock_by_product([p.pk for p in products])
        in_stock = [p for p in products if any(s.warehouse_id == warehouse.pk and s.available >= 10
                                               for s in stock.get(p.pk, []))]  # fmt: skip
        customers = [c for c in customers_selectors.customer_list()[:400]
                     if any(a.country == "NL" for a in c.default_addresses)]  # fmt: skip
        for index in range(min(count, len(customers))):
            picks = in_stock[(index * 3) % max(len(in_stock) - 3, 1) :][: 1 + index % 3]
            if not picks:
                return
            try:
                order_services.order_place(
                    channel="web",
                    customer=customers[index],
                    lines=[{"sku": p.sku, "quantity": 1 + (index + n) % 3} for n, p in enumerate(picks)],
                    user=None,
                    payment_method="bank_transfer",  # iDEAL orders wait for their payment
                )
            except OmsError as exc:
                self.stdout.write(f"  order for {customers[index].number} not placed: {exc.message}")

    # --- pick, pack, hand off ----------------------------------------------------------------

    def _ship(self, orders, warehouse, user) -> list[Shipment]:
        on_list = orders[: max(len(orders) - 2, 6)]
        picking.pick_list_create(warehouse_id=warehouse.pk, order_ids=[o.pk for o in on_list], user=user)
        shipped = []
        for order in on_list[:-2]:  # two stay on the pack screen
            shipment = self._pack(order, warehouse, user)
            if shipment is None:
                continue
            handoff.shipment_hand_off(shipment_id=shipment.pk)
            shipped.append(Shipment.objects.select_related("carrier").get(pk=shipment.pk))
        self._open_box(on_list[-1], warehouse, user)
        return shipped

    def _open_box(self, order, warehouse, user) -> None:
        """A box half packed, as the pack screen looks in the middle of the work."""
        try:
            shipment = packing.shipment_start(order_id=order.pk, warehouse_id=warehouse.pk, user=user)
            packing.shipment_scan(shipment_id=shipment.pk, code=shipment.lines.first().sku, user=user)
        except OmsError as exc:
            self.stdout.write(f"  {order.number}: no box opened: {exc.message}")

    def _pack(self, order, warehouse, user) -> Shipment | None:
        try:
            shipment = packing.shipment_start(order_id=order.pk, warehouse_id=warehouse.pk, user=user)
            for line in shipment.lines.all():
                units = line.quantity_expected
                packing.shipment_scan(shipment_id=shipment.pk, code=line.sku, quantity=units, user=user)
            return packing.shipment_pack(
                shipment_id=shipment.pk, weight_grams=max(shipment.weight_grams, 100) + 150, user=user
            )
        except OmsError as exc:
            self.stdout.write(f"  {order.number} not packed: {exc.message}")
            return None

    def _track(self, shipped: list[Shipment]) -> None:
        """Carrier reports for the external shipments: most in transit, some delivered."""
        external = [s for s in shipped if s.status == ShipmentStatus.HANDED_OFF and not s.carrier.is_own_fleet]
        start = timezone.now() - timedelta(hours=20)
        self._backdate([s.pk for s in external], start)
        for index, shipment in enumerate(external):
            reports = [("in_transit", "Sorteercentrum Nieuwegein", 2)]
            if index % 2 == 0:
                reports.append(("delivered", "Bezorgd bij de klant", 18))
            for status, text, hours in reports:
                tracking.tracking_event_record(
                    carrier_id=shipment.carrier_id, event_id=f"demo-{shipment.number}-{status}",
                    tracking_number=shipment.tracking_number, status=status,
                    occurred_at=start + timedelta(hours=hours), description=text,
                )  # fmt: skip

    def _backdate(self, ids: list[int], when) -> None:
        """The demo ships in a second; put the parcels that travel on yesterday's truck, so that
        the carrier's reports come after the hand-off (demo data only: rows of this app)."""
        Shipment.objects.filter(pk__in=ids).update(
            created_at=when - timedelta(hours=2), packed_at=when - timedelta(hours=1), handed_off_at=when
        )
        TrackingEvent.objects.filter(shipment_id__in=ids, status=ShipmentStatus.HANDED_OFF).update(occurred_at=when)
        HandoffAttempt.objects.filter(shipment_id__in=ids).update(started_at=when, finished_at=when)

    def _trip(self, warehouse, user):
        fleet = Carrier.objects.filter(kind=CarrierKind.OWN_FLEET, active=True).first()
        if fleet is None:
            return None
        vehicle, _ = Vehicle.objects.get_or_create(
            code="van-1",
            defaults={
                "carrier": fleet,
                "warehouse": warehouse,
                "name": "Bestelbus 1",
                "registration": "VX-123-B",
                "capacity_grams": 600_000,
            },  # fmt: skip
        )
        try:
            trip = trips.trip_plan(vehicle_id=vehicle.pk, day=timezone.localdate(), user=user)
        except OmsError:
            return None
        trips.trip_dispatch(trip_id=trip.pk, user=user)
        stops = list(trip.stops.order_by("sequence"))
        for stop in stops:
            handoff.shipment_hand_off(shipment_id=stop.shipment_id)
        for stop in stops[:2]:
            trips.trip_stop_complete(stop_id=stop.pk, delivered=True, user=user)
        return trip

    def _return(self, shipped: list[Shipment], user) -> None:
        delivered = [s for s in shipped if Shipment.objects.get(pk=s.pk).status == ShipmentStatus.DELIVERED]
        if not delivered:
            return
        shipment = delivered[0]
        line = shipment.lines.first()
        ret = returns.return_register(
            order_id=shipment.order_id, lines=[(line.order_line_id, 1)], reason="damaged", note="Ear of the mug broke",
            shipment_id=shipment.pk, user=user,
        )  # fmt: skip
        returns.return_receive(return_id=ret.pk, warehouse_id=shipment.warehouse_id, user=user)
        if len(delivered) > 1:
            other = delivered[1]
            returns.return_register(
                order_id=other.order_id, lines=[(other.lines.first().order_line_id, 1)], reason="not_wanted",
                shipment_id=other.pk, user=user,
            )  # fmt: skip
