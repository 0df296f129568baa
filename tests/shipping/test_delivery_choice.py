"""The customer's delivery choice, from entry to the carrier (issue 18, "Choice at entry"): an API
order with a chosen Sendcloud service and service point is charged and promised what the
delivery options offered, and is handed off through the Sendcloud fake with the choice intact;
the other adapters get the choice in their own words."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse

from orders.models import Order
from shipping.adapters import ParcelRequest
from shipping.carriers.postnl import PostNL
from shipping.models import Shipment
from tests.factories.orders import ADDRESS
from tests.factories.payments import dispatch_pending
from tests.shipping.conftest import PICKUP_METHOD_ID
from tests.shipping.flow import hand_off, pack, place

pytestmark = pytest.mark.django_db


def test_an_api_order_with_a_service_point_reaches_sendcloud_with_the_choice_intact(
    api_client_for, sendcloud_pickup, sendcloud_server, mug, ams, packer
):
    api = api_client_for("api_client")
    # given the webshop looked up the options and the points near the customer
    options = api.get("/api/v1/delivery-options/", {"lines": "MUG-RED:2", "postal_code": "3511 AB"}).json()["results"]
    offered = {o["shipping_method"]: o for o in options}
    assert set(offered) == {"sendcloud:pickup", "sendcloud:standard"}
    assert offered["sendcloud:pickup"]["to_pickup_point"] and not offered["sendcloud:standard"]["to_pickup_point"]
    points = api.get("/api/v1/pickup-points/", {"postcode": "3511 AB", "carrier": "sendcloud"}).json()["results"]
    point = next(p for p in points if p["carrier"] == "sendcloud:postnl")
    # when it places the order for the service point
    body = {
        "channel": "web",
        "customer": {"email": "pim@example.nl", "name": "Pim"},
        "shipping_address": ADDRESS,
        "lines": [{"sku": "MUG-RED", "quantity": 2}],
        "payment_method": "bank_transfer",
        "shipping_method": "sendcloud:pickup",
        "pickup_point": point,
    }
    response = api.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    # then it is charged and promised what was offered, and the point is on the order
    assert answer["totals"]["shipping"] == offered["sendcloud:pickup"]["price_excl_vat"] == "3.60"
    assert answer["promised_delivery_date"] == offered["sendcloud:pickup"]["promised_delivery_date"]
    assert answer["pickup_point"]["id"] == point["id"] == "10663904"
    order = Order.objects.get(number=answer["number"])
    # when the warehouse packs it and it is handed off
    shipment = pack(order, ams, packer, weight_grams=1100)
    assert shipment.service.code == "pickup"
    assert hand_off(shipment).outcome == "handed_off"
    # then the parcel Sendcloud received has the chosen method and the service point
    assert sendcloud_server.made == 1
    received = next(iter(sendcloud_server.parcels.values()))
    assert received["shipment"] == {"id": PICKUP_METHOD_ID}
    assert received["to_service_point"] == 10663904
    assert received["postal_code"] == "3511 AB"  # the customer's own address stays the recipient's
    assert Shipment.objects.get(pk=shipment.pk).status == "handed_off"


def test_an_order_without_a_choice_goes_home_with_the_standard_method(
    api_client_for, sendcloud_pickup, sendcloud_server, mug, ams, packer
):
    api = api_client_for("api_client")
    body = {"channel": "web", "customer": {"email": "pim@example.nl", "name": "Pim"}, "shipping_address": ADDRESS,
            "lines": [{"sku": "MUG-RED", "quantity": 1}], "payment_method": "bank_transfer"}  # fmt: skip
    answer = api.post("/api/v1/orders/", body, format="json").json()
    assert answer["shipping_method"] == "sendcloud:standard" and answer["pickup_point"] is None
    shipment = pack(Order.objects.get(number=answer["number"]), ams, packer)
    assert hand_off(shipment).outcome == "handed_off"
    received = next(iter(sendcloud_server.parcels.values()))
    assert received["shipment"] == {"id": 8} and "to_service_point" not in received


def _request(**extra) -> ParcelRequest:
    values = {
        "reference": "SH-000001", "order": "SO-000001", "carrier_name": "PostNL", "service_code": "pickup",
        "idempotency_key": "k", "sender": {"name": "Shop"}, "recipient": {"name": "Pim", "postal_code": "3511 AB"},
        "parcel_count": 1, "weight_grams": 1000,
    }  # fmt: skip
    return ParcelRequest(**(values | extra))


def test_the_generic_json_carries_the_pickup_point_and_postnl_its_product_and_location():
    point = {"id": "204052", "name": "Primera", "street": "Oudegracht", "house_number": "120",
             "postal_code": "3511 AX", "city": "Utrecht", "country": "NL"}  # fmt: skip
    assert _request(pickup_point=point).as_json()["pickup_point"] == point
    assert "pickup_point" not in _request().as_json()

    class Carrier:
        pk, code, api_endpoint, api_key = None, "postnl", "https://api.postnl.example", "k"
        options = {"customer_code": "DEVC", "customer_number": "1", "collection_location": "2",
                   "product_codes": {"evening": "3385"}}  # fmt: skip

    adapter = PostNL(Carrier())
    body = adapter._label_body(_request(pickup_point=point), "3SDEVC0000001")
    shipment = body["Shipments"][0]
    assert shipment["DeliveryAddress"] == "09" and shipment["ProductCodeDelivery"] == "3533"
    assert any(a["AddressType"] == "09" and a["Zipcode"] == "3511AX" for a in shipment["Addresses"])
    evening = adapter._label_body(_request(service_code="evening"), "3SDEVC0000002")["Shipments"][0]
    assert evening["ProductCodeDelivery"] == "3385"
    json.dumps(body)  # what goes over the wire


def test_the_choice_is_shown_in_the_confirmation_on_the_customers_page_and_on_the_order_page(
    sendcloud_pickup, mug, customer, client, make_user, django_capture_on_commit_callbacks
):
    point = {"id": "10663904", "carrier": "sendcloud:postnl", "name": "Albert Heijn Vredenburg",
             "street": "Vredenburg", "house_number": "40", "postal_code": "3511 BD", "city": "Utrecht"}  # fmt: skip
    order = place(customer, ("MUG-RED", 1), shipping_method="sendcloud:pickup", pickup_point=point)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_pending()
    (message,) = [m for m in mail.outbox if m.to == [customer.email] and order.number in m.subject]
    assert "Bezorging: Sendcloud Service point" in message.body
    assert "Ophalen bij: Albert Heijn Vredenburg, Vredenburg 40, 3511 BD Utrecht" in message.body
    page = client.get(urlsplit(order.status_url).path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sendcloud Service point" in html and "Albert Heijn Vredenburg, Vredenburg 40, 3511 BD Utrecht" in html
    client.force_login(make_user("customer_service"))
    staff = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert 'data-testid="pickup-point"' in staff and "10663904" in staff and "sendcloud:pickup" in staff
