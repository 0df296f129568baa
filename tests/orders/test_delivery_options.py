"""The delivery choice at entry (issue 18): ``GET /api/v1/delivery-options/`` and
``shipping_method`` / ``pickup_point`` on ``POST /api/v1/orders/``, through shipping's quote
backend (the settings default)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from inventory.models import Product
from oms.errors import ValidationFailed
from orders.models import Order
from orders.services import order_draft_add_line, order_draft_create, order_draft_set_delivery
from orders.services.delivery_options import draft_offers
from tests.factories.inventory import ProductFactory, stock
from tests.factories.orders import ADDRESS
from tests.factories.shipping import CarrierFactory, RateFactory, ServiceLevelFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipping_quotes")]
SHIPPING = "shipping.quotes.quote_delivery"
POINT = {
    "id": "204052",
    "carrier": "sendcloud:postnl",
    "name": "Primera Oudegracht",
    "street": "Oudegracht",
    "house_number": "120",
    "postal_code": "3511 AX",
    "city": "Utrecht",
    "country": "NL",
    "distance_m": 320,
    "opening_hours": [{"day": 0, "hours": "09:00-18:00"}],
}


@pytest.fixture
def shipping_quotes():
    with override_settings(OMS_DELIVERY_QUOTE_BACKEND=SHIPPING):
        yield


@pytest.fixture
def services(db):
    """Home delivery 4.10 excl. VAT next day (postnl:standard); to a pick-up point 3.60 in two
    days (sendcloud:pickup); express 9.50 same transit (postnl:express)."""
    postnl = CarrierFactory(code="postnl", name="PostNL")
    sendcloud = CarrierFactory(code="sendcloud", name="Sendcloud")
    standard = ServiceLevelFactory(carrier=postnl, code="standard", name="Standard", transit_days=1)
    express = ServiceLevelFactory(carrier=postnl, code="express", name="Express", transit_days=1)
    pickup = ServiceLevelFactory(
        carrier=sendcloud, code="pickup", name="Afhaalpunt", transit_days=2, to_pickup_point=True
    )
    for service, price in ((standard, "4.10"), (express, "9.50"), (pickup, "3.60")):
        RateFactory(service=service, max_weight_grams=30000, price=Decimal(price))
    return standard, express, pickup


def catalogue(ams, n: int) -> list[str]:
    skus = []
    for i in range(n):
        product = ProductFactory(sku=f"DO-{i}", list_price=Decimal("10.00"), vat_category="high", weight_grams=500)
        stock(product, ams, 50)
        skus.append(product.sku)
    return skus


def options(api, **params):
    return api.get("/api/v1/delivery-options/", params)


def test_the_options_are_every_service_that_delivers_cheapest_first_with_prices_and_dates(
    api_client_for, services, ams
):
    skus = catalogue(ams, 2)
    api = api_client_for("api_client")
    response = options(api, lines=[f"{skus[0]}:2", f"{skus[1]}:1"], postal_code="3511ab", country="NL")
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [o["shipping_method"] for o in results] == ["sendcloud:pickup", "postnl:standard", "postnl:express"]
    pickup, standard, _ = results
    assert pickup["name"] == "Sendcloud Afhaalpunt" and pickup["to_pickup_point"] is True
    assert standard["to_pickup_point"] is False
    # a consumer's price: 4.10 excl. VAT, 4.96 with 21 %
    assert (standard["price_excl_vat"], standard["price_incl_vat"]) == ("4.10", "4.96")
    # two transit days against one: the pick-up point's promise is later
    assert pickup["promised_delivery_date"] > standard["promised_delivery_date"]
    assert pickup["first_delivery_date"] <= pickup["promised_delivery_date"]


def test_bad_input_is_a_problem_with_the_field(api_client_for, services, ams):
    skus = catalogue(ams, 1)
    api = api_client_for("api_client")
    cases = [
        ({"postal_code": "3511 AB"}, "lines", "required"),
        ({"lines": ["DO-0"], "postal_code": "3511 AB"}, "lines.0", "invalid"),
        ({"lines": ["NOPE:1"], "postal_code": "3511 AB"}, "lines.0.sku", "unknown_sku"),
        ({"lines": [f"{skus[0]}:0"], "postal_code": "3511 AB"}, "lines.0.quantity", None),
        ({"lines": [f"{skus[0]}:1"], "postal_code": "35"}, "postal_code", "invalid_postal_code"),
        ({"lines": [f"{skus[0]}:1"], "postal_code": "3511 AB", "country": "XX"}, "country", "invalid_country"),
        ({"lines": [f"{skus[0]}:1"], "postal_code": "3511 AB", "channel": "store"}, "channel", "invalid_choice"),
    ]
    for params, field, code in cases:
        response = options(api, **params)
        assert response.status_code == 400, (params, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
        error = response.json()["errors"][0]
        assert error["field"] == field, (params, error)
        if code:
            assert error["code"] == code, (params, error)


def test_options_need_an_orders_scope(api_client_for, services, ams):
    skus = catalogue(ams, 1)
    api = api_client_for(scopes=["catalog:write"])
    assert options(api, lines=[f"{skus[0]}:1"], postal_code="3511 AB").status_code == 403


def test_the_options_cost_the_same_queries_for_one_line_or_ten_and_read_no_reference_table_when_warm(
    api_client_for, services, ams
):
    skus = catalogue(ams, 10)
    api = api_client_for("api_client")
    options(api, lines=[f"{skus[0]}:1"], postal_code="3511 AB")  # caches warm
    counts = []
    for size in (1, 10):
        with CaptureQueriesContext(connection) as captured:
            response = options(api, lines=[f"{sku}:1" for sku in skus[:size]], postal_code="3511 AB")
        assert response.status_code == 200 and len(response.json()["results"]) == 3
        sql = " ".join(q["sql"] for q in captured.captured_queries)
        assert "shipping_rate" not in sql and "shipping_servicelevel" not in sql  # three options, no table re-read
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 5, counts


def order_body(skus, **extra) -> dict:
    return {
        "channel": "web",
        "customer": {"email": "anne@example.nl", "name": "Anne"},
        "shipping_address": ADDRESS,
        "lines": [{"sku": sku, "quantity": 1} for sku in skus],
        "payment_method": "ideal",
        **extra,
    }


def test_an_order_with_a_chosen_service_is_charged_and_promised_what_the_option_offered(api_client_for, services, ams):
    skus = catalogue(ams, 2)
    api = api_client_for("api_client")
    offered = {
        o["shipping_method"]: o
        for o in options(api, lines=[f"{s}:1" for s in skus], postal_code="3511 AB").json()["results"]
    }
    for method in ("postnl:express", "sendcloud:pickup"):
        extra = {"shipping_method": method}
        if method == "sendcloud:pickup":
            extra["pickup_point"] = POINT
        response = api.post("/api/v1/orders/", order_body(skus, **extra), format="json")
        assert response.status_code == 201, response.json()
        body, option = response.json(), offered[method]
        assert body["shipping_method"] == method and body["shipping_method_chosen"] is True
        assert body["totals"]["shipping"] == option["price_excl_vat"]
        assert body["promised_delivery_date"] == option["promised_delivery_date"]
        assert body["first_delivery_date"] == option["first_delivery_date"]
        order = Order.objects.get(number=body["number"])
        assert (order.carrier_code, order.service_code) == tuple(method.split(":"))
    assert body["pickup_point"]["id"] == "204052" and body["pickup_point"]["name"] == "Primera Oudegracht"
    assert "distance_m" not in body["pickup_point"]  # the snapshot keeps the point, not the search
    assert body["shipping_method_name"] == "Sendcloud Afhaalpunt"


def test_without_a_choice_the_cheapest_home_delivery_is_used_as_before(api_client_for, services, ams):
    skus = catalogue(ams, 1)
    api = api_client_for("api_client")
    body = api.post("/api/v1/orders/", order_body(skus), format="json").json()
    # the pick-up service is cheaper, but without a point chosen there is nowhere to deliver it
    assert body["shipping_method"] == "postnl:standard" and body["shipping_method_chosen"] is False
    assert body["pickup_point"] is None and body["totals"]["shipping"] == "4.10"


@pytest.mark.parametrize(
    ("extra", "field", "code", "status"),
    [
        ({"shipping_method": "dhl:standard"}, "shipping_method", "unknown_shipping_method", 400),
        ({"shipping_method": "standard"}, "shipping_method", "invalid", 400),
        ({"shipping_method": 7}, "shipping_method", None, 400),
        (
            {"shipping_method": "postnl:standard", "pickup_point": POINT},
            "pickup_point",
            "pickup_point_not_offered",
            400,
        ),
        ({"pickup_point": POINT}, "shipping_method", "required", 400),
        ({"shipping_method": "sendcloud:pickup"}, "pickup_point", "required", 400),
        ({"shipping_method": "sendcloud:pickup", "pickup_point": {"name": "x"}}, "pickup_point.id", "required", 400),
        (
            {"shipping_method": "sendcloud:pickup", "pickup_point": POINT | {"carrier": "postnl"}},
            "pickup_point.carrier",
            "pickup_point_other_carrier",
            400,
        ),
    ],
)
def test_a_bad_choice_is_refused_with_its_field_and_nothing_is_written(
    api_client_for, services, ams, extra, field, code, status
):
    skus = catalogue(ams, 1)
    api = api_client_for("api_client")
    before = Order.objects.count()
    response = api.post("/api/v1/orders/", order_body(skus, **extra), format="json")
    assert response.status_code == status, response.content
    fields = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert field in fields, fields
    if code:
        assert fields[field] == code
    assert Order.objects.count() == before


def test_a_service_that_does_not_deliver_there_is_refused(api_client_for, services, ams):
    skus = catalogue(ams, 1)
    api = api_client_for("api_client")
    abroad = ADDRESS | {"country": "DE", "postal_code": "10115"}
    response = api.post(
        "/api/v1/orders/", order_body(skus, shipping_method="postnl:standard", shipping_address=abroad), format="json"
    )
    assert response.status_code in (400, 409), response.content
    assert response.json()["errors"][0]["field"].startswith(("shipping_method", "shipping_address"))


def test_an_order_with_a_choice_costs_at_most_one_query_more(api_client_for, services, ams):
    skus = catalogue(ams, 10)
    api = api_client_for("api_client")
    api.post("/api/v1/orders/", order_body(skus[:1]), format="json")  # caches warm
    counts = {}
    for name, extra in (("plain", {}), ("chosen", {"shipping_method": "sendcloud:pickup", "pickup_point": POINT})):
        with CaptureQueriesContext(connection) as captured:
            response = api.post("/api/v1/orders/", order_body(skus, **extra), format="json")
        assert response.status_code == 201, response.json()
        counts[name] = len(captured)
    assert counts["chosen"] <= counts["plain"] + 1, counts


def test_a_draft_takes_the_choice_refuses_an_unknown_one_and_goes_back_to_the_cheapest(services, ams, customer):
    skus = catalogue(ams, 1)
    draft = order_draft_create(channel="phone", customer=customer, user=None)
    order_draft_add_line(order=draft, product_id=Product.objects.get(sku=skus[0]).pk, quantity=2, user=None)
    draft = Order.objects.get(pk=draft.pk)
    assert draft.shipping_method == "postnl:standard" and not draft.shipping_method_chosen
    offers = {o.shipping_method: o for o in draft_offers(draft)}
    chosen = order_draft_set_delivery(order=draft, shipping_method="postnl:express", pickup_point=None, user=None)
    assert chosen.shipping_method_chosen and chosen.shipping_amount == offers["postnl:express"].price_excl_vat
    assert chosen.promised_delivery_date == offers["postnl:express"].quote.delivery_date
    with pytest.raises(ValidationFailed) as refused:
        order_draft_set_delivery(order=draft, shipping_method="dhl:standard", pickup_point=None, user=None)
    assert (refused.value.field, refused.value.code) == ("shipping_method", "unknown_shipping_method")
    assert Order.objects.get(pk=draft.pk).shipping_method == "postnl:express"  # unchanged
    back = order_draft_set_delivery(order=draft, shipping_method="", pickup_point=None, user=None)
    assert back.shipping_method == "postnl:standard" and not back.shipping_method_chosen
    assert back.shipping_amount == Decimal("4.10")
