"""Carriers' tracking webhooks: signed, idempotent (a repeat changes nothing), never backwards;
delivered moves the order to delivered once every parcel has arrived."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oms.models import OutboxEvent
from orders.models import Order
from orders.services import order_record_payment_total
from shipping.models import Shipment, ShipmentNotice, TrackingEvent
from tests.shipping.conftest import webhook
from tests.shipping.flow import place, ship

pytestmark = pytest.mark.django_db


def _event(shipment, status, event_id, minutes=0):
    when = timezone.now() + timedelta(minutes=minutes)
    return {"event_id": event_id, "tracking_number": shipment.tracking_number, "status": status,
            "occurred_at": when.isoformat(), "description": "Sorting centre", "location": "Utrecht"}  # fmt: skip


def _snapshot(shipment):
    shipment = Shipment.objects.get(pk=shipment.pk)
    order = Order.objects.get(pk=shipment.order_id)
    return (shipment.status, order.status, TrackingEvent.objects.filter(shipment=shipment).count(),
            OutboxEvent.objects.count(), ShipmentNotice.objects.count())  # fmt: skip


@pytest.fixture
def shipped(customer, mug, ams, packer, parcel_carrier):
    return ship(place(customer, ("MUG-RED", 2)), ams, packer)


def test_carrier_webhook_moves_the_shipment_and_a_duplicate_changes_nothing(client, shipped):
    # when the carrier reports "in transit"
    response = webhook(client, "pakketpost", _event(shipped, "in_transit", "evt-1"))
    # then the shipment moved
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"event_id": "evt-1", "result": "applied", "shipment": shipped.number, "status": "in_transit"}
    ]
    before = _snapshot(shipped)
    assert before[0] == "in_transit"
    # when the same report comes again
    again = webhook(client, "pakketpost", _event(shipped, "in_transit", "evt-1"))
    # then it is acknowledged and nothing changed
    assert again.status_code == 200 and again.json()["results"][0]["result"] == "duplicate"
    assert _snapshot(shipped) == before


def test_carrier_webhook_delivered_delivers_the_order_once(client, shipped):
    before = OutboxEvent.objects.count()
    response = webhook(client, "pakketpost", {"events": [_event(shipped, "delivered", "evt-9")]})
    assert response.status_code == 200
    shipment = Shipment.objects.get(pk=shipped.pk)
    assert shipment.status == "delivered" and shipment.delivered_at is not None
    assert Order.objects.get(pk=shipped.order_id).status == "delivered"
    names = list(OutboxEvent.objects.order_by("id").values_list("name", flat=True)[before:])
    assert names == ["shipment.delivered", "order.delivered"]
    assert ShipmentNotice.objects.filter(shipment=shipped, kind="delivered").count() == 1
    # a repeat of the whole batch changes nothing
    webhook(client, "pakketpost", {"events": [_event(shipped, "delivered", "evt-9")]})
    assert OutboxEvent.objects.count() == before + 2


def test_carrier_webhook_out_of_order_never_moves_a_shipment_backwards(client, shipped):
    webhook(client, "pakketpost", _event(shipped, "delivered", "evt-2", minutes=5))
    late = webhook(client, "pakketpost", _event(shipped, "in_transit", "evt-1", minutes=1))
    assert late.status_code == 200 and late.json()["results"][0]["result"] == "recorded"
    assert Shipment.objects.get(pk=shipped.pk).status == "delivered"
    assert list(TrackingEvent.objects.filter(event_id__startswith="evt").order_by("occurred_at")
                .values_list("status", "applied")) == [("in_transit", False), ("delivered", True)]  # fmt: skip


def test_delivered_and_paid_completes_the_order(client, shipped):
    order = Order.objects.get(pk=shipped.order_id)
    order_record_payment_total(order=order, amount_paid=order.gross_amount, user=None)
    webhook(client, "pakketpost", _event(shipped, "delivered", "evt-3"))
    assert Order.objects.get(pk=order.pk).status == "completed"


def test_the_order_is_delivered_when_its_last_parcel_arrives(client, customer, mug, ams, packer, parcel_carrier):
    # given an order shipped in two parcels
    order = place(customer, ("MUG-RED", 3))
    first = ship(order, ams, packer, scans={"MUG-RED": 1})
    webhook(client, "pakketpost", _event(first, "delivered", "evt-a"))
    assert Order.objects.get(pk=order.pk).status == "partially_shipped"
    second = ship(order, ams, packer)
    assert Order.objects.get(pk=order.pk).status == "shipped"
    # when the second arrives
    webhook(client, "pakketpost", _event(second, "delivered", "evt-b"))
    # then the order is delivered
    assert Order.objects.get(pk=order.pk).status == "delivered"


@pytest.mark.parametrize(
    "case, status",
    [("bad_signature", 401), ("unknown_carrier", 404), ("unknown_tracking", 404), ("not_json", 400),
     ("bad_status", 400), ("disabled", 403)],
)  # fmt: skip
def test_carrier_webhook_refuses_what_it_cannot_trust_or_place(client, shipped, case, status):
    before = _snapshot(shipped)
    payload = _event(shipped, "in_transit", "evt-x")
    if case == "bad_signature":
        response = webhook(client, "pakketpost", payload, secret="wrong")
    elif case == "unknown_carrier":
        response = webhook(client, "nobody", payload)
    elif case == "unknown_tracking":
        response = webhook(client, "pakketpost", {**payload, "tracking_number": "3S000"})
    elif case == "not_json":
        from tests.shipping.conftest import sign

        response = client.post("/webhooks/carriers/pakketpost/", data=b"{nope", content_type="application/json",
                               HTTP_X_CARRIER_SIGNATURE=sign(b"{nope"))  # fmt: skip
    elif case == "bad_status":
        response = webhook(client, "pakketpost", {**payload, "status": "teleported"})
    else:
        shipped.carrier.__class__.objects.filter(pk=shipped.carrier_id).update(webhook_secret="")
        response = webhook(client, "pakketpost", payload)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/")
    assert _snapshot(shipped) == before


def test_carrier_webhook_answers_a_get_for_address_checks(client, shipped):
    response = client.get("/webhooks/carriers/pakketpost/")
    assert response.status_code == 200 and response.json() == {"carrier": "pakketpost", "accepts": "POST",
                                                                "enabled": True}  # fmt: skip
