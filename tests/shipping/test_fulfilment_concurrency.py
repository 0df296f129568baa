"""Fulfilment under concurrency (real threads on PostgreSQL): a hand-off task delivered several
times at once makes one carrier call and one label; two packers scanning the last unit; the same
webhook twice at once; two parcels of one order delivered at the same moment."""

from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from oms.models import OutboxEvent
from orders.models import Order
from shipping.models import HandoffAttempt, Shipment, ShipmentLine, TrackingEvent
from shipping.services import handoff, packing, tracking
from tests.shipping.flow import pack, place, ship
from tests.shipping.test_concurrency import _race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_hand_off_on_commit(monkeypatch):
    """Here commits are real, so packing would run the (eager) hand-off at once; the tests run it."""
    monkeypatch.setattr(packing, "queue_hand_off", lambda *args, **kwargs: True)


def test_shipment_hand_off_run_four_times_at_once_calls_the_carrier_once(
    customer, mug, ams, packer, parcel_carrier, carrier_server, settings
):
    # given a carrier that takes a moment to answer
    settings.OMS_CARRIER_TIMEOUT_SECONDS = 5
    carrier_server.slow_seconds = 0.3
    carrier_server.script = ["timeout"]  # slow, but within the time-out
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    # when four workers get the task at the same moment
    outcomes = _race(*[partial(handoff.shipment_hand_off, shipment_id=shipment.pk)] * 4)
    # then one asked the carrier and handed off; the others saw the claim and did nothing
    assert sorted(o.outcome for o in outcomes) == ["handed_off", "skipped", "skipped", "skipped"]
    assert len(carrier_server.requests) == 1 and carrier_server.labels_made == 1
    assert HandoffAttempt.objects.filter(shipment=shipment).count() == 1
    assert Shipment.objects.get(pk=shipment.pk).status == "handed_off"


def test_two_packers_scanning_the_last_unit_count_it_once(customer, mug, ams, packer, parcel_carrier):
    order = place(customer, ("MUG-RED", 1))
    shipment = packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=packer)
    scan = partial(packing.shipment_scan, shipment_id=shipment.pk, code="MUG-RED", user=packer)
    outcomes = _race(scan, scan)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "ScanResult"]
    assert ShipmentLine.objects.get(shipment=shipment).quantity == 1


def test_the_same_webhook_event_twice_at_once_is_recorded_once(customer, mug, ams, packer, parcel_carrier):
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    report = partial(
        tracking.tracking_event_record, carrier_id=parcel_carrier.pk, event_id="evt-1",
        tracking_number=shipment.tracking_number, status="delivered", occurred_at=timezone.now(),
    )  # fmt: skip
    outcomes = _race(report, report)
    assert sorted(o.duplicate for o in outcomes) == [False, True]
    assert TrackingEvent.objects.filter(event_id="evt-1").count() == 1
    assert OutboxEvent.objects.filter(name="shipment.delivered").count() == 1
    assert OutboxEvent.objects.filter(name="order.delivered").count() == 1


def test_two_parcels_of_one_order_delivered_at_once_deliver_the_order(customer, mug, ams, packer, parcel_carrier):
    order = place(customer, ("MUG-RED", 2))
    first = ship(order, ams, packer, scans={"MUG-RED": 1})
    second = ship(order, ams, packer)
    when = timezone.now() - timedelta(minutes=1)
    reports = [
        partial(
            tracking.tracking_event_record,
            carrier_id=parcel_carrier.pk,
            event_id=f"evt-{s.pk}",
            tracking_number=s.tracking_number,
            status="delivered",
            occurred_at=when,
        )  # fmt: skip
        for s in (first, second)
    ]
    outcomes = _race(*reports)
    assert all(not isinstance(o, Exception) and o.applied for o in outcomes), outcomes
    assert Order.objects.get(pk=order.pk).status == "delivered"
    assert OutboxEvent.objects.filter(name="order.delivered").count() == 1
