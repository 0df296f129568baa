"""The carrier hand-off through every adapter (generic JSON, PostNL, Sendcloud), each against a
fake of its carrier's API on 127.0.0.1: one parcel per shipment whatever happens on the way
(500s, time-outs, rate limits, a repeated task), refusals and bad credentials to the exception
list at once with the carrier's own words, and the label stored and printable."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockMovement
from shipping.models import Carrier, CarrierBooking, HandoffAttempt, Shipment
from tests.shipping.fake_apis import pdf_for
from tests.shipping.flow import hand_off, pack, place

pytestmark = pytest.mark.django_db


class Generic:
    """The generic fake (tests/shipping/fake_carrier.py) seen the way the other fakes are."""

    def __init__(self, server):
        self.server = server

    @property
    def script(self):
        return self.server.script

    @script.setter
    def script(self, value):
        self.server.script = value

    @property
    def made(self):
        return self.server.labels_made

    @property
    def creates(self):
        return len(self.server.requests)


@pytest.fixture(params=["generic", "postnl", "sendcloud"])
def any_carrier(request):
    """(carrier, fake server) for each adapter."""
    if request.param == "generic":
        return request.getfixturevalue("parcel_carrier"), Generic(request.getfixturevalue("carrier_server"))
    return request.getfixturevalue(request.param), request.getfixturevalue(f"{request.param}_server")


def _run_until_done(shipment, limit=10):
    outcomes = []
    for _ in range(limit):
        result = hand_off(shipment)
        outcomes.append(result.outcome)
        if result.outcome != "retry":
            return outcomes
        Shipment.objects.filter(pk=shipment.pk).update(handoff_due_at=timezone.now())
    return outcomes


# --- the hand-off through every adapter -----------------------------------------------------------


def test_hand_off_through_each_adapter_stores_the_carriers_label_and_tracking_number(
    customer, mug, ams, packer, any_carrier
):
    carrier, server = any_carrier
    shipment = pack(place(customer, ("MUG-RED", 2)), ams, packer, weight_grams=1100)
    assert shipment.carrier_id == carrier.pk
    assert hand_off(shipment).outcome == "handed_off"
    shipment.refresh_from_db()
    assert shipment.status == "handed_off" and shipment.tracking_number and server.made == 1
    with default_storage.open(shipment.label.name, "rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF") and shipment.tracking_number.encode() in pdf
    assert StockMovement.objects.filter(product=mug, kind="issue").get().reference == shipment.number


def test_hand_off_through_each_adapter_retries_500s_and_time_outs_and_makes_one_parcel(
    customer, mug, ams, packer, any_carrier
):
    carrier, server = any_carrier
    # fails, then makes the parcel but answers too late, then fails again
    server.script = ["error", "timeout", "error"]
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    outcomes = _run_until_done(shipment)
    # the third try finds the parcel the second made (PostNL: the stored barcode; Sendcloud: the
    # external reference), so it may not need the carrier's create call again
    assert outcomes[-1] == "handed_off" and set(outcomes[:-1]) == {"retry"}
    assert server.made == 1
    shipment.refresh_from_db()
    statuses = list(HandoffAttempt.objects.filter(shipment=shipment).values_list("http_status", flat=True))
    assert statuses[0] == 500 and statuses[1] is None
    assert "did not answer within" in HandoffAttempt.objects.get(shipment=shipment, number=2).message
    assert StockMovement.objects.filter(product=mug, kind="issue").count() == 1


def test_hand_off_through_each_adapter_refused_goes_to_the_exception_list_with_the_carriers_words(
    customer, mug, ams, packer, any_carrier
):
    carrier, server = any_carrier
    server.script = ["refuse"]
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    result = hand_off(shipment)
    expected = {"generic": "Unknown postcode", "postnl": "Invalid zipcode", "sendcloud": "Enter a valid postal code"}
    assert result.outcome == "failed" and expected[carrier.adapter] in result.message
    shipment.refresh_from_db()
    assert shipment.in_exception and shipment.handoff_attempts == 1 and server.made == 0


def test_hand_off_through_each_adapter_delivered_twice_asks_the_carrier_once(customer, mug, ams, packer, any_carrier):
    carrier, server = any_carrier
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    assert hand_off(shipment).outcome == "handed_off"
    assert hand_off(shipment).outcome == "skipped"
    assert server.creates == 1 and server.made == 1


@pytest.mark.parametrize("name", ["postnl", "sendcloud"])
def test_hand_off_waits_out_a_rate_limit(request, name, customer, mug, ams, packer):
    request.getfixturevalue(name)
    server = request.getfixturevalue(f"{name}_server")
    server.script = ["ratelimit"]
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    result = hand_off(shipment)
    assert result.outcome == "retry" and "HTTP 429" in result.message
    assert HandoffAttempt.objects.get(shipment=shipment).http_status == 429
    assert _run_until_done(shipment) == ["handed_off"] and server.made == 1


@pytest.mark.parametrize("name", ["postnl", "sendcloud"])
def test_hand_off_with_wrong_credentials_goes_to_the_exception_list_at_once(request, name, customer, mug, ams, packer):
    carrier, server = request.getfixturevalue(name), request.getfixturevalue(f"{name}_server")
    Carrier.objects.filter(pk=carrier.pk).update(api_key="wrong")
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    result = hand_off(shipment)
    assert result.outcome == "failed" and "HTTP 401" in result.message and "credentials" in result.message
    assert {"postnl": "Invalid ApiKey", "sendcloud": "Invalid username/password"}[name] in result.message
    assert server.made == 0


# --- PostNL ------------------------------------------------------------------------------------


def test_postnl_labels_the_barcode_it_reserved_with_our_account_and_the_recipient(
    customer, mug, ams, packer, postnl, postnl_server
):
    order = place(customer, ("MUG-RED", 2))
    shipment = pack(order, ams, packer, weight_grams=1250)
    assert hand_off(shipment).outcome == "handed_off"
    shipment.refresh_from_db()
    (barcode,) = postnl_server.labels
    assert shipment.tracking_number == barcode and barcode.startswith("3SDEVC")
    label_call = next(r for r in postnl_server.requests if r["path"] == "/shipment/v2_2/label")
    body = json.loads(label_call["body"])
    assert label_call["headers"]["apikey"] == "postnl-key"
    assert body["Customer"]["CustomerCode"] == "DEVC" and body["Customer"]["CollectionLocation"] == "123456"
    (parcel,) = body["Shipments"]
    assert parcel["Reference"] == shipment.number and parcel["Dimension"] == {"Weight": 1250}
    assert parcel["Addresses"][0]["Zipcode"] == "3511AB" and parcel["Addresses"][0]["Name"] == "Jan de Vries"
    assert parcel["ProductCodeDelivery"] == "3085"
    with default_storage.open(shipment.label.name, "rb") as handle:
        assert handle.read() == pdf_for(barcode)
    assert CarrierBooking.objects.get(handoff_key=shipment.handoff_key).tracking_number == barcode


def test_postnl_without_its_account_settings_is_refused_before_asking(
    customer, mug, ams, packer, postnl, postnl_server
):
    Carrier.objects.filter(pk=postnl.pk).update(options={"customer_code": "DEVC"})
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    result = hand_off(shipment)
    assert result.outcome == "failed" and "customer_number, collection_location" in result.message
    assert postnl_server.requests == []


def test_postnl_tracking_poll_moves_the_shipment_once(customer, mug, ams, packer, postnl, postnl_server):
    from shipping.services import tracking_poll

    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    hand_off(shipment)
    shipment.refresh_from_db()
    postnl_server.statuses[shipment.tracking_number] = {
        "PhaseCode": "4", "PhaseDescription": "Afgeleverd", "StatusCode": "11",
        "StatusDescription": "Zending afgeleverd", "TimeStamp": "27-11-2026 14:05:00",
    }  # fmt: skip
    assert tracking_poll.tracking_poll() == {"asked": 1, "moved": 1, "failed": 0}
    shipment.refresh_from_db()
    assert shipment.status == "delivered" and shipment.delivered_at.isoformat() == "2026-11-27T13:05:00+00:00"
    # asked again: the same report, recorded once, nothing moves (and a delivered parcel is not asked about)
    assert tracking_poll.tracking_poll() == {"asked": 0, "moved": 0, "failed": 0}
    assert shipment.tracking_events.filter(event_id__startswith="postnl-").count() == 1


def test_postnl_pickup_points_and_no_cancellation(postnl, postnl_server):
    from shipping.carriers import adapter_for
    from shipping.carriers.base import NotSupported

    adapter = adapter_for(postnl)
    points = adapter.pickup_points(postcode="3511 AB", country="NL")
    assert [p.id for p in points] == ["204052", "176227"]
    assert points[0].name == "Primera Oudegracht" and points[0].distance_m == 320
    assert points[0].opening_hours == ((0, "09:00-18:00"), (5, "10:00-17:00"))
    assert points[1].opening_hours == ((0, "08:00-12:00"), (0, "13:00-21:00"))
    call = postnl_server.requests[-1]
    assert call["path"] == "/shipment/v2_1/locations/nearest" and call["headers"]["apikey"] == "postnl-key"
    with pytest.raises(NotSupported):
        adapter.cancel_shipment(tracking_number="3SDEVC000000001")


# --- Sendcloud ---------------------------------------------------------------------------------


def test_sendcloud_creates_an_announced_parcel_with_our_reference_and_downloads_its_label(
    customer, mug, ams, packer, sendcloud, sendcloud_server
):
    shipment = pack(place(customer, ("MUG-RED", 2)), ams, packer, weight_grams=1250)
    assert hand_off(shipment).outcome == "handed_off"
    shipment.refresh_from_db()
    (parcel,) = sendcloud_server.parcels.values()
    assert shipment.tracking_number == parcel["tracking_number"]
    assert parcel["external_reference"] == str(shipment.handoff_key) and parcel["request_label"] is True
    assert parcel["shipment"] == {"id": 8} and parcel["weight"] == "1.250" and parcel["postal_code"] == "3511 AB"
    auth = base64.b64encode(b"sc-public:sc-secret").decode()
    assert all(r["headers"]["Authorization"] == f"Basic {auth}" for r in sendcloud_server.requests)
    with default_storage.open(shipment.label.name, "rb") as handle:
        assert handle.read() == pdf_for(parcel["tracking_number"])
    assert CarrierBooking.objects.get(handoff_key=shipment.handoff_key).reference == str(parcel["id"])


def test_a_carriers_label_prints_from_the_shipment_page(role_client, customer, mug, ams, packer, sendcloud):
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    hand_off(shipment)
    shipment.refresh_from_db()
    client = role_client("warehouse")
    page = client.get(reverse("shipping:shipment_detail", args=[shipment.pk])).content.decode()
    label = client.get(reverse("shipping:shipment_label", args=[shipment.pk]))
    assert reverse("shipping:shipment_label", args=[shipment.pk]) in page and shipment.tracking_number in page
    assert label["Content-Type"] == "application/pdf"
    assert b"".join(label.streaming_content) == pdf_for(shipment.tracking_number)


def test_sendcloud_finds_a_parcel_made_by_a_try_whose_answer_was_lost(
    customer, mug, ams, packer, sendcloud, sendcloud_server
):
    sendcloud_server.script = ["timeout"]
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    assert hand_off(shipment).outcome == "retry"
    assert len(sendcloud_server.parcels) == 1 and not CarrierBooking.objects.exists()
    Shipment.objects.filter(pk=shipment.pk).update(handoff_due_at=timezone.now())
    assert hand_off(shipment).outcome == "handed_off"
    # the second try looked the parcel up by its external reference and created nothing
    assert sendcloud_server.creates == 1 and len(sendcloud_server.parcels) == 1


def test_sendcloud_refusing_a_duplicate_reference_hands_off_the_parcel_already_made(
    customer, mug, ams, packer, sendcloud, sendcloud_server
):
    # another try made the parcel between this try's look-up and its create call
    sendcloud_server.script = ["duplicate"]
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    assert hand_off(shipment).outcome == "handed_off"
    (parcel,) = sendcloud_server.parcels.values()
    assert Shipment.objects.get(pk=shipment.pk).tracking_number == parcel["tracking_number"]


def test_sendcloud_sends_the_chosen_service_point_and_cancels(sendcloud, sendcloud_server):
    from shipping.adapters import ParcelRequest
    from shipping.carriers import adapter_for
    from shipping.carriers.base import CarrierRefused

    adapter = adapter_for(sendcloud)
    request = ParcelRequest(
        reference="SH-000009", order="SO-000009", carrier_name="Sendcloud", service_code="standard",
        idempotency_key="6f1c2d3e-0000-4000-8000-000000000009", sender={}, parcel_count=1, weight_grams=800,
        recipient={"name": "Jan", "street": "Vredenburg", "house_number": "40", "postal_code": "3511 BD",
                   "city": "Utrecht", "country": "NL"},
        pickup_point={"id": "10663904", "carrier": "sendcloud:postnl"},
    )  # fmt: skip
    label = adapter.create_shipment(request)
    parcel = sendcloud_server.parcels[int(label.carrier_reference)]
    assert parcel["to_service_point"] == 10663904
    adapter.cancel_shipment(tracking_number=label.tracking_number)
    assert parcel["status"] == {"id": 2000, "message": "Cancelled"}
    with pytest.raises(CarrierRefused) as caught:
        adapter.cancel_shipment(tracking_number=label.tracking_number)
    assert "already been cancelled" in caught.value.message


def test_sendcloud_service_points_nearest_first(sendcloud, sendcloud_server):
    from shipping.carriers import adapter_for

    points = adapter_for(sendcloud).pickup_points(postcode="3511 AB", country="NL")
    assert [(p.id, p.distance_m, p.carrier) for p in points] == [
        ("10663801", 180, "sendcloud:dhl"), ("10663904", 640, "sendcloud:postnl"),
    ]  # fmt: skip
    assert points[1].opening_hours == ((0, "08:00-22:00"), (1, "08:00-22:00"))
    call = sendcloud_server.requests[-1]
    assert call["path"] == "/api/v2/service-points"


def test_postnl_delivers_to_the_chosen_pickup_point(postnl, postnl_server):
    from shipping.adapters import ParcelRequest
    from shipping.carriers import adapter_for

    point = {"id": "204052", "name": "Primera Oudegracht", "street": "Oudegracht", "house_number": "120",
             "postal_code": "3511 AX", "city": "Utrecht", "country": "NL"}  # fmt: skip
    request = ParcelRequest(
        reference="SH-000010", order="SO-000010", carrier_name="PostNL", service_code="standard",
        idempotency_key="6f1c2d3e-0000-4000-8000-000000000010", sender={"name": "Shop"}, parcel_count=1,
        weight_grams=800, recipient={"name": "Jan", "street": "Vredenburg", "house_number": "40",
                                     "postal_code": "3511 BD", "city": "Utrecht", "country": "NL"},
        pickup_point=point,
    )  # fmt: skip
    label = adapter_for(postnl).create_shipment(request)
    shipment = postnl_server.labels[label.tracking_number]
    assert [a["AddressType"] for a in shipment["Addresses"]] == ["01", "09"]
    assert shipment["Addresses"][1]["Zipcode"] == "3511AX" and shipment["ProductCodeDelivery"] == "3533"


def test_tracking_poll_counts_a_carrier_that_does_not_answer_and_skips_sandboxes(
    customer, mug, ams, packer, postnl, postnl_server
):
    from shipping.services import tracking_poll

    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    hand_off(shipment)
    # PostNL does not know the barcode yet (404): counted, the shipment stays as it is
    assert tracking_poll.tracking_poll() == {"asked": 1, "moved": 0, "failed": 1}
    Carrier.objects.filter(pk=postnl.pk).update(api_endpoint="https://api.postnl.example")
    assert tracking_poll.tracking_poll() == {"asked": 0, "moved": 0, "failed": 0}
    assert Shipment.objects.get(pk=shipment.pk).status == "handed_off"
