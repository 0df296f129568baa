"""API.md 1.1 "API clients and scopes": every endpoint against every scope, and the order rules of
clients bound to a channel (two webshops on one channel never see each other's orders)."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import Customer
from oms.api_clients import CHANNELS, Scope
from orders.models import Channel, Order, OrderStatus
from tests.factories.orders import place
from tests.orders.test_api import body_for, errors

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"
SCOPES = [s for s in Scope.values if s != Scope.ALL]
ANY_CLIENT = "any client"

# (method, path, body, the scopes that let a client through). Unknown numbers are on purpose: a
# client let through gets 404/400 (or its 201), one refused gets 403 before anything is looked up.
ENDPOINTS = [
    ("get", "/api/v1/orders/", None, {"orders:read", "orders:write"}),
    ("post", "/api/v1/orders/", {"channel": "web"}, {"orders:write"}),
    ("get", "/api/v1/orders/SO-999999/", None, {"orders:read", "orders:write"}),
    ("post", "/api/v1/orders/SO-999999/cancel/", {}, {"orders:write"}),
    ("post", "/api/v1/orders/SO-999999/payment-link/", {}, {"orders:write"}),
    ("get", "/api/v1/orders/SO-999999/payments/", None, {"payments:write"}),
    (
        "post",
        "/api/v1/orders/SO-999999/payments/",
        {"method": "ideal", "amount": "1.00", "reference": "tr_1"},
        {"payments:write"},
    ),
    ("get", "/api/v1/invoices/2099-000001/", None, {"invoices:read"}),
    ("post", "/api/v1/bank-statements/", {}, {"payments:write"}),
    ("post", "/api/v1/settlements/", {}, {"payments:write"}),
    ("get", "/api/v1/invoices/2099-000001/pdf/", None, {"invoices:read"}),
    ("get", "/api/v1/invoices/2099-000001/ubl/", None, {"invoices:read"}),
    ("get", "/api/v1/events/", None, {"events:read"}),
    ("get", "/api/v1/webhook-endpoints/", None, {"webhooks:write"}),
    ("post", "/api/v1/webhook-endpoints/", {"url": "http://203.0.113.5/"}, {"webhooks:write"}),
    ("get", "/api/v1/webhook-endpoints/999999/", None, {"webhooks:write"}),
    ("patch", "/api/v1/webhook-endpoints/999999/", {"enabled": False}, {"webhooks:write"}),
    ("delete", "/api/v1/webhook-endpoints/999999/", None, {"webhooks:write"}),
    ("get", "/api/v1/webhook-endpoints/999999/deliveries/", None, {"webhooks:write"}),
    ("post", "/api/v1/webhook-endpoints/999999/deliveries/1/replay/", {}, {"webhooks:write"}),
    ("post", "/api/v1/webhook-endpoints/999999/replay-failed/", {}, {"webhooks:write"}),
    ("get", "/api/v1/invoices/", None, {"invoices:read"}),
    ("get", "/api/v1/payments/", None, {"invoices:read", "payments:write"}),
    ("get", "/api/v1/stock-movements/", None, {"stock:write"}),
    ("get", "/api/v1/shipments/", None, {"orders:read", "orders:write"}),
    ("get", "/api/v1/pickup-points/?postcode=3511AB", None, {"orders:read", "orders:write"}),
    ("get", "/api/v1/delivery-options/?lines=NOPE:1&postal_code=3511AB", None, {"orders:read", "orders:write"}),
    ("get", "/api/v1/purchase-orders/", None, {"all"}),
    ("get", "/api/v1/customers/", None, {"customers:read"}),
    ("get", "/api/v1/customers/C-999999/", None, {"customers:read"}),
    ("post", "/api/v1/customers/", {"kind": "b2c", "name": "Anna"}, {"customers:write"}),
    ("get", "/api/v1/products/", None, ANY_CLIENT),
    ("get", "/api/v1/products/NOPE/", None, ANY_CLIENT),
    ("get", "/api/v1/products/NOPE/availability/", None, ANY_CLIENT),
    (
        "put",
        "/api/v1/products/NEW-1/",
        {"name": "New", "list_price": "1.00", "vat_category": "high"},
        {"catalog:write"},
    ),
    (
        "post",
        "/api/v1/stock/adjustments/",
        {"sku": "NOPE", "warehouse": "AMS", "quantity_delta": 1, "reason": "count"},
        {"stock:write"},
    ),
    ("get", "/api/v1/warehouses/", None, ANY_CLIENT),
    ("get", "/api/v1/warehouses/NOPE/", None, ANY_CLIENT),
    (
        "put",
        "/api/v1/warehouses/ZZZ/",
        {
            "name": "Zwolle",
            "street": "Markt",
            "house_number": "1",
            "postal_code": "8011 LW",
            "city": "Zwolle",
            "country": "NL",
        },
        {"warehouses:write"},
    ),
]


def _call(client, method, path, body):
    return getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)


@pytest.mark.parametrize("method,path,body,allowed", ENDPOINTS, ids=[f"{m.upper()} {p}" for m, p, _, _ in ENDPOINTS])
def test_each_endpoint_lets_through_exactly_its_scopes(method, path, body, allowed, api_client_for):
    for scope in SCOPES:
        response = _call(api_client_for(scopes=[scope]), method, path, body)
        if allowed == ANY_CLIENT or scope in allowed:
            assert response.status_code not in (401, 403), (scope, response.content)
            assert response.status_code < 500
        else:
            assert response.status_code == 403, (scope, response.status_code)
            problem = response.json()
            assert response["Content-Type"] == "application/problem+json"
            assert problem["errors"][0]["code"] == "insufficient_scope"
            assert set(problem["errors"][0]["required_scopes"]) == set(allowed)
    # ``all`` holds every scope
    assert _call(api_client_for(scopes=["all"]), method, path, body).status_code not in (401, 403)


def test_every_api_url_is_in_the_scope_matrix():
    from tests.routes import all_routes

    api_names = {r.name for r in all_routes() if r.api}
    covered = {
        "api:order-list",
        "api:order-detail",
        "api:order-cancel",
        "api:order-payments",
        "api:order-payment-link",
        "api:invoice-detail",
        "api:invoice-pdf",
        "api:invoice-ubl",
        "api:event-feed",
        "api:webhook-endpoint-list",
        "api:webhook-endpoint-detail",
        "api:webhook-delivery-list",
        "api:webhook-delivery-replay",
        "api:webhook-replay-failed",
        "api:invoice-list",
        "api:payment-list",
        "api:stock_movement_list",
        "api:shipment-list",
        "api:pickup-point-list",
        "api:delivery-option-list",
        "api:purchase-order-list",
        "api:bank-statements",
        "api:settlements",
        "api:customer-list",
        "api:customer-detail",
        "api:product_list",
        "api:product_detail",
        "api:product_availability",
        "api:stock_adjustment_create",
        "api:warehouse_list",
        "api:warehouse_detail",
    }
    assert api_names <= covered, f"add to ENDPOINTS above: {sorted(api_names - covered)}"


def test_the_channels_a_client_may_be_bound_to_are_the_order_channels():
    assert set(CHANNELS) == set(Channel.values)


# --- clients bound to a channel ------------------------------------------------------------------


@pytest.fixture
def shops(api_client_for):
    """Two webshops on channel web, and an ERP that reads every order."""
    one = api_client_for(scopes=["orders:write"], channel="web", name="Shop one")
    two = api_client_for(scopes=["orders:write", "orders:read"], channel="web", name="Shop two")
    erp = api_client_for(scopes=["orders:read"], name="ERP")
    return one, two, erp


def test_two_webshops_on_one_channel_never_see_each_others_orders(shops, customer, mug):
    one, two, erp = shops
    # given an order of each shop and a phone order entered by staff
    mine = one.post(URL, body_for(customer, external_reference="ONE-1"), format="json").json()["number"]
    theirs = two.post(URL, body_for(customer, external_reference="TWO-1"), format="json").json()["number"]
    phone = place(customer, ("MUG-RED", 1), channel="phone").number
    # then each shop reads and lists its own only; the rest is 404, as if unknown
    assert one.get(f"{URL}{mine}/").status_code == 200
    for number in (theirs, phone):
        response = one.get(f"{URL}{number}/")
        assert response.status_code == 404 and errors(response) == {("number", "not_found")}
    assert two.get(f"{URL}{mine}/").status_code == 404
    assert [o["number"] for o in one.get(URL).json()["results"]] == [mine]
    assert [o["number"] for o in two.get(URL, {"channel": "web"}).json()["results"]] == [theirs]
    # and an unbound client with orders:read (an ERP) reads them all
    assert {o["number"] for o in erp.get(URL).json()["results"]} == {mine, theirs, phone}
    assert erp.get(f"{URL}{mine}/").status_code == 200


def test_a_bound_client_cannot_cancel_another_order_which_is_404_to_it(shops, customer, mug):
    one, two, erp = shops
    theirs = two.post(URL, body_for(customer, external_reference="TWO-1"), format="json").json()["number"]
    phone = place(customer, ("MUG-RED", 1), channel="phone").number
    for number in (theirs, phone):
        response = one.post(f"{URL}{number}/cancel/", {}, format="json")
        assert response.status_code == 404 and errors(response) == {("number", "not_found")}
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.ALLOCATED}
    # its own order it cancels
    mine = one.post(URL, body_for(customer, external_reference="ONE-1"), format="json").json()["number"]
    assert one.post(f"{URL}{mine}/cancel/", {}, format="json").json()["status"] == "cancelled"


def test_an_unbound_client_reading_every_order_still_cancels_only_its_own(api_client_for, customer, mug):
    erp = api_client_for(scopes=["orders:read", "orders:write"], name="ERP")
    phone = place(customer, ("MUG-RED", 1), channel="phone")
    response = erp.post(f"{URL}{phone.number}/cancel/", {}, format="json")
    assert response.status_code == 403 and errors(response) == {(None, "insufficient_scope")}
    phone.refresh_from_db()
    assert phone.status == OrderStatus.ALLOCATED
    # a token from before 1.1 (``all``, unbound) cancels any order, as it did
    assert api_client_for(scopes=["all"]).post(f"{URL}{phone.number}/cancel/", {}, format="json").status_code == 200


def test_a_bound_client_places_orders_in_its_channel_only(shops, customer, mug):
    one, _, _ = shops
    response = one.post(URL, body_for(customer, channel="phone"), format="json")
    assert response.status_code == 403 and errors(response) == {("channel", "insufficient_scope")}
    assert response.json()["errors"][0]["required_scopes"] == []
    assert Order.objects.count() == 0
    assert one.post(URL, body_for(customer, channel="web"), format="json").status_code == 201


def test_a_bound_client_reads_payments_and_invoices_of_its_own_orders_only(api_client_for, customer, mug):
    shop = api_client_for(scopes=["payments:write", "invoices:read"], channel="web")
    phone = place(customer, ("MUG-RED", 1), channel="phone")
    assert shop.get(f"{URL}{phone.number}/payments/").status_code == 404
    body = {"method": "ideal", "amount": "1.00", "reference": "tr_other"}
    assert shop.post(f"{URL}{phone.number}/payments/", body, format="json").status_code == 404
    # an unbound client with payments:write (a payment provider's bridge) pays any order
    bridge = api_client_for(scopes=["payments:write"])
    assert bridge.get(f"{URL}{phone.number}/payments/").status_code == 200


# --- prices:override -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line,field",
    [
        ({"sku": "MUG-RED", "quantity": 1, "unit_price": "0.00"}, "lines.0.unit_price"),
        ({"sku": "MUG-RED", "quantity": 1, "discount_percent": "100"}, "lines.0.discount_percent"),
    ],
)
def test_a_free_line_needs_prices_override(api_client_for, customer, mug, line, field):
    shop = api_client_for(scopes=["orders:write"], channel="web")
    response = shop.post(URL, body_for(customer, lines=[line]), format="json")
    assert response.status_code == 403 and errors(response) == {(field, "insufficient_scope")}
    assert response.json()["errors"][0]["required_scopes"] == ["prices:override"]
    assert Order.objects.count() == 0
    # a price of its own that is not free needs no override
    paid = {"sku": "MUG-RED", "quantity": 1, "unit_price": "5.00", "discount_percent": "50"}
    assert shop.post(URL, body_for(customer, lines=[paid]), format="json").status_code == 201
    # with the scope the free line is placed
    trusted = api_client_for(scopes=["orders:write", "prices:override"], channel="web")
    response = trusted.post(URL, body_for(customer, lines=[line], external_reference="WEB-2"), format="json")
    assert response.status_code == 201 and response.json()["totals"]["net"] == "0.00"


def test_staff_tokens_keep_the_rights_of_their_roles(api_client_for, make_user, customer, mug):
    # customer service places and cancels any order, a free one too (given the price permission,
    # with a reason), with its own DRF token
    cs = api_client_for("customer_service")
    cs.user.user_permissions.add(Permission.objects.get(codename="change_line_price"))
    line = {"sku": "MUG-RED", "quantity": 1, "unit_price": "0.00", "reason": "replacement"}
    number = cs.post(URL, body_for(customer, lines=[line]), format="json").json()["number"]
    phone = place(customer, ("MUG-RED", 1), channel="phone")
    assert cs.post(f"{URL}{phone.number}/cancel/", {}, format="json").status_code == 200
    assert cs.get(f"{URL}{number}/").status_code == 200
    # warehouse may not, nor a DRF token of an api_client-role user made after 1.1 (no staff role)
    assert api_client_for("warehouse").get(URL).status_code == 403
    old_shop = make_user("api_client")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=old_shop).key}")
    assert client.get(URL).status_code == 403


# --- customers: credit needs credit:write --------------------------------------------------------


@pytest.mark.parametrize("field,value", [("credit_limit", "9999999999.99"), ("payment_terms_days", 365)])
def test_customers_write_without_credit_write_sets_no_credit_terms(api_client_for, field, value):
    shop = api_client_for(scopes=["customers:write"])
    body = {"kind": "b2b", "name": "Bakkerij", "company_name": "Bakkerij BV", field: value}
    response = shop.post("/api/v1/customers/", body, format="json")
    assert response.status_code == 403 and errors(response) == {(field, "insufficient_scope")}
    assert response.json()["errors"][0]["required_scopes"] == ["credit:write"]
    assert not Customer.objects.filter(name="Bakkerij").exists()
    # without the field it creates the customer; with credit:write the field too
    del body[field]
    assert shop.post("/api/v1/customers/", body, format="json").status_code == 201
    finance = api_client_for(scopes=["customers:write", "credit:write"])
    body |= {"name": "Slagerij", "company_name": "Slagerij BV", field: value}
    assert finance.post("/api/v1/customers/", body, format="json").status_code == 201
