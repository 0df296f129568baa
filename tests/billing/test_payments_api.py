"""The payments API and the invoices in the order API (API.md "Payments", "Orders")."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Invoice, Payment
from oms.roles import Role
from tests.factories.payments import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client_for):
    return api_client_for(Role.API_CLIENT)


def test_order_payments_api_records_a_payment_and_answers_the_amount_due(
    shop, api, no_delivery, django_capture_on_commit_callbacks
):
    order = place(shop.consumer, ("MUG-RED", 2))
    body = {"method": "ideal", "amount": str(order.gross_amount), "reference": "tr_WDqYK6vllg"}
    paid_at = (timezone.localtime() - timedelta(days=3)).replace(microsecond=0).isoformat()
    body["paid_at"] = paid_at
    # tasks inline (the tests' default): the payment.received handler runs after the commit
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/orders/{order.number}/payments/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    gross = f"{order.gross_amount:.2f}"
    assert gross == "25.97"  # a consumer: 2 x 9.99 + 5.99 shipping, incl. 21% VAT
    assert data["amount_due"] == "0.00" and data["order"] == {"number": order.number, "amount_paid": gross}
    payment = data["payment"]
    assert (payment["method"], payment["amount"], payment["reference"]) == ("ideal", gross, "tr_WDqYK6vllg")
    assert payment["paid_at"] == paid_at and payment["refund_of"] is None
    # the answer shows the payment as recorded: the order's credit, the invoice taking it after
    assert payment["allocated"] == "0.00" and payment["credit"] == gross
    assert Payment.objects.get(reference="tr_WDqYK6vllg").amount_allocated == order.gross_amount
    # the order API lists the invoice the payment brought about
    invoice = Invoice.objects.get(order=order)
    detail = api.get(f"/api/v1/orders/{order.number}/").json()
    assert [(i["number"], i["status"], i["amount_due"]) for i in detail["invoices"]] == [
        (invoice.number, "paid", "0.00")
    ]
    # and the invoice API says what paid it
    invoice_body = api.get(f"/api/v1/invoices/{invoice.number}/").json()
    assert invoice_body["order"] == order.number and invoice_body["amount_due"] == "0.00"
    assert [(p["method"], p["reference"], p["amount"]) for p in invoice_body["payments"]] == [
        ("ideal", "tr_WDqYK6vllg", gross)
    ]


def test_order_payments_api_repeat_of_a_reference_changes_nothing(shop, api, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    body = {"method": "card", "amount": "5.00", "reference": "ch_1"}
    first = api.post(f"/api/v1/orders/{order.number}/payments/", body, format="json")
    again = api.post(f"/api/v1/orders/{order.number}/payments/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["payment"] == first.json()["payment"] and Payment.objects.count() == 1
    # an Idempotency-Key repeat replays the stored answer
    keyed = {"method": "card", "amount": "2.00", "reference": "ch_2"}
    one = api.post(f"/api/v1/orders/{order.number}/payments/", keyed, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    two = api.post(f"/api/v1/orders/{order.number}/payments/", keyed, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert two["Idempotent-Replayed"] == "true" and two.json() == one.json() and Payment.objects.count() == 2
    # the same reference with another amount is a conflict
    clash = api.post(f"/api/v1/orders/{order.number}/payments/", {**body, "amount": "6.00"}, format="json")
    assert clash.status_code == 409 and clash.json()["errors"][0]["code"] == "payment_reference_conflict"


def test_order_payments_api_refunds_never_above_what_was_paid(shop, api, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    url = f"/api/v1/orders/{order.number}/payments/"
    api.post(url, {"method": "ideal", "amount": "12.00", "reference": "tr_R"}, format="json")
    too_much = api.post(url, {"method": "ideal", "amount": "-12.01", "reference": "re_1"}, format="json")
    assert too_much.status_code == 409 and too_much["Content-Type"] == "application/problem+json"
    assert too_much.json()["errors"][0]["code"] == "refund_exceeds_paid"
    refund = api.post(
        url, {"method": "ideal", "amount": "-2.00", "reference": "re_1", "refund_of": "tr_R"}, format="json"
    )
    assert refund.status_code == 201 and refund.json()["payment"]["refund_of"] == "tr_R"
    listed = api.get(url).json()
    assert [(p["reference"], p["amount"]) for p in listed["results"]] == [("tr_R", "12.00"), ("re_1", "-2.00")]
    assert listed["amount_paid"] == "10.00"


@pytest.mark.parametrize(
    ("body", "status", "field", "code"),
    [
        ({"method": "bitcoin", "amount": "1.00", "reference": "x"}, 400, "method", "invalid_choice"),
        ({"method": "ideal", "amount": "abc", "reference": "x"}, 400, "amount", "invalid_amount"),
        ({"method": "ideal", "amount": "1.001", "reference": "x"}, 400, "amount", "invalid_amount"),
        ({"method": "ideal", "amount": "0", "reference": "x"}, 400, "amount", "invalid_amount"),
        ({"method": "ideal", "amount": "1.00"}, 400, "reference", "required"),
        ({"method": "ideal", "amount": "1.00", "reference": "x", "paid_at": "yesterday"}, 400, "paid_at", "invalid"),
        (
            {"method": "ideal", "amount": "1.00", "reference": "x", "paid_at": "2099-01-01T00:00:00Z"},
            400,
            "paid_at",
            None,
        ),
        ({"method": "ideal", "amount": "-1.00", "reference": "x", "refund_of": "nope"}, 404, "refund_of", "not_found"),
        (
            {"method": "ideal", "amount": "1.00", "reference": "x", "refund_of": "tr_0"},
            400,
            "refund_of",
            "not_a_refund",
        ),
    ],
)
def test_order_payments_api_bad_input_is_a_problem_never_a_500(shop, api, body, status, field, code):
    order = place(shop.consumer, ("MUG-RED", 1))
    if body.get("refund_of") == "tr_0":
        api.post(
            f"/api/v1/orders/{order.number}/payments/",
            {"method": "ideal", "amount": "1.00", "reference": "tr_0"},
            format="json",
        )
    response = api.post(f"/api/v1/orders/{order.number}/payments/", body, format="json")
    assert response.status_code == status, response.content
    error = response.json()["errors"][0]
    assert error["field"] == field and (code is None or error["code"] == code)
    assert not Payment.objects.exclude(reference="tr_0").exists()


def test_order_payments_api_unknown_order_and_roles(shop, api, api_client_for):
    assert api.post("/api/v1/orders/SO-999999/payments/", {}, format="json").status_code in (400, 404)
    missing = api.get("/api/v1/orders/SO-999999/payments/")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "not_found"
    order = place(shop.consumer, ("MUG-RED", 1))
    cs = api_client_for(Role.CUSTOMER_SERVICE)
    assert cs.post(f"/api/v1/orders/{order.number}/payments/", {}, format="json").status_code == 403
