"""Contract tests for API.md "Customers": every field, status code and error code."""

import re

import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from tests.factories.customers import AddressFactory, CustomerFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"

FULL = {
    "kind": "b2b",
    "name": "Anna de Vries",
    "email": "Anna@VriesCadeaus.nl",
    "phone": "030 234 5678",
    "company_name": "Vries Cadeaus B.V.",
    "vat_id": "NL 0000.99998.B57",
    "coc_number": "1234 5678",
    "payment_terms_days": 30,
    "credit_limit": "5000.00",
    "preferred_payment_method": "on_account",
    "addresses": [
        {"kind": "billing", "street": "Oudegracht", "house_number": "12A", "postal_code": "3511ab", "city": "Utrecht"},
        {
            "kind": "shipping",
            "street": "Damrak",
            "house_number": "1",
            "postal_code": "1012 LG",
            "city": "Amsterdam",
            "country": "NL",
        },
    ],
}


@pytest.fixture
def api(api_client_for):
    return api_client_for("api_client")


def _errors(response) -> set[tuple[str, str]]:
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code and body["title"]
    return {(e["field"], e["code"]) for e in body["errors"]}


def test_post_creates_a_customer_with_every_field(api):
    response = api.post(URL, FULL, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert re.fullmatch(r"C-\d{6}", body["number"])
    assert response["Location"] == f"/api/v1/customers/{body['number']}/"
    assert {k: body[k] for k in FULL if k != "addresses"} == {
        "kind": "b2b",
        "name": "Anna de Vries",
        "email": "anna@vriescadeaus.nl",
        "phone": "+31302345678",
        "company_name": "Vries Cadeaus B.V.",
        "vat_id": "NL000099998B57",
        "coc_number": "12345678",
        "payment_terms_days": 30,
        "credit_limit": "5000.00",
        "preferred_payment_method": "on_account",
    }
    assert (body["credit_hold"], body["language"], body["notes"], body["external_ref"]) == (False, "nl", "", None)
    assert body["created_at"] and body["updated_at"]
    assert body["addresses"] == [
        {
            "kind": "billing",
            "street": "Oudegracht",
            "house_number": "12",
            "house_number_addition": "A",
            "postal_code": "3511 AB",
            "city": "Utrecht",
            "country": "NL",
            "is_default": True,
        },
        {
            "kind": "shipping",
            "street": "Damrak",
            "house_number": "1",
            "house_number_addition": "",
            "postal_code": "1012 LG",
            "city": "Amsterdam",
            "country": "NL",
            "is_default": True,
        },
    ]
    assert Customer.objects.get(number=body["number"]).email == "anna@vriescadeaus.nl"


def test_post_with_only_kind_and_name_uses_the_defaults(api):
    response = api.post(URL, {"kind": "b2c", "name": "Piet"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["payment_terms_days"], body["credit_limit"], body["preferred_payment_method"]) == (14, "0.00", "ideal")
    assert (body["email"], body["phone"], body["addresses"]) == ("", "", [])


def test_post_accepts_language_notes_and_external_ref(api):
    body = {"kind": "b2c", "name": "John", "language": "en", "notes": "VIP", "external_ref": "shop:77"}
    assert api.post(URL, body, format="json").json()["external_ref"] == "shop:77"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"kind": None, "name": None}, {("kind", "required"), ("name", "required")}),
        ({"kind": "b2x"}, {("kind", "invalid_choice")}),
        ({"payment_terms_days": "abc"}, {("payment_terms_days", "invalid")}),
        ({"payment_terms_days": 400}, {("payment_terms_days", "max_value")}),
        ({"credit_limit": "-1.00"}, {("credit_limit", "min_value")}),
        ({"credit_limit": "lots"}, {("credit_limit", "invalid")}),
        ({"credit_limit": "1.005"}, {("credit_limit", "max_decimal_places")}),
        ({"preferred_payment_method": "bitcoin"}, {("preferred_payment_method", "invalid_choice")}),
        ({"language": "de"}, {("language", "invalid_choice")}),
        ({"addresses": "Oudegracht 12"}, {("addresses", "not_a_list")}),
        (
            {"addresses": [{"kind": "home"}]},
            {
                ("addresses.0.kind", "invalid_choice"),
                ("addresses.0.street", "required"),
                ("addresses.0.postal_code", "required"),
                ("addresses.0.city", "required"),
            },
        ),
        ({"name": ["x"]}, {("name", "invalid")}),
    ],
)
def test_post_wrong_shapes_are_400_with_field_paths(api, change, expected):
    body = {**FULL, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert _errors(response) == expected


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"email": "anna@"}, {("email", "invalid_email")}),
        ({"phone": "12345"}, {("phone", "invalid_phone")}),
        ({"vat_id": "NL000099998B58"}, {("vat_id", "invalid_vat_id")}),
        ({"coc_number": "1234567"}, {("coc_number", "invalid_coc_number")}),
        ({"company_name": ""}, {("company_name", "required")}),
        ({"kind": "b2c", "company_name": ""}, {("preferred_payment_method", "on_account_requires_b2b")}),
        (
            {"addresses": [{**FULL["addresses"][0], "postal_code": "3511", "country": "NL"}]},
            {("addresses.0.postal_code", "invalid_postal_code")},
        ),
        ({"addresses": [{**FULL["addresses"][0], "country": "XX"}]}, {("addresses.0.country", "invalid_country")}),
        (
            {"addresses": [{**FULL["addresses"][0], "is_default": True}, {**FULL["addresses"][0], "is_default": True}]},
            {("addresses.1.is_default", "invalid")},
        ),
    ],
)
def test_post_business_rule_errors_are_400_with_field_paths(api, change, expected):
    count = Customer.objects.count()
    response = api.post(URL, {**FULL, **change}, format="json")
    assert response.status_code == 400
    assert _errors(response) == expected
    assert Customer.objects.count() == count


