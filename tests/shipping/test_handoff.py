"""The carrier hand-off against a fake carrier API on 127.0.0.1: one label per shipment whatever
happens on the way (500s, time-outs, a repeated task), bounded tries, then the exception list."""

import base64

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from inventory.models import StockMovement
from oms import invariants
from oms.errors import Conflict
from oms.models import OutboxEvent
from orders.models import Order
from orders.services import order_cancel
from shipping.models import HandoffAttempt, Shipment, ShipmentNotice
from shipping.services import handoff
from tests.factories.inventory import level
from tests.shipping.flow import hand_off, pack, place

pytestmark = pytest.mark.django_db


def _state(shipment):
    shipment = Shipment.objects.get(pk=shipment.pk)
    return shipment.status, shipment.handoff_attempts, shipment.in_exception


def _run_until_done(shipment, limit=10):
    outcomes = []
    for _ in range(limit):
        result = hand_off(shipment)
        outcomes.append(result.outcome)
        if result.outcome != "retry":
            return outcomes
        # the back-off has passed (tests do not wait for it)
        Shipment.objects.filter(pk=shipment.pk).update(handoff_due_at=timezone.now())
    return outcomes


def test_shipment_hand_off_stores_the_carriers_label_and_issues_the_stock(
    customer, mug, ams, packer, parcel_carrier, carrier_server
):
    # given a packed shipment of 2 mugs
    order = place(customer, ("MUG-RED", 2))
    shipment = pack(order, ams, packer, weight_grams=1100)
    assert (level(mug, ams).on_hand, level(mug, ams).reserved) == (10, 2)
    # when the worker hands it off
    result = hand_off(shipment)
    # then the carrier's tracking number and label are on the shipment
    shipment.refresh_from_db()
    label = carrier_server.labels[str(shipment.handoff_key)]
    assert result.outcome == "handed_off" and shipment.status == "handed_off"
    assert shipment.tracking_number == label["tracking_number"]
    assert shipment.tracking_url == f"https://track.example/{shipment.tracking_number}?pc=3511AB"
    with default_storage.open(shipment.label.name, "rb") as handle:
        assert handle.read() == base64.b64decode(label["label_pdf"])
    # and the carrier got our key, our credentials and the parcel
    (request,) = carrier_server.requests
    assert request["auth"] == "Bearer key-123" and request["key"] == str(shipment.handoff_key)
    body = request["body"]
    assert body["reference"] == shipment.number and body["order"] == order.number
    assert body["recipient"]["postal_code"] == "3511 AB" and body["recipient"]["name"] == "Jan de Vries"
    assert body["weight_grams"] == 1100 and body["lines"] == [{"sku": "MUG-RED", "quantity": 2}]
    # and the stock left the warehouse, the order shipped, billing and the customer are told
    assert (level(mug, ams).on_hand, level(mug, ams).reserved) == (8, 0)
    assert StockMovement.objects.filter(product=mug, kind="issue").get().reference == shipment.number
    assert Order.objects.get(pk=order.pk).status == "shipped"
    event = OutboxEvent.objects.get(name="shipment.handed_off")
    assert event.payload == {"shipment_id": shipment.pk, "order_id": order.pk}
    assert ShipmentNotice.objects.get(shipment=shipment).kind == "handed_off"
    assert invariants.violations() == {}


def test_shipment_hand_off_retries_500s_and_time_outs_with_one_key_and_makes_one_label(
    customer, mug, ams, packer, parcel_carrier, carrier_server
):
    # given a carrier that fails, then makes the label but answers too late, then fails again
    carrier_server.script = ["error", "timeout", "error"]
    order = place(customer, ("MUG-RED", 1))
    shipment = pack(order, ams, packer)
    # when the worker keeps trying
    outcomes = _run_until_done(shipment)
    # then the fourth try gets the label the second try made: one key, one label
    assert outcomes == ["retry", "retry", "retry", "handed_off"]
    assert len(carrier_server.requests) == 4 and carrier_server.keys == {str(shipment.handoff_key)}
    assert carrier_server.labels_made == 1
    shipment.refresh_from_db()
    assert shipment.tracking_number == carrier_server.labels[str(shipment.handoff_key)]["tracking_number"]
    tries = list(HandoffAttempt.objects.filter(shipment=shipment).values_list("number", "outcome", "http_status"))
    assert tries == [(1, "retry", 500), (2, "retry", None), (3, "retry", 500), (4, "handed_off", None)]
    assert "did not answer within" in HandoffAttempt.objects.get(shipment=shipment, number=2).message
    assert StockMovement.objects.filter(product=mug, kind="issue").count() == 1


