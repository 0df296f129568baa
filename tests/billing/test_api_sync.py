"""The ERP lists (API.md 1.1): GET /api/v1/invoices/ and /api/v1/payments/ with updated_since and
cursor paging, against the documents and payments in the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Invoice, Payment
from billing.services import invoice_credit, payment_record
from oms.roles import Role
from tests.factories.billing import b2b_customer, issue, line

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_delivery")]


@pytest.fixture
def erp(api_client_for):
    return api_client_for(scopes=["invoices:read", "payments:write"])


def _all(client, url: str, **params) -> list[dict]:
    rows, body = [], client.get(url, params).json()
    rows.extend(body["results"])
    while body["next"]:
        body = client.get(body["next"]).json()
        rows.extend(body["results"])
    return rows


def test_invoice_list_pages_documents_with_lines_and_vat_per_rate(erp, accountant):
    customer = b2b_customer()
    invoices = [issue(customer, lines=[line(2, "8.26"), line(1, "14.50", "low")]) for _ in range(3)]
    note = invoice_credit(invoice=invoices[0], lines=[{"line": 1, "quantity": 1}], reason="Kapot", user=accountant)
    first = erp.get("/api/v1/invoices/", {"limit": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    rows = _all(erp, "/api/v1/invoices/", limit=2)
    assert [r["number"] for r in rows] == [note.number] + [i.number for i in reversed(invoices)]
    by_number = {r["number"]: r for r in rows}
    for document in Invoice.objects.all():
        row = by_number[document.number]
        assert row["totals"] == {
            "net": f"{document.net_amount:.2f}",
            "vat": f"{document.vat_amount:.2f}",
            "gross": f"{document.gross_amount:.2f}",
        }
        assert [(v["rate"], v["net"], v["vat"]) for v in row["vat"]] == [
            (f"{v.rate.normalize():f}", f"{v.net_amount:.2f}", f"{v.vat_amount:.2f}") for v in document.vat_lines.all()
        ]
        assert [x["line_total"] for x in row["lines"]] == [f"{x.net_amount:.2f}" for x in document.lines.all()]
    assert by_number[note.number]["credit_of"] == invoices[0].number
    assert "payments" not in rows[0]


def test_invoice_list_updated_since_has_what_was_issued_paid_or_credited_since(erp, accountant):
    customer = b2b_customer()
    paid, credited, untouched = issue(customer), issue(customer), issue(customer)
    since = timezone.now()
    new = issue(customer)
    # a transfer of the oldest invoice's amount pays that one (oldest first)
    payment_record(
        method="bank_transfer", amount=str(paid.gross_amount), reference="BT-9", customer=customer, user=accountant
    )
    assert list(Payment.objects.get(reference="BT-9").allocations.values_list("invoice", flat=True)) == [paid.pk]
    note = invoice_credit(invoice=credited, reason="Retour", user=accountant)
    numbers = {r["number"] for r in _all(erp, "/api/v1/invoices/", updated_since=since.isoformat())}
    assert numbers == {paid.number, credited.number, new.number, note.number}
    assert untouched.number not in numbers
    response = erp.get("/api/v1/invoices/", {"updated_since": "yesterday"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "updated_since"


def test_invoice_list_queries_do_not_grow_with_the_page(erp):
    customer = b2b_customer()
    issue(customer)
    erp.get("/api/v1/invoices/")  # the client's first use is recorded once
    with CaptureQueriesContext(connection) as one:
        erp.get("/api/v1/invoices/")
    for _ in range(5):
        issue(customer)
    with CaptureQueriesContext(connection) as six:
        assert len(erp.get("/api/v1/invoices/").json()["results"]) == 6
    assert len(six) == len(one)


def test_payment_list_has_payments_refunds_and_what_they_paid(erp, accountant):
    customer = b2b_customer()
    invoice = issue(customer, lines=[line(1, "100.00")])
    before = timezone.now()
    payment_record(method="bank_transfer", amount="150.00", reference="BT-1", customer=customer, user=accountant)
    head = Payment.objects.get(reference="BT-1")
    payment_record(method="bank_transfer", amount="-10.00", reference="BT-1-R", customer=customer,
                   refund_of=head, user=accountant)  # fmt: skip
    rows = _all(erp, "/api/v1/payments/", updated_since=before.isoformat())
    assert [r["reference"] for r in rows] == ["BT-1-R", "BT-1"]
    refund, payment = rows
    assert refund["amount"] == "-10.00" and refund["refund_of"] == "BT-1"
    assert payment["amount"] == "150.00" and payment["customer"] == {"number": customer.number}
    assert payment["allocations"] == [{"invoice": invoice.number, "amount": f"{invoice.gross_amount:.2f}"}]
    head.refresh_from_db()
    assert (payment["allocated"], payment["refunded"]) == (
        f"{head.amount_allocated:.2f}",
        f"{head.amount_refunded:.2f}",
    )
    assert Decimal(payment["credit"]) == head.credit
    assert _all(erp, "/api/v1/payments/", updated_since=timezone.now().isoformat()) == []


def test_the_lists_need_their_scopes(api_client_for):
    assert api_client_for(scopes=["orders:read"]).get("/api/v1/invoices/").status_code == 403
    assert api_client_for(scopes=["orders:read"]).get("/api/v1/payments/").status_code == 403
    assert api_client_for(Role.ACCOUNTING).get("/api/v1/payments/").status_code == 200
    assert api_client_for(Role.WAREHOUSE).get("/api/v1/invoices/").status_code == 403


def test_invoice_list_says_which_documents_include_vat_and_whose_vat_they_charge(erp, accountant):
    from tests.factories.billing import b2c_customer

    business = issue(b2b_customer(), lines=[line(1, "8.26")])
    consumer = issue(b2c_customer(), lines=[line(2, "9.99"), line(1, "21.80", "low")], prices_include_vat=True)
    belgian = issue(
        b2c_customer(),
        lines=[line(1, "21.80", "low", vat_rate=Decimal("6.00"))],
        prices_include_vat=True,
        vat_country="BE",
    )
    note = invoice_credit(invoice=belgian, reason="Retour", user=accountant)
    by_number = {r["number"]: r for r in _all(erp, "/api/v1/invoices/")}
    flags = {number: (r["prices_include_vat"], r["vat_country"]) for number, r in by_number.items()}
    assert flags == {
        business.number: (False, ""),
        consumer.number: (True, ""),
        belgian.number: (True, "BE"),
        note.number: (True, "BE"),
    }
    # a consumer's line totals include VAT: the rate's net + VAT is its lines' total
    row = by_number[consumer.number]
    assert [x["line_total"] for x in row["lines"]] == ["19.98", "21.80"]
    assert [(v["rate"], Decimal(v["net"]) + Decimal(v["vat"])) for v in row["vat"]] == [
        ("21", Decimal("19.98")),
        ("9", Decimal("21.80")),
    ]
    assert Decimal(row["totals"]["gross"]) == Decimal("41.78")
    assert [(v["rate"], v["vat"]) for v in by_number[belgian.number]["vat"]] == [("6", "1.23")]
