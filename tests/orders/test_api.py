"""Contract tests for API.md "Orders": every field, status code and error code."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from customers.models import Customer
from oms.models import OutboxEvent
from orders.models import Order
from tests.factories.customers import CustomerFactory
from tests.factories.inventory import level
from tests.factories.orders import OrderFactory, place

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"
PROBLEM = "application/problem+json"


@pytest.fixture
def api(api_client_for):
    return api_client_for("api_client")


def body_for(who, /, **changes):
    body = {
        "channel": "web",
        "external_reference": "WEB-10023",
        "customer": {"number": who.number},
        "shipping_address": {
            "street": "Oudegracht",
            "house_number": "12A",
            "postal_code": "3511 AB",
            "city": "Utrecht",
            "country": "NL",
        },
        "lines": [{"sku": "MUG-RED", "quantity": 2}],
        "payment_method": "ideal",
        "backorder_policy": "allow",
        "notes": "",
    }
    return body | changes


def errors(response) -> set[tuple]:
    assert response["Content-Type"] == PROBLEM, response.content
    problem = response.json()
    assert problem["status"] == response.status_code and problem["title"] and problem["type"]
    return {(e["field"], e["code"]) for e in problem["errors"]}


@override_settings(OMS_FLAT_SHIPPING_AMOUNT="4.09")
def test_post_places_the_order_of_the_api_example(api, customer, mug, ams):
    response = api.post(URL, body_for(customer), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert re.fullmatch(r"SO-\d{6}", body["number"])
    assert response["Location"] == f"/api/v1/orders/{body['number']}/"
    assert {k: body[k] for k in ("status", "channel", "customer", "currency", "totals")} == {
        "status": "allocated",
        "channel": "web",
        "customer": {"number": customer.number},
        "currency": "EUR",
        "totals": {"net": "16.51", "shipping": "4.09", "vat": "4.33", "gross": "24.93"},
    }
    assert body["prices_include_vat"] is True  # a consumer pays the shelf price (issue 15)
    assert body["lines"] == [
        {
            "line_no": 1,
            "sku": "MUG-RED",
            "name": "Red mug",
            "quantity": 2,
            "quantity_allocated": 2,
            "quantity_backordered": 0,
            "quantity_shipped": 0,
            "unit_price": "9.99",
            "discount_percent": "0.00",
            "vat_rate": "21",
            "line_total": "19.98",
            "cancelled": False,
            "promised_delivery_date": body["promised_delivery_date"],  # one line: the order's date
        }
    ]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["promised_delivery_date"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", body["created_at"])
    assert (body["external_reference"], body["payment_method"], body["amount_paid"]) == ("WEB-10023", "ideal", "0.00")
    assert body["shipping_address"] == {
        "street": "Oudegracht",
        "house_number": "12",
        "house_number_addition": "A",
        "postal_code": "3511 AB",
        "city": "Utrecht",
        "country": "NL",
    }
    assert (body["shipments"], body["invoices"]) == ([], [])
    assert level(mug, ams).reserved == 2


def test_post_finds_or_creates_the_customer_by_email(api, mug):
    response = api.post(
        URL,
        body_for(
            CustomerFactory(), customer={"email": "Nieuw@Example.nl", "name": "Nieuwe Klant", "phone": "0612345678"}
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(email="nieuw@example.nl")
    assert response.json()["customer"] == {"number": customer.number}
    again = api.post(
        URL, body_for(customer, customer={"email": "nieuw@example.nl"}, external_reference="W-2"), format="json"
    )
    assert again.json()["customer"] == {"number": customer.number}


def test_post_uses_the_customers_addresses_and_payment_preference(api, customer, mug):
    body = body_for(customer)
    del body["shipping_address"], body["payment_method"]
    response = api.post(URL, body, format="json")
    assert response.status_code == 201
    order = response.json()
    assert order["shipping_address"]["house_number"] == "7" and order["billing_address"]["street"] == "Damrak"
    assert order["payment_method"] == customer.preferred_payment_method


def test_post_with_allow_backorders_what_is_short(api, customer, mug):
    response = api.post(URL, body_for(customer, lines=[{"sku": "MUG-RED", "quantity": 14}]), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "backordered"
    assert (body["lines"][0]["quantity_allocated"], body["lines"][0]["quantity_backordered"]) == (10, 4)


def test_post_with_reject_is_409_with_the_available_quantity_per_line(api, customer, mug, book):
    lines = [{"sku": "BOOK-1", "quantity": 9}, {"sku": "MUG-RED", "quantity": 1}, {"sku": "MUG-RED", "quantity": 12}]
    response = api.post(URL, body_for(customer, lines=lines, backorder_policy="reject"), format="json")
    assert response.status_code == 409
    assert errors(response) == {("lines.0", "insufficient_stock"), ("lines.2", "insufficient_stock")}
    assert [e["available"] for e in response.json()["errors"]] == [5, 9]
    assert not Order.objects.exists()


def test_post_for_a_customer_on_credit_hold_is_409_customer_blocked(api, customer, mug):
    Customer.objects.filter(pk=customer.pk).update(credit_hold=True, credit_hold_reason="overdue")
    response = api.post(URL, body_for(customer), format="json")
    assert response.status_code == 409 and errors(response) == {("customer", "customer_blocked")}


def test_post_on_account_past_the_credit_limit_is_409_credit_limit_exceeded(api, b2b, mug):
    OrderFactory(
        customer=b2b,
        payment_method="on_account",
        gross_amount=Decimal("4990.00"),
        net_amount=Decimal("4990.00"),
        vat_amount=0,
    )
    response = api.post(URL, body_for(b2b, payment_method="on_account"), format="json")
    assert response.status_code == 409 and errors(response) == {("payment_method", "credit_limit_exceeded")}
    assert response.json()["errors"][0]["credit_limit"] == "5000.00"


def test_post_on_account_for_a_consumer_is_409(api, customer, mug):
    response = api.post(URL, body_for(customer, payment_method="on_account"), format="json")
    assert response.status_code == 409 and errors(response) == {("payment_method", "on_account_not_allowed")}


def test_post_with_a_used_external_reference_is_409_with_the_existing_number(api, customer, mug):
    first = api.post(URL, body_for(customer), format="json").json()
    response = api.post(URL, body_for(customer), format="json")
    assert response.status_code == 409 and errors(response) == {("external_reference", "duplicate_external_reference")}
    assert response.json()["errors"][0]["number"] == first["number"]
    assert api.post(URL, body_for(customer, channel="b2b"), format="json").status_code == 201


def test_post_with_an_unknown_sku_is_400_at_the_line(api, customer, mug):
    lines = [{"sku": "MUG-RED", "quantity": 1}, {"sku": "X-1", "quantity": 1}]
    response = api.post(URL, body_for(customer, lines=lines), format="json")
    assert response.status_code == 400 and errors(response) == {("lines.1.sku", "unknown_sku")}
    assert response.json()["errors"][0]["message"] == "No product with SKU 'X-1'."


def test_post_with_an_unknown_customer_number_is_400(api, mug):
    response = api.post(URL, body_for(CustomerFactory.build(number="C-999999")), format="json")
    assert response.status_code == 400 and errors(response) == {("customer.number", "unknown_customer")}


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"channel": "fax"}, {("channel", "invalid_choice")}),
        ({"channel": 7}, {("channel", "invalid_choice")}),
        ({"channel": None}, {("channel", "null")}),
        ({"payment_method": "bitcoin"}, {("payment_method", "invalid_choice")}),
        ({"backorder_policy": "later"}, {("backorder_policy", "invalid_choice")}),
        ({"ship_complete": "perhaps"}, {("ship_complete", "invalid")}),
        ({"notes": {"a": 1}}, {("notes", "invalid")}),
        ({"notes": "x" * 5001}, {("notes", "max_length")}),
        ({"external_reference": "x" * 101}, {("external_reference", "max_length")}),
        ({"external_reference": ["a"]}, {("external_reference", "invalid")}),
        ({"customer": "C-000001"}, {("customer", "invalid")}),
        ({"customer": {}}, {("customer", "required")}),
        ({"customer": {"email": "x@example.nl", "name": ["x"]}}, {("customer.name", "invalid")}),
        ({"customer": {"email": "x@example.nl"}}, {("customer.name", "required")}),
        ({"lines": "MUG-RED"}, {("lines", "not_a_list")}),
        ({"lines": []}, {("lines", "empty")}),
        ({"lines": ["MUG-RED"]}, {("lines.0", "invalid")}),
        ({"lines": [{"sku": "MUG-RED"}]}, {("lines.0.quantity", "required")}),
        ({"lines": [{"sku": "MUG-RED", "quantity": 0}]}, {("lines.0.quantity", "min_value")}),
        ({"lines": [{"sku": "MUG-RED", "quantity": -3}]}, {("lines.0.quantity", "min_value")}),
        ({"lines": [{"sku": "MUG-RED", "quantity": "2"}]}, {("lines.0.quantity", "invalid")}),
        ({"lines": [{"sku": "MUG-RED", "quantity": 2.5}]}, {("lines.0.quantity", "invalid")}),
        ({"lines": [{"sku": "MUG-RED", "quantity": True}]}, {("lines.0.quantity", "invalid")}),
        ({"lines": [{"sku": "MUG-RED", "quantity": 10**12}]}, {("lines.0.quantity", "max_value")}),
        ({"lines": [{"sku": "", "quantity": 1}]}, {("lines.0.sku", "blank")}),
        ({"lines": [{"sku": {"x": 1}, "quantity": 1}]}, {("lines.0.sku", "invalid")}),
        ({"lines": [{"sku": "MUG-RED", "quantity": 1, "unit_price": "abc"}]}, {("lines.0.unit_price", "invalid")}),
        (
            {"lines": [{"sku": "MUG-RED", "quantity": 1, "unit_price": "1.999"}]},
            {("lines.0.unit_price", "max_decimal_places")},
        ),
        ({"lines": [{"sku": "MUG-RED", "quantity": 1, "unit_price": "-1"}]}, {("lines.0.unit_price", "min_value")}),
        ({"lines": [{"sku": "MUG-RED", "quantity": 1, "unit_price": "1e400"}]}, {("lines.0.unit_price", "max_digits")}),
        (
            {"lines": [{"sku": "MUG-RED", "quantity": 1, "discount_percent": "150"}]},
            {("lines.0.discount_percent", "max_value")},
        ),
        ({"shipping_address": "Utrecht"}, {("shipping_address", "invalid")}),
        (
            {"shipping_address": {"street": "X", "postal_code": "35", "city": "U"}},
            {
                ("shipping_address.postal_code", "invalid_postal_code"),
                ("shipping_address.house_number", "invalid_house_number"),
            },
        ),
        ({"shipping_address": {"street": "X", "postal_code": "3511 AB"}}, {("shipping_address.city", "required")}),
        (
            {
                "billing_address": {
                    "street": "X",
                    "house_number": "1",
                    "postal_code": "3511 AB",
                    "city": "U",
                    "country": "XX",
                }
            },
            {("billing_address.country", "invalid_country")},
        ),
    ],
)
def test_post_bad_input_is_400_with_the_field_path(api, customer, mug, change, expected):
    response = api.post(URL, body_for(customer, **change), format="json")
    assert response.status_code == 400, response.content
    assert errors(response) == expected
    assert not Order.objects.exists()


def test_post_with_amounts_no_order_can_hold_is_400(api, customer, mug):
    lines = [{"sku": "MUG-RED", "quantity": 1_000_000, "unit_price": "9999999.99"}]
    response = api.post(URL, body_for(customer, lines=lines), format="json")
    assert response.status_code == 400 and errors(response) == {("lines.0.quantity", "amount_too_large")}
    lines = [{"sku": "MUG-RED", "quantity": 1_000_000, "unit_price": "600.00"}] * 2
    response = api.post(URL, body_for(customer, lines=lines), format="json")
    assert response.status_code == 400 and errors(response) == {("lines", "amount_too_large")}


def test_post_with_a_nul_character_is_400(api, customer, mug):
    response = api.post(URL, body_for(customer, notes="a\x00b"), format="json")
    # refused by the API's JSON parser (oms.input_guard) before the serializer sees it
    assert response.status_code == 400 and errors(response) == {("notes", "control_character")}


def test_post_malformed_json_is_400(api, customer):
    response = api.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400 and errors(response) == {(None, "malformed_request")}
    response = api.post(URL, data=json.dumps([1, 2]), content_type="application/json")
    assert response.status_code == 400 and errors(response) == {(None, "invalid")}


def test_post_ten_thousand_lines_is_refused_before_any_work(api, customer, mug, django_assert_max_num_queries):
    lines = [{"sku": "MUG-RED", "quantity": 1}] * 10_000
    # refused on its shape: no product, stock or customer is looked up (token and roles only)
    with django_assert_max_num_queries(2):
        response = api.post(URL, body_for(customer, lines=lines), format="json")
    assert response.status_code == 400 and errors(response) == {("lines", "max_length")}


def test_post_is_idempotent_with_an_idempotency_key(api, customer, mug, ams):
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-abc-1"}
    first = api.post(URL, body_for(customer), format="json", **headers)
    again = api.post(URL, body_for(customer), format="json", **headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content  # the same answer, byte for byte (keys in their order)
    assert Order.objects.count() == 1 and level(mug, ams).reserved == 2
    other = api.post(URL, body_for(customer, notes="other"), format="json", **headers)
    assert other.status_code == 422 and errors(other) == {("Idempotency-Key", "idempotency_key_reused")}


def test_the_answer_to_a_keyed_order_is_committed_with_the_order(api, customer, mug, ams, monkeypatch):
    # given a process that would die right after the order's transaction commits (the answer is
    # never stored afterwards)
    from oms import idempotency

    monkeypatch.setattr(idempotency, "_store", lambda record, response: None)
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-crash-1"}
    first = api.post(URL, body_for(customer), format="json", **headers)
    # then the retry still gets the first answer, and there is one order, not two
    again = api.post(URL, body_for(customer), format="json", **headers)
    assert (first.status_code, again.status_code) == (201, 201) and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and Order.objects.count() == 1


def test_post_idempotent_replay_of_a_refusal_is_the_same_refusal(api, customer, mug):
    Customer.objects.filter(pk=customer.pk).update(credit_hold=True)
    headers = {"HTTP_IDEMPOTENCY_KEY": "blocked-1"}
    first = api.post(URL, body_for(customer), format="json", **headers)
    Customer.objects.filter(pk=customer.pk).update(credit_hold=False)
    again = api.post(URL, body_for(customer), format="json", **headers)
    assert (first.status_code, again.status_code) == (409, 409) and again["Idempotent-Replayed"] == "true"
    # the retry, which would have gone through now, placed nothing
    assert Order.objects.count() == 0 and level(mug, mug.stock_levels.get().warehouse).reserved == 0


def test_post_idempotent_retry_refused_now_replays_the_earlier_success(api, customer, mug, ams):
    # given an order placed with a key, and its product no longer sold since
    headers = {"HTTP_IDEMPOTENCY_KEY": "placed-then-gone"}
    first = api.post(URL, body_for(customer), format="json", **headers)
    mug.active = False
    mug.save()
    # then a retry gets the first answer, not a refusal, and nothing changes
    again = api.post(URL, body_for(customer), format="json", **headers)
    assert (first.status_code, again.status_code) == (201, 201) and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and Order.objects.count() == 1 and level(mug, ams).reserved == 2


def test_post_with_a_key_costs_no_extra_round_trip_for_the_key(api, customer, mug, django_assert_num_queries):
    # the key's record is written with the order, in its transaction: one statement, no claim
    def body(n):
        return body_for(customer, external_reference=f"WEB-{n}")

    api.post(URL, body(1), format="json")  # prepared statements and caches warm, the client known
    with django_assert_num_queries(7):
        plain = api.post(URL, body(2), format="json")
    with django_assert_num_queries(8):
        keyed = api.post(URL, body(3), format="json", HTTP_IDEMPOTENCY_KEY="one-more-statement")
    assert (plain.status_code, keyed.status_code) == (201, 201)


def test_post_publishes_placed_and_the_status_event(api, customer, mug):
    number = api.post(URL, body_for(customer), format="json").json()["number"]
    order = Order.objects.get(number=number)
    names = list(
        OutboxEvent.objects.filter(payload={"order_id": order.pk}).order_by("id").values_list("name", flat=True)
    )
    assert names == ["order.placed", "order.allocated"]
    assert order.entered_by == api.user  # the client placed it: its own orders


# --- GET one -------------------------------------------------------------------------------------------


def test_get_returns_the_order_with_shipments_and_invoices(api, customer, mug):
    placed = place(customer, ("MUG-RED", 1), external_reference="R-1")
    response = api.get(f"{URL}{placed.number}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["status"], body["shipments"], body["invoices"]) == (placed.number, "allocated", [], [])
    assert body["lines"][0]["quantity_allocated"] == 1 and body["totals"]["gross"] == f"{placed.gross_amount:.2f}"
    assert api.get(f"{URL}{placed.number.lower()}/").status_code == 200


def test_get_unknown_number_is_404(api):
    response = api.get(f"{URL}SO-999999/")
    assert response.status_code == 404 and errors(response) == {("number", "not_found")}


def fake_shipments(orders):
    return {
        order.pk: [{"carrier": "postnl", "tracking_number": f"3S{order.pk}", "status": "handed_off"}]
        for order in orders
    }


@override_settings(OMS_ORDER_API_EXTRAS={"shipments": "tests.orders.test_api.fake_shipments", "invoices": None})
def test_get_shows_what_other_apps_register_as_extras(api, customer, mug):
    placed = place(customer, ("MUG-RED", 1))
    body = api.get(f"{URL}{placed.number}/").json()
    assert body["shipments"] == [{"carrier": "postnl", "tracking_number": f"3S{placed.pk}", "status": "handed_off"}]
    assert body["invoices"] == []


# --- list ------------------------------------------------------------------------------------------------


def test_list_filters_by_status_channel_customer_and_updated_since(api, customer, mug):
    web = place(customer, ("MUG-RED", 1))
    phone = place(customer, ("MUG-RED", 20), channel="phone")
    other = OrderFactory(channel="b2b", status="shipped")
    Order.objects.filter(pk=other.pk).update(updated_at=timezone.now() - timedelta(days=3))

    def numbers(**params):
        response = api.get(URL, params)
        assert response.status_code == 200, response.content
        return [o["number"] for o in response.json()["results"]]

    assert numbers() == [other.number, phone.number, web.number]
    assert numbers(status="backordered") == [phone.number]
    assert numbers(channel="web") == [web.number]
    assert numbers(customer=customer.number) == [phone.number, web.number]
    assert numbers(updated_since=(timezone.now() - timedelta(days=1)).isoformat()) == [phone.number, web.number]
    assert numbers(customer="C-999999") == []


@pytest.mark.parametrize(
    "params,field,code",
    [
        ({"status": "lost"}, "status", "invalid_choice"),
        ({"channel": "fax"}, "channel", "invalid_choice"),
        ({"updated_since": "yesterday"}, "updated_since", "invalid"),
    ],
)
def test_list_bad_filter_is_400(api, params, field, code):
    response = api.get(URL, params)
    assert response.status_code == 400 and errors(response) == {(field, code)}


def test_list_pages_with_a_cursor_in_constant_queries(api, customer, mug, django_assert_max_num_queries):
    for _ in range(5):
        place(customer, ("MUG-RED", 1))
    first = api.get(URL, {"limit": 3}).json()
    assert len(first["results"]) == 3 and first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    # token, roles, orders, lines, allocations, shipments, invoices: one query each, whatever the page size
    with django_assert_max_num_queries(7):
        api.get(URL, {"limit": 50})


# --- cancel ----------------------------------------------------------------------------------------------


def test_cancel_releases_the_reservations_and_returns_the_order(api, customer, mug, ams):
    placed = place(customer, ("MUG-RED", 4))
    response = api.post(f"{URL}{placed.number}/cancel/", {"reason": "customer called"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled" and body["lines"][0]["cancelled"] is True
    assert level(mug, ams).reserved == 0


def test_cancel_without_a_body_works_and_a_second_cancel_is_409(api, customer, mug):
    placed = place(customer, ("MUG-RED", 1))
    assert api.post(f"{URL}{placed.number}/cancel/").status_code == 200
    again = api.post(f"{URL}{placed.number}/cancel/")
    assert again.status_code == 409 and errors(again) == {(None, "invalid_transition")}
    assert again.json()["errors"][0]["current_status"] == "cancelled"


def test_cancel_of_a_shipped_order_is_409_invalid_transition(api):
    shipped = OrderFactory(status="shipped")
    response = api.post(f"{URL}{shipped.number}/cancel/", {}, format="json")
    assert response.status_code == 409 and errors(response) == {(None, "invalid_transition")}
    assert Order.objects.get(pk=shipped.pk).status == "shipped"


def test_cancel_unknown_order_is_404_and_a_bad_reason_400(api, customer, mug):
    assert api.post(f"{URL}SO-999999/cancel/", {}, format="json").status_code == 404
    placed = place(customer, ("MUG-RED", 1))
    response = api.post(f"{URL}{placed.number}/cancel/", {"reason": "x" * 301}, format="json")
    assert response.status_code == 400 and errors(response) == {("reason", "max_length")}


def test_without_a_token_the_api_is_401(customer):
    from rest_framework.test import APIClient

    assert APIClient().post(URL, body_for(customer), format="json").status_code == 401


def test_warehouse_role_may_not_use_the_orders_api(api_client_for, customer, mug):
    assert api_client_for("warehouse").post(URL, body_for(customer), format="json").status_code == 403
    assert api_client_for("customer_service").post(URL, body_for(customer), format="json").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_post_while_the_first_with_its_key_still_runs_is_409_in_progress(api, customer, mug, ams):
    # given a first request with the key that has written its record but not yet committed
    import psycopg2
    from django.db import connection

    settings = connection.settings_dict
    first = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"] or 5432
    )
    with first.cursor() as cursor:
        cursor.execute(
            "INSERT INTO oms_idempotencyrecord (user_id, key, method, path, fingerprint, created_at) "
            "VALUES (%s, 'slow-1', 'POST', %s, 'x', now())",
            [api.user.pk, URL],
        )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")  # instead of waiting the full 10 s
        # then a repeat waits for it, and when it does not finish in time answers 409 (not 500)
        response = api.post(URL, body_for(customer), format="json", HTTP_IDEMPOTENCY_KEY="slow-1")
        assert response.status_code == 409 and errors(response) == {
            ("Idempotency-Key", "idempotency_request_in_progress")
        }
        assert response["Retry-After"] == "1" and Order.objects.count() == 0 and level(mug, ams).reserved == 0
    finally:
        first.rollback()
        first.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