def test_shipment_hand_off_gives_up_after_the_last_try_and_retry_starts_again(
    customer, mug, ams, packer, parcel_carrier, carrier_server, fast_carrier
):
    # given a carrier that is down for every one of the 4 tries
    carrier_server.script = ["error"] * 4
    order = place(customer, ("MUG-RED", 1))
    shipment = pack(order, ams, packer)
    # when the worker has tried 4 times
    assert _run_until_done(shipment) == ["retry", "retry", "retry", "failed"]
    # then the shipment is in the exception list, nothing left the warehouse
    assert _state(shipment) == ("packed", 4, True)
    assert (level(mug, ams).on_hand, level(mug, ams).reserved) == (10, 1)
    assert Order.objects.get(pk=order.pk).status == "picking"
    # and no more tries happen by themselves
    assert hand_off(shipment).outcome == "skipped" and len(carrier_server.requests) == 4
    # when a person presses retry and the carrier is back
    handoff.shipment_hand_off_retry(shipment_id=shipment.pk, user=packer)
    assert _run_until_done(shipment) == ["handed_off"]
    # then it goes with one label made under the same key
    assert _state(shipment) == ("handed_off", 1, False)
    assert carrier_server.keys == {str(shipment.handoff_key)} and carrier_server.labels_made == 1


def test_shipment_hand_off_refused_by_the_carrier_goes_to_the_exception_list_at_once(
    customer, mug, ams, packer, parcel_carrier, carrier_server
):
    carrier_server.script = ["refuse"]
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    result = hand_off(shipment)
    assert result.outcome == "failed" and "HTTP 422: Unknown postcode" in result.message
    assert _state(shipment) == ("packed", 1, True)
    assert Shipment.objects.get(pk=shipment.pk).handoff_error == result.message


def test_shipment_hand_off_retries_an_answer_without_a_label(
    customer, mug, ams, packer, parcel_carrier, carrier_server
):
    carrier_server.script = ["garbage"]
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    assert _run_until_done(shipment) == ["retry", "handed_off"]


def test_shipment_hand_off_delivered_twice_asks_the_carrier_once(
    customer, mug, ams, packer, parcel_carrier, carrier_server
):
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    assert hand_off(shipment).outcome == "handed_off"
    assert hand_off(shipment).outcome == "skipped"
    assert len(carrier_server.requests) == 1
    assert StockMovement.objects.filter(product=mug, kind="issue").count() == 1


def test_shipment_hand_off_of_a_cancelled_order_asks_no_carrier(
    customer, mug, ams, packer, parcel_carrier, carrier_server
):
    order = place(customer, ("MUG-RED", 1))
    shipment = pack(order, ams, packer)
    order_cancel(order=order, user=packer)
    result = hand_off(shipment)
    assert result.outcome == "failed" and "cancelled" in result.message
    assert carrier_server.requests == [] and _state(shipment)[2]


def test_shipment_hand_off_refuses_to_run_inside_a_transaction(customer, mug, ams, packer, parcel_carrier):
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    with pytest.raises(RuntimeError), transaction.atomic():
        hand_off(shipment)


def test_shipment_hand_off_retry_is_refused_for_a_shipment_that_left(
    customer, mug, ams, packer, parcel_carrier, carrier_server
):
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    hand_off(shipment)
    with pytest.raises(Conflict) as caught:
        handoff.shipment_hand_off_retry(shipment_id=shipment.pk, user=packer)
    assert caught.value.code == "not_in_exception_list"