def test_post_several_rule_errors_are_reported_together(api):
    response = api.post(URL, {**FULL, "email": "x", "vat_id": "NL1"}, format="json")
    assert _errors(response) == {("email", "invalid_email"), ("vat_id", "invalid_vat_id")}


def test_post_duplicate_email_is_409_with_the_existing_number(api):
    existing = CustomerFactory(email="anna@vriescadeaus.nl")
    response = api.post(URL, FULL, format="json")
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {
            "field": "email",
            "code": "duplicate_email",
            "message": f"Customer {existing.number} already has this e-mail address.",
            "number": existing.number,
        }
    ]


def test_post_duplicate_external_ref_is_409(api):
    CustomerFactory(external_ref="shop:1")
    response = api.post(URL, {"kind": "b2c", "name": "X", "external_ref": "shop:1"}, format="json")
    assert response.status_code == 409
    assert _errors(response) == {("external_ref", "duplicate_external_ref")}


def test_post_malformed_json_is_400(api):
    response = api.post(URL, data='{"kind": "b2c",', content_type="application/json")
    assert response.status_code == 400
    assert _errors(response) == {(None, "malformed_request")}


def test_post_with_idempotency_key_replays_and_makes_one_customer(api):
    first = api.post(URL, FULL, format="json", HTTP_IDEMPOTENCY_KEY="cust-1")
    again = api.post(URL, FULL, format="json", HTTP_IDEMPOTENCY_KEY="cust-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Customer.objects.filter(email="anna@vriescadeaus.nl").count() == 1
    other = api.post(URL, {**FULL, "name": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="cust-1")
    assert other.status_code == 422
    assert _errors(other) == {("Idempotency-Key", "idempotency_key_reused")}


def test_get_one_by_number(api):
    address = AddressFactory(customer=CustomerFactory(b2b=True, credit_hold=True, credit_hold_reason="late"))
    response = api.get(f"{URL}{address.customer.number.lower()}/")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == address.customer.number and body["credit_hold"] is True
    assert body["addresses"][0]["postal_code"] == "3511 AB"
    assert set(body) == {
        "number", "kind", "name", "company_name", "email", "phone", "vat_id", "coc_number", "payment_terms_days",
        "credit_limit", "credit_hold", "preferred_payment_method", "language", "notes", "external_ref", "addresses",
        "created_at", "updated_at",
    }  # fmt: skip


def test_get_unknown_number_is_404_problem(api):
    response = api.get(f"{URL}C-999999/")
    assert response.status_code == 404
    assert _errors(response) == {("number", "not_found")}


def test_list_is_cursor_paginated_newest_first(api, django_assert_max_num_queries):
    customers = CustomerFactory.create_batch(5)
    with django_assert_max_num_queries(8) as captured:
        first = api.get(URL, {"limit": 2}).json()
    assert not any("COUNT(" in q["sql"] for q in captured.captured_queries)
    assert set(first) == {"results", "next"}
    assert [c["number"] for c in first["results"]] == [customers[4].number, customers[3].number]
    second = api.get(first["next"]).json()
    assert [c["number"] for c in second["results"]] == [customers[2].number, customers[1].number]
    last = api.get(second["next"]).json()
    assert ([c["number"] for c in last["results"]], last["next"]) == ([customers[0].number], None)


def test_list_search_finds_by_postcode_email_and_name(api):
    customer = CustomerFactory(name="Bram Bakker", email="bram@bakker.nl")
    CustomerFactory.create_batch(3)
    for query in ("bram@bakker", "bakker bram", customer.number):
        results = api.get(URL, {"search": query}).json()["results"]
        assert [c["number"] for c in results] == [customer.number], query
    assert api.get(URL, {"search": "nobody-like-this"}).json() == {"results": [], "next": None}


def test_no_token_is_401_and_accounting_may_read_but_not_create(api_client_for):
    assert APIClient().get(URL).status_code == 401
    accounting = api_client_for("accounting")
    assert accounting.get(URL).status_code == 200
    response = accounting.post(URL, FULL, format="json")
    assert response.status_code == 403
    assert _errors(response) == {(None, "permission_denied")}
