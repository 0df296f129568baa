"""The products and stock API, held to shared/API.md "Products and stock"."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from inventory.models import Product, StockMovement, Warehouse
from tests.factories.inventory import ProductFactory, WarehouseFactory, level, stock
from tests.inventory import fake_quotes

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def api(api_client_for):
    return api_client_for("api_client")


@pytest.fixture
def ams():
    return WarehouseFactory(code="AMS", priority=10)


def errors(response) -> list[tuple]:
    assert response["Content-Type"] == PROBLEM
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


# --- products -----------------------------------------------------------------------------------

BODY = {
    "name": "Red mug",
    "list_price": "12.50",
    "vat_category": "high",
    "weight_grams": 350,
    "barcode": "8712345678906",
    "active": True,
}


def test_put_product_creates_then_updates(api, ams):
    created = api.put("/api/v1/products/MUG-RED/", BODY, format="json")
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("sku", "name", "list_price", "vat_category", "weight_grams", "barcode", "active")} == {
        "sku": "MUG-RED",
        **BODY,
    }
    assert body["consumer_price"] == "15.13"  # 12.50 + 21% = 15.125, half up
    updated = api.put("/api/v1/products/MUG-RED/", BODY | {"list_price": "13.00"}, format="json")
    assert updated.status_code == 200 and updated.json()["list_price"] == "13.00"
    # the shelf price incl. VAT: given, or the list price plus VAT (issue 15)
    assert updated.json()["consumer_price"] == "15.73"
    shelf = api.put("/api/v1/products/MUG-RED/", BODY | {"consumer_price": "14.99"}, format="json")
    assert shelf.status_code == 200 and shelf.json()["consumer_price"] == "14.99"
    bad = api.put("/api/v1/products/MUG-RED/", BODY | {"consumer_price": "-1"}, format="json")
    assert bad.status_code == 400
    assert Product.objects.get(sku="MUG-RED").stock_levels.count() == 1


def test_put_product_keeps_the_barcode_when_left_out(api, ams):
    api.put("/api/v1/products/MUG/", BODY, format="json")
    api.put("/api/v1/products/MUG/", {"name": "Mug", "list_price": "1.00", "vat_category": "low"}, format="json")
    assert Product.objects.get(sku="MUG").barcode == "8712345678906"
    api.put("/api/v1/products/MUG/", {**BODY, "barcode": None}, format="json")
    assert Product.objects.get(sku="MUG").barcode is None


@pytest.mark.parametrize(
    "change,field,code",
    [
        ({"barcode": "8712345678900"}, "barcode", "invalid_barcode"),
        ({"vat_category": "super"}, "vat_category", "invalid_choice"),
        ({"list_price": "1.999"}, "list_price", "max_decimal_places"),
        ({"list_price": "-1"}, "list_price", "min_value"),
        ({"weight_grams": "heavy"}, "weight_grams", "invalid"),
        ({"weight_grams": 10**12}, "weight_grams", "max_value"),
        ({"name": ""}, "name", "blank"),
    ],
)
def test_put_product_bad_input_is_400_with_the_field(api, change, field, code):
    response = api.put("/api/v1/products/MUG/", BODY | change, format="json")
    assert response.status_code == 400 and errors(response) == [(field, code)]
    assert not Product.objects.exists()


def test_put_product_bad_sku_and_malformed_json_are_400(api):
    response = api.put("/api/v1/products/has space/", BODY, format="json")
    assert response.status_code == 400 and errors(response) == [("sku", "invalid_sku")]
    response = api.put("/api/v1/products/MUG/", data="{nope", content_type="application/json")
    assert response.status_code == 400 and errors(response) == [(None, "malformed_request")]


def test_put_product_with_another_products_barcode_is_409(api):
    ProductFactory(sku="OTHER", barcode="8712345678906")
    response = api.put("/api/v1/products/MUG/", BODY, format="json")
    assert response.status_code == 409 and errors(response) == [("barcode", "duplicate_barcode")]


def test_put_product_with_idempotency_key_replays(api):
    first = api.put("/api/v1/products/MUG/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    again = api.put("/api/v1/products/MUG/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    assert (first.status_code, again.status_code) == (201, 201) and again["Idempotent-Replayed"] == "true"


def test_get_product_and_unknown_sku(api):
    ProductFactory(sku="MUG", name="Mug")
    assert api.get("/api/v1/products/MUG/").json()["name"] == "Mug"
    missing = api.get("/api/v1/products/NOPE/")
    assert missing.status_code == 404 and errors(missing) == [("sku", "unknown_sku")]


def test_list_products_searches_filters_and_pages_by_cursor(api):
    for n in range(3):
        ProductFactory(sku=f"MUG-{n}", name="Mug")
    ProductFactory(sku="CUP-1", name="Cup", active=False)
    page = api.get("/api/v1/products/", {"search": "mug", "limit": 2}).json()
    assert [p["sku"] for p in page["results"]] == ["MUG-0", "MUG-1"] and page["next"]
    rest = APIClient.get(api, page["next"]).json()
    assert [p["sku"] for p in rest["results"]] == ["MUG-2"] and rest["next"] is None
    assert [p["sku"] for p in api.get("/api/v1/products/", {"active": "false"}).json()["results"]] == ["CUP-1"]
    assert api.get("/api/v1/products/", {"active": "maybe"}).status_code == 400


# --- availability -------------------------------------------------------------------------------


def test_availability_answers_the_documented_shape(api, ams, settings):
    settings.OMS_DELIVERY_QUOTE_BACKEND = "tests.inventory.fake_quotes.quote_delivery"
    rtm = WarehouseFactory(code="RTM", priority=20)
    product = ProductFactory(sku="MUG")
    stock(product, ams, 50, reserved=8)
    stock(product, rtm, 5)
    body = api.get("/api/v1/products/MUG/availability/").json()
    assert body == {
        "sku": "MUG",
        "available": 47,
        "warehouses": [
            {"code": "AMS", "on_hand": 50, "reserved": 8, "available": 42},
            {"code": "RTM", "on_hand": 5, "reserved": 0, "available": 5},
        ],
        "promised_delivery_date": "2030-01-02",
    }
    (line,) = fake_quotes.CALLS[-1].lines
    assert (line.product_id, line.quantity) == (product.pk, 1)


@pytest.mark.parametrize("backend", ["nowhere.quotes.quote_delivery", "tests.inventory.fake_quotes.broken_quote"])
def test_availability_falls_back_to_an_estimate_without_a_working_quote_backend(api, ams, settings, backend):
    settings.OMS_DELIVERY_QUOTE_BACKEND = backend
    stock(ProductFactory(sku="MUG"), ams, 1)
    promised = date.fromisoformat(api.get("/api/v1/products/MUG/availability/").json()["promised_delivery_date"])
    assert promised > date.today() and promised.weekday() < 5


# --- stock adjustments --------------------------------------------------------------------------


def adjust(api, **body):
    payload = {"sku": "MUG", "warehouse": "AMS", "quantity_delta": 25, "reason": "count"} | body
    return api.post("/api/v1/stock/adjustments/", payload, format="json")


def test_stock_adjustment_returns_the_new_level(api, ams):
    product = ProductFactory(sku="MUG")
    response = adjust(api)
    assert response.status_code == 201
    assert response.json() == {"sku": "MUG", "warehouse": "AMS", "on_hand": 25, "reserved": 0, "available": 25}
    movement = StockMovement.objects.get(product=product)
    assert (movement.kind, movement.reason, movement.quantity) == ("adjustment", "count", 25)


def test_stock_adjustment_below_reserved_is_409(api, ams):
    stock(ProductFactory(sku="MUG"), ams, 10, reserved=6)
    response = adjust(api, quantity_delta=-5)
    assert response.status_code == 409 and errors(response) == [("delta", "insufficient_stock")]
    assert response.json()["errors"][0]["available"] == 4


@pytest.mark.parametrize(
    "body,expected",
    [
        ({"sku": "NOPE"}, [("sku", "unknown_sku")]),
        ({"warehouse": "XXX"}, [("warehouse", "unknown_warehouse")]),
        ({"quantity_delta": 0}, [("quantity_delta", "invalid_quantity")]),
        ({"quantity_delta": "ten"}, [("quantity_delta", "invalid")]),
        ({"reason": "theft"}, [("reason", "invalid_choice")]),
    ],
)
def test_stock_adjustment_bad_input_is_400(api, ams, body, expected):
    ProductFactory(sku="MUG")
    response = adjust(api, **body)
    assert response.status_code == 400 and errors(response) == expected


def test_stock_adjustment_with_idempotency_key_applies_once(api, ams):
    product = ProductFactory(sku="MUG")
    payload = {"sku": "MUG", "warehouse": "AMS", "quantity_delta": 3, "reason": "initial"}
    first = api.post("/api/v1/stock/adjustments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    again = api.post("/api/v1/stock/adjustments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert level(product, ams).on_hand == 3 and StockMovement.objects.filter(product=product).count() == 1
    other = api.post(
        "/api/v1/stock/adjustments/", payload | {"quantity_delta": 4}, format="json", HTTP_IDEMPOTENCY_KEY="adj-1"
    )
    assert other.status_code == 422


# --- warehouses ---------------------------------------------------------------------------------


def test_put_warehouse_creates_and_updates(api):
    ProductFactory()
    body = {
        "name": "Amsterdam",
        "street": "Damrak",
        "house_number": "1",
        "postal_code": "1011ab",
        "city": "Amsterdam",
        "country": "NL",
        "cutoff_time": "15:00",
    }
    created = api.put("/api/v1/warehouses/ams/", body, format="json")
    assert created.status_code == 201
    assert created.json() == {
        **body,
        "code": "AMS",
        "postal_code": "1011 AB",
        "priority": 10,
        "active": True,
    }
    assert Warehouse.objects.get(code="AMS").stock_levels.count() == 1
    updated = api.put("/api/v1/warehouses/AMS/", body | {"cutoff_time": "14:30"}, format="json")
    assert updated.status_code == 200 and updated.json()["cutoff_time"] == "14:30"
    listing = api.get("/api/v1/warehouses/").json()
    assert [w["code"] for w in listing["results"]] == ["AMS"] and listing["next"] is None


@pytest.mark.parametrize(
    "change,field",
    [({"postal_code": "10"}, "postal_code"), ({"cutoff_time": "25:00"}, "cutoff_time"), ({"name": ""}, "name")],
)
def test_put_warehouse_bad_input_is_400(api, change, field):
    body = {"name": "Amsterdam", "postal_code": "1011 AB", "country": "NL"} | change
    response = api.put("/api/v1/warehouses/AMS/", body, format="json")
    assert response.status_code == 400 and [f for f, _ in errors(response)] == [field]


def test_the_openapi_schema_describes_the_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/products/{sku}/availability/", "/api/v1/stock/adjustments/", "/api/v1/warehouses/{code}/"):
        assert path in schema
