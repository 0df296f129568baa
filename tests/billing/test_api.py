"""Invoices API (API.md): the invoice with lines, VAT per rate and amount due; its PDF."""

import pytest

from billing.services import invoice_credit
from oms.roles import Role
from tests.factories.billing import issue

pytestmark = pytest.mark.django_db


def test_invoice_detail_api_returns_the_invoice(api_client_for):
    invoice = issue(reference="SO-000123")
    note = invoice_credit(invoice=invoice, lines=[{"line": 2, "quantity": 1}], reason="x", user=None)
    response = api_client_for(Role.API_CLIENT).get(f"/api/v1/invoices/{invoice.number}/")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == invoice.number and body["kind"] == "invoice" and body["reference"] == "SO-000123"
    assert body["customer"] == {"number": invoice.customer.number}
    assert body["lines"][0] == {
        "position": 1,
        "kind": "goods",
        "sku": "MUG-RED",
        "description": "Mok rood",
        "quantity": 2,
        "unit_price": "8.26",
        "discount": "0.00",
        "vat_rate": "21",
        "line_total": "16.52",
    }
    assert body["vat"] == [{"rate": "21", "net": "16.52", "vat": "3.47"}, {"rate": "9", "net": "14.50", "vat": "1.31"}]
    assert body["totals"] == {"net": "31.02", "vat": "4.78", "gross": "35.80"}
    assert body["amount_due"] == "19.99" and body["credit_notes"] == [note.number]
    assert body["pdf_url"] == f"/api/v1/invoices/{invoice.number}/pdf/"
    credit = api_client_for(Role.ACCOUNTING).get(f"/api/v1/invoices/{note.number}/").json()
    assert credit["credit_of"] == invoice.number and credit["totals"]["gross"] == "-15.81"


def test_invoice_pdf_api_returns_the_pdf(api_client_for):
    invoice = issue()
    response = api_client_for(Role.API_CLIENT).get(f"/api/v1/invoices/{invoice.number}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_invoice_api_unknown_number_is_a_problem_404(api_client_for):
    response = api_client_for(Role.API_CLIENT).get("/api/v1/invoices/2099-000001/")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["code"] == "not_found"


def test_a_bound_client_reads_the_invoices_of_its_own_orders_only(api_client_for, shop, no_delivery):
    from billing.services import order_invoice
    from tests.factories.payments import place

    # given two webshops on channel web, each with an invoiced order, and an invoice of no order
    one = api_client_for(scopes=["invoices:read"], channel="web", name="Shop one")
    two = api_client_for(scopes=["invoices:read"], channel="web", name="Shop two")
    mine = place(shop.consumer, ("MUG-RED", 1), user=one.user)
    theirs = place(shop.consumer, ("MUG-RED", 1), user=two.user)
    invoices = {order: order_invoice(order_id=order.pk, basis="ordered", user=None).number for order in (mine, theirs)}
    loose = issue().number
    # then each reads its own order's invoice and PDF, and any other is 404, as if unknown
    assert one.get(f"/api/v1/invoices/{invoices[mine]}/").status_code == 200
    for number in (invoices[theirs], loose):
        response = one.get(f"/api/v1/invoices/{number}/")
        assert response.status_code == 404 and response.json()["errors"][0]["code"] == "not_found"
        assert one.get(f"/api/v1/invoices/{number}/pdf/").status_code == 404
    # an unbound client with invoices:read (an ERP) reads them all
    erp = api_client_for(scopes=["invoices:read"], name="ERP")
    assert all(erp.get(f"/api/v1/invoices/{n}/").status_code == 200 for n in (*invoices.values(), loose))


def test_invoice_detail_api_says_prices_include_vat_and_the_oss_country(api_client_for):
    from decimal import Decimal

    from tests.factories.billing import b2c_customer, line

    invoice = issue(
        b2c_customer(),
        lines=[line(1, "9.99", vat_rate=Decimal("21.00")), line(1, "21.80", "low", vat_rate=Decimal("6.00"))],
        prices_include_vat=True,
        vat_country="BE",
    )
    client = api_client_for(Role.API_CLIENT)
    body = client.get(f"/api/v1/invoices/{invoice.number}/").json()
    assert body["prices_include_vat"] is True and body["vat_country"] == "BE"
    assert body["totals"] == {"net": "28.83", "vat": "2.96", "gross": "31.79"}  # 1.73 + 1.23 VAT contained
    plain = client.get(f"/api/v1/invoices/{issue().number}/").json()
    assert plain["prices_include_vat"] is False and plain["vat_country"] == ""


def test_the_openapi_schema_describes_prices_include_vat_and_vat_country(api_client_for):
    schema = api_client_for(Role.API_CLIENT).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    for name in ("InvoiceOut", "InvoiceListItem"):
        properties = components[name]["properties"]
        assert properties["prices_include_vat"]["type"] == "boolean"
        assert properties["vat_country"]["type"] == "string"
        assert "One Stop Shop" in properties["vat_country"]["description"]
        assert {"prices_include_vat", "vat_country"} <= set(components[name]["required"])
