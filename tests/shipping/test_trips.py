"""The own fleet: trips planned by vehicle capacity, dispatched (own label and tracking number,
stock issued), the manifest, and each stop delivered or failed."""

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from oms import invariants
from oms.errors import Conflict
from orders.models import Order
from shipping import documents
from shipping.models import DeliveryTrip, Shipment, TripStop
from shipping.selectors import fulfilment as selectors
from shipping.services import trips
from tests.factories.customers import CustomerFactory
from tests.factories.inventory import level
from tests.factories.orders import ADDRESS
from tests.shipping.flow import hand_off, pack, place
from tests.support.pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def van(ams, own_fleet):
    return trips.vehicle_save(user=None, code="van-1", name="Van 1", registration="vx-123-b",
                              carrier_id=own_fleet.carrier_id, warehouse_id=ams.pk, capacity_grams=2_000)  # fmt: skip


def _own_fleet_shipment(mug, ams, packer, own_fleet, postcode, weight):
    address = {**ADDRESS, "postal_code": postcode}
    order = place(CustomerFactory(), ("MUG-RED", 1), shipping_address=address)
    return pack(order, ams, packer, weight_grams=weight, service_id=own_fleet.pk)


def test_trip_plan_fills_the_vehicle_up_to_its_capacity_in_postcode_order(mug, ams, packer, own_fleet, van):
    # given three packed own-fleet shipments of 1.2, 0.7 and 0.9 kg for a 2 kg van
    a = _own_fleet_shipment(mug, ams, packer, own_fleet, "3584 CS", 1200)
    b = _own_fleet_shipment(mug, ams, packer, own_fleet, "3511 AB", 700)
    c = _own_fleet_shipment(mug, ams, packer, own_fleet, "3521 AA", 900)
    # when a trip is planned
    trip = trips.trip_plan(vehicle_id=van.pk, day=timezone.localdate(), user=packer)
    # then the first that fit in postcode order are on it, and the third waits for another trip
    assert [s.shipment_id for s in trip.stops.order_by("sequence")] == [b.pk, c.pk]
    assert (trip.weight_grams, trip.capacity_grams, trip.load_percent) == (1600, 2000, 80)
    assert [s.pk for s in selectors.trip_waiting(van)] == [a.pk]
    # and choosing more than fits is refused
    d = _own_fleet_shipment(mug, ams, packer, own_fleet, "3590 AA", 1000)
    with pytest.raises(Conflict) as caught:
        trips.trip_plan(vehicle_id=van.pk, day=timezone.localdate(), shipment_ids=[a.pk, d.pk], user=packer)
    assert caught.value.code == "over_capacity"


def test_trip_dispatch_hands_off_with_our_own_label_and_the_stops_deliver(mug, ams, packer, own_fleet, van):
    # given a planned trip with two stops
    a = _own_fleet_shipment(mug, ams, packer, own_fleet, "3511 AB", 800)
    b = _own_fleet_shipment(mug, ams, packer, own_fleet, "3521 AA", 900)
    trip = trips.trip_plan(vehicle_id=van.pk, day=timezone.localdate(), user=packer)
    assert hand_off(a).outcome == "skipped"  # not before the van leaves
    # when the van leaves and the worker hands its shipments off
    trips.trip_dispatch(trip_id=trip.pk, user=packer)
    assert [hand_off(s).outcome for s in (a, b)] == ["handed_off", "handed_off"]
    # then they have our tracking number and a label we rendered, and the stock is issued
    a.refresh_from_db()
    assert (a.status, a.tracking_number) == ("handed_off", a.number)
    with default_storage.open(a.label.name, "rb") as handle:
        text = pdf_text(handle.read())
    assert a.number in text and "3511 AB" in text
    assert level(mug, ams).reserved == 0
    # and the manifest lists the stops in order
    planned = selectors.trip_get(trip.pk)
    manifest = pdf_text(documents.trip_manifest_pdf(planned, list(planned.stops.all())))
    assert manifest.index(a.number) < manifest.index(b.number)
    # when the driver delivers one and not the other
    stop_a, stop_b = TripStop.objects.filter(trip=trip).order_by("sequence")
    trips.trip_stop_complete(stop_id=stop_a.pk, delivered=True, user=packer)
    trips.trip_stop_complete(stop_id=stop_b.pk, delivered=False, note="nobody home", user=packer)
    # then the shipments and orders follow, and the trip is done
    assert Shipment.objects.get(pk=a.pk).status == "delivered"
    assert Order.objects.get(pk=a.order_id).status == "delivered"
    assert Shipment.objects.get(pk=b.pk).status == "failed"
    assert DeliveryTrip.objects.get(pk=trip.pk).status == "completed"
    # and the failed one goes on a next trip and is delivered then
    retry = trips.trip_plan(vehicle_id=van.pk, day=timezone.localdate(), user=packer)
    trips.trip_dispatch(trip_id=retry.pk, user=packer)
    trips.trip_stop_complete(stop_id=retry.stops.get().pk, delivered=True, user=packer)
    assert Shipment.objects.get(pk=b.pk).status == "delivered"
    assert invariants.violations() == {}


def test_trip_stop_waits_for_the_hand_off(mug, ams, packer, own_fleet, van):
    _own_fleet_shipment(mug, ams, packer, own_fleet, "3511 AB", 800)
    trip = trips.trip_plan(vehicle_id=van.pk, day=timezone.localdate(), user=packer)
    trips.trip_dispatch(trip_id=trip.pk, user=packer)
    with pytest.raises(Conflict) as caught:
        trips.trip_stop_complete(stop_id=trip.stops.get().pk, delivered=True, user=packer)
    assert caught.value.code == "not_handed_off"


def test_trip_cancel_and_unpacking_free_the_shipments(mug, ams, packer, own_fleet, van):
    from shipping.services import packing

    a = _own_fleet_shipment(mug, ams, packer, own_fleet, "3511 AB", 800)
    b = _own_fleet_shipment(mug, ams, packer, own_fleet, "3521 AA", 900)
    trip = trips.trip_plan(vehicle_id=van.pk, day=timezone.localdate(), user=packer)
    packing.shipment_cancel(shipment_id=a.pk, user=packer)
    assert DeliveryTrip.objects.get(pk=trip.pk).weight_grams == 900
    trips.trip_cancel(trip_id=trip.pk, user=packer)
    assert [s.pk for s in selectors.trip_waiting(van)] == [b.pk]


def test_vehicle_save_wants_an_own_fleet_and_a_capacity(ams, parcel_carrier, own_fleet):
    from oms.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        trips.vehicle_save(user=None, code="x", name="X", carrier_id=parcel_carrier.pk, warehouse_id=ams.pk,
                           capacity_grams=1000)  # fmt: skip
    with pytest.raises(ValidationFailed):
        trips.vehicle_save(user=None, code="x", name="X", carrier_id=own_fleet.carrier_id, warehouse_id=ams.pk,
                           capacity_grams=0)  # fmt: skip


def test_vehicle_save_updates_a_vehicle(van, ams, own_fleet):
    saved = trips.vehicle_save(
        user=None, vehicle_id=van.pk, code="VAN-1", name="Van one", carrier_id=own_fleet.carrier_id,
        warehouse_id=ams.pk, capacity_grams=750_000, active=False,
    )  # fmt: skip
    van.refresh_from_db()
    assert (saved.pk, van.name, van.code, van.capacity_grams, van.active) == (
        van.pk,
        "Van one",
        "van-1",
        750_000,
        False,
    )
