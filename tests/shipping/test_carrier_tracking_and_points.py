"""Sendcloud's signed tracking webhook, pick-up points (selector with its cache, and the API),
the carrier screen's adapter settings, and the HTTP guard every adapter connects through."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from shipping.carriers.base import CarrierRefused, HttpApi, _client, _GuardedBackend
from shipping.endpoints import EndpointRefused
from shipping.models import Carrier, Shipment, TrackingEvent
from tests.shipping.fake_apis import FakeSendcloud
from tests.shipping.flow import place, ship

pytestmark = pytest.mark.django_db


def _sendcloud_hook(client, payload, *, secret=FakeSendcloud.secret_key, code="sendcloud"):
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(f"/webhooks/carriers/{code}/", data=body, content_type="application/json",
                       HTTP_SENDCLOUD_SIGNATURE=signature)  # fmt: skip


def _status_changed(shipment, status_id, message, timestamp=1795000000000):
    return {"action": "parcel_status_changed", "timestamp": timestamp,
            "parcel": {"id": 1001, "tracking_number": shipment.tracking_number,
                       "status": {"id": status_id, "message": message}}}  # fmt: skip


# --- the Sendcloud webhook ---------------------------------------------------------------------


def test_sendcloud_webhook_signed_moves_the_shipment_once(client, customer, mug, ams, packer, sendcloud):
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)

    response = _sendcloud_hook(client, _status_changed(shipment, 11, "Delivered"))
    again = _sendcloud_hook(client, _status_changed(shipment, 11, "Delivered"))

    assert response.status_code == 200 and response.json()["results"][0]["result"] == "applied"
    assert again.status_code == 200 and again.json()["results"][0]["result"] == "duplicate"
    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    event = TrackingEvent.objects.get(shipment=shipment, status="delivered")
    assert event.description == "Delivered" and event.event_id == "sendcloud-1001-11-1795000000000"


def test_sendcloud_webhook_with_a_bad_signature_is_403_and_changes_nothing(
    client, customer, mug, ams, packer, sendcloud
):
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    events_before = TrackingEvent.objects.count()

    response = _sendcloud_hook(client, _status_changed(shipment, 11, "Delivered"), secret="not-the-secret")
    unsigned = client.post("/webhooks/carriers/sendcloud/", data=b"{}", content_type="application/json")

    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "bad_signature"
    assert unsigned.status_code == 403
    assert Shipment.objects.get(pk=shipment.pk).status == "handed_off"
    assert TrackingEvent.objects.count() == events_before


def test_sendcloud_webhook_ignores_other_actions_and_unknown_statuses_and_parcels(
    client, customer, mug, ams, packer, sendcloud
):
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    other = _sendcloud_hook(client, {"action": "integration_updated", "timestamp": 1795000000000})
    cancelled = _sendcloud_hook(client, _status_changed(shipment, 2000, "Cancelled"))
    foreign = {"id": 9, "tracking_number": "NOT-OURS", "status": {"id": 3}}
    stranger = _sendcloud_hook(client, {**_status_changed(shipment, 3, "En route"), "parcel": foreign})
    malformed = _sendcloud_hook(client, "not an object")

    assert other.status_code == cancelled.status_code == 200 and other.json()["ignored"] is True
    assert stranger.status_code == 200 and stranger.json()["results"][0]["result"] == "unknown_shipment"
    assert malformed.status_code == 200 and malformed.json()["ignored"] is True
    assert Shipment.objects.get(pk=shipment.pk).status == "handed_off"


def test_sendcloud_webhook_in_transit_after_delivered_is_recorded_not_applied(
    client, customer, mug, ams, packer, sendcloud
):
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    _sendcloud_hook(client, _status_changed(shipment, 11, "Delivered", timestamp=1795000000000))
    late = _sendcloud_hook(client, _status_changed(shipment, 91, "Parcel en route", timestamp=1794990000000))
    assert late.json()["results"][0]["result"] == "recorded"
    assert Shipment.objects.get(pk=shipment.pk).status == "delivered"


# --- pick-up points ----------------------------------------------------------------------------


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_pickup_points_are_cached_per_carrier_and_postcode(fresh_cache, sendcloud, sendcloud_server):
    from shipping.selectors.pickup import pickup_points

    first = pickup_points(sendcloud, "3511ab", "nl")
    second = pickup_points(sendcloud, "3511 AB", "NL")
    other = pickup_points(sendcloud, "1011 AB", "NL")

    assert first == second and [p.id for p in first] == ["10663801", "10663904"]
    calls = [r for r in sendcloud_server.requests if r["path"] == "/api/v2/service-points"]
    assert len(calls) == 2 and len(other) == 2


def test_pickup_points_refuse_a_bad_postcode(sendcloud):
    from oms.errors import ValidationFailed
    from shipping.selectors.pickup import pickup_points

    with pytest.raises(ValidationFailed) as caught:
        pickup_points(sendcloud, "35111 AB", "NL")
    assert (caught.value.field, caught.value.code) == ("postcode", "invalid_postal_code")


def test_pickup_points_api_lists_every_carriers_points_nearest_first(
    fresh_cache, api_client_for, postnl, sendcloud, postnl_server, sendcloud_server
):
    client = api_client_for(scopes=["orders:write"], channel="web")

    response = client.get("/api/v1/pickup-points/", {"postcode": "3511 AB", "country": "NL"})
    only = client.get("/api/v1/pickup-points/", {"postcode": "3511 AB", "carrier": "postnl", "limit": "1"})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(p["id"], p["distance_m"]) for p in results] == [
        ("10663801", 180), ("204052", 320), ("10663904", 640), ("176227", 850),
    ]  # fmt: skip
    assert results[1]["carrier"] == "postnl" and results[1]["opening_hours"][0] == {"day": 0, "hours": "09:00-18:00"}
    assert [p["id"] for p in only.json()["results"]] == ["204052"]


def test_pickup_points_api_leaves_out_a_carrier_that_is_down(
    fresh_cache, api_client_for, postnl, sendcloud, postnl_server, sendcloud_server
):
    Carrier.objects.filter(pk=postnl.pk).update(api_key="wrong")
    response = api_client_for(scopes=["orders:read"]).get("/api/v1/pickup-points/", {"postcode": "3511AB"})
    assert response.status_code == 200
    assert {p["carrier"] for p in response.json()["results"]} == {"sendcloud:dhl", "sendcloud:postnl"}


def test_pickup_points_api_bad_postcode_is_a_problem(api_client_for):
    response = api_client_for(scopes=["orders:write"]).get("/api/v1/pickup-points/", {"postcode": "ABCD 12"})
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == ("postcode", "invalid_postal_code")


def test_pickup_points_api_needs_an_order_scope(api_client_for):
    response = api_client_for(scopes=["stock:write"]).get("/api/v1/pickup-points/", {"postcode": "3511AB"})
    assert response.status_code == 403


def test_demo_sandbox_carrier_offers_pickup_points_offline(fresh_cache):
    from shipping.selectors.pickup import pickup_points

    carrier = Carrier.objects.create(code="pn-demo", name="PostNL demo", adapter="postnl",
                                     api_endpoint="https://api.postnl.example")  # fmt: skip
    points = pickup_points(carrier, "3511 AB")
    assert len(points) == 3 and points[0].distance_m < points[1].distance_m


# --- the carrier screen -------------------------------------------------------------------------


def test_carrier_screen_sets_the_adapter_keeps_secrets_and_checks_the_settings(role_client):
    client = role_client("warehouse")
    post = {"code": "sendcloud", "name": "Sendcloud", "kind": "external", "active": "on", "adapter": "sendcloud",
            "api_endpoint": "", "api_key": "pub", "api_secret": "sec-123", "sort_order": "0",
            "options": '{"shipping_methods": {"standard": 8}}'}  # fmt: skip

    missing = client.post(reverse("shipping:carrier_new"), post | {"options": "{}"})
    not_json = client.post(reverse("shipping:carrier_new"), post | {"options": "{shipping"})
    assert "need: shipping_methods" in missing.content.decode() and "This is not JSON" in not_json.content.decode()
    assert not Carrier.objects.filter(code="sendcloud").exists()

    created = client.post(reverse("shipping:carrier_new"), post)

    assert created.status_code == 302
    carrier = Carrier.objects.get(code="sendcloud")
    assert (carrier.adapter, carrier.api_secret) == ("sendcloud", "sec-123")
    assert carrier.options == {"shipping_methods": {"standard": 8}}
    url = reverse("shipping:carrier_edit", args=[carrier.pk])
    html = client.get(url).content.decode()
    assert "sec-123" not in html and "An API secret is stored" in html and "shipping_methods" in html
    client.post(url, post | {"api_secret": "", "name": "Sendcloud NL"})
    carrier.refresh_from_db()
    assert (carrier.name, carrier.api_secret) == ("Sendcloud NL", "sec-123")


# --- the HTTP guard ----------------------------------------------------------------------------


def test_adapters_do_not_connect_to_our_own_network(settings, sendcloud_server):
    settings.OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS = False
    api = HttpApi(sendcloud_server.url, carrier="Sendcloud")
    with pytest.raises(CarrierRefused) as caught:
        api.call("GET", "/api/v2/parcels")
    assert "https" in caught.value.message
    # and below the URL check, on the address actually connected to (a name that resolves inward):
    # the backend itself, and the client every adapter uses, which must be built on it
    with pytest.raises(EndpointRefused):
        _GuardedBackend().connect_tcp("localhost", sendcloud_server.server_address[1])
    with pytest.raises(EndpointRefused), _client(1.0) as client:
        client.get(f"http://localhost:{sendcloud_server.server_address[1]}/api/v2/parcels")
    assert sendcloud_server.requests == []
