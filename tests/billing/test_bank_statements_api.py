"""API.md 1.1 "Money documents": ``POST /api/v1/bank-statements/``, and the accounting screens:
upload, then the matching screen (accept a suggestion, split, book to another account)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import BankStatement, BankStatementLine, JournalLine, LineStatus, Payment
from billing.services import bank
from oms.invariants import violations
from oms.roles import Role
from tests.billing.bankfiles import Entry, camt053, mt940
from tests.billing.test_bank_statements import iban, invoice_of
from tests.factories.billing import b2c_customer
from tests.orders.test_api import errors

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_delivery")]
URL = "/api/v1/bank-statements/"


def upload(client, content: bytes, name: str = "statement.xml"):
    return client.post(URL, {"file": SimpleUploadedFile(name, content)}, format="multipart")


def test_post_bank_statement_is_201_with_counts_then_200_already_imported(api_client_for):
    # given
    shop = api_client_for(scopes=["payments:write"])
    invoice = invoice_of(b2c_customer(), "42.00")
    content = camt053(
        [
            Entry(Decimal("42.00"), f"Factuur {invoice.number}", "A", iban(1)),
            Entry(Decimal("5.00"), "?", "B", iban(2)),
            Entry(Decimal("-3.00"), "kosten", "Bank", ""),
        ]
    )

    # when
    first = upload(shop, content)
    again = upload(shop, content)

    # then
    assert first.status_code == 201, first.content
    body = first.json()
    assert {k: body[k] for k in ("lines", "matched", "unmatched", "already_imported")} == {
        "lines": 3,
        "matched": 1,
        "unmatched": 2,
        "already_imported": 0,
    }
    assert body["statement"]["id"] == BankStatement.objects.get().pk
    assert body["statement"]["format"] == "camt053"
    assert again.status_code == 200
    assert {k: again.json()[k] for k in ("lines", "matched", "unmatched", "already_imported")} == {
        "lines": 3,
        "matched": 0,
        "unmatched": 0,
        "already_imported": 3,
    }
    assert Payment.objects.count() == 1


def test_post_bank_statement_takes_mt940(api_client_for):
    accounting = api_client_for(Role.ACCOUNTING)
    response = upload(accounting, mt940([Entry(Decimal("1.00"), "x", "A", iban(1))]), "stmt.sta")
    assert response.status_code == 201 and response.json()["statement"]["format"] == "mt940"


def test_post_bank_statement_needs_payments_write(api_client_for):
    content = camt053([Entry(Decimal("1.00"), "x", "A", iban(1))])
    assert upload(api_client_for(scopes=["orders:write"]), content).status_code == 403
    assert upload(api_client_for(Role.CUSTOMER_SERVICE), content).status_code == 403
    assert not BankStatement.objects.exists()


@pytest.mark.parametrize(
    "content,code",
    [
        (b"<Document><Stmt>", "invalid_file"),
        (b"MZ\x90\x00binary", "unknown_format"),
        (b"", "empty_file"),
    ],
)
def test_post_bank_statement_with_a_bad_file_is_400_on_file(api_client_for, content, code):
    response = upload(api_client_for(scopes=["payments:write"]), content)
    assert response.status_code == 400
    assert errors(response) == {("file", code)}
    assert not BankStatement.objects.exists()


def test_post_bank_statement_without_a_file_is_400_on_file(api_client_for):
    response = api_client_for(scopes=["payments:write"]).post(URL, {"other": "x"}, format="multipart")
    assert response.status_code == 400 and errors(response) == {("file", "required")}


def test_post_bank_statement_too_large_is_400_before_reading(api_client_for, monkeypatch):
    from billing import bankfiles

    monkeypatch.setattr(bankfiles, "MAX_BYTES", 100)
    response = upload(api_client_for(scopes=["payments:write"]), camt053([Entry(Decimal("1.00"), "x", "A", "")]))
    assert response.status_code == 400 and errors(response) == {("file", "file_too_large")}


# --- screens -------------------------------------------------------------------------------------


def test_upload_screen_imports_and_goes_to_matching(role_client):
    client = role_client(Role.ACCOUNTING)
    invoice = invoice_of(b2c_customer(), "42.00")
    content = camt053([Entry(Decimal("42.00"), invoice.number, "A", iban(1)), Entry(Decimal("7.00"), "?", "B", "")])
    response = client.post(reverse("billing:bank_statements"), {"file": SimpleUploadedFile("s.xml", content)})
    assert response.status_code == 302 and response["Location"] == reverse("billing:bank_matching")
    page = client.get(response["Location"])
    assert "2 lines, 1 matched, 1 to match, 0 already imported" in page.content.decode()
    assert page.content.decode().count('data-testid="bank-line"') == 1


def test_upload_screen_shows_a_broken_file_as_a_form_error(role_client):
    client = role_client(Role.ACCOUNTING)
    response = client.post(reverse("billing:bank_statements"), {"file": SimpleUploadedFile("s.xml", b"<broken")})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not BankStatement.objects.exists()


def _waiting_line(amount: str, text: str, name: str = "Betaler", payer_iban: str = "") -> BankStatementLine:
    bank.bank_statement_import(content=camt053([Entry(Decimal(amount), text, name, payer_iban)]), user=None)
    return BankStatementLine.objects.get(status=LineStatus.UNMATCHED)


def test_matching_screen_suggests_and_accepts_with_one_post(role_client, htmx_headers):
    # given: a payer without a number in the text, for exactly what one invoice is open for
    customer = b2c_customer(name="Karel Appel")
    invoice_of(customer, "10.00")
    invoice = invoice_of(customer, "55.55")
    line = _waiting_line("55.55", "bedankt", name="Karel Appel", payer_iban=iban(3))
    client = role_client(Role.ACCOUNTING)

    # when
    page = client.get(reverse("billing:bank_matching"))
    first = page.context["rows"][0]["suggestions"][0]
    response = client.post(
        reverse("billing:bank_line_accept", args=[line.pk]), {"invoice": first.invoice.pk}, **htmx_headers
    )

    # then
    assert first.invoice == invoice and "data-accept" in page.content.decode()
    assert response.status_code == 200 and b"<html" not in response.content
    assert f'id="bank-line-{line.pk}"'.encode() in response.content and response["HX-Trigger"] == "bank-line-done"
    line.refresh_from_db(), invoice.refresh_from_db()
    assert line.status == LineStatus.MATCHED and line.rule == "manual" and line.customer == customer
    assert invoice.status == "paid" and line.payment.method == "bank_transfer"
    assert customer.ibans.filter(iban=iban(3)).exists()
    # accepting again changes nothing
    again = client.post(reverse("billing:bank_line_accept", args=[line.pk]), {"invoice": invoice.pk}, **htmx_headers)
    assert again.status_code == 200 and Payment.objects.count() == 1


def test_matching_screen_splits_a_line_over_invoices(role_client, htmx_headers):
    customer = b2c_customer()
    a, b = invoice_of(customer, "30.00"), invoice_of(customer, "50.00")
    line = _waiting_line("70.00", "twee")
    client = role_client(Role.ACCOUNTING)
    data = {
        f"split-{line.pk}-invoice_0": a.number,
        f"split-{line.pk}-amount_0": "30,00",
        f"split-{line.pk}-invoice_1": b.number,
        f"split-{line.pk}-amount_1": "35,5",
    }
    response = client.post(reverse("billing:bank_line_split", args=[line.pk]), data, **htmx_headers)
    assert response.status_code == 200
    a.refresh_from_db(), b.refresh_from_db(), line.refresh_from_db()
    assert (a.amount_paid, b.amount_paid) == (Decimal("30.00"), Decimal("35.50"))
    assert line.status == LineStatus.MATCHED and line.payment.credit == Decimal("4.50")


def test_matching_screen_refuses_a_split_beyond_the_line(role_client, htmx_headers):
    a = invoice_of(b2c_customer(), "30.00")
    line = _waiting_line("20.00", "x")
    data = {f"split-{line.pk}-invoice_0": a.number, f"split-{line.pk}-amount_0": "25,00"}
    response = role_client(Role.ACCOUNTING).post(
        reverse("billing:bank_line_split", args=[line.pk]), data, **htmx_headers
    )
    assert response.status_code == 200 and b"at most 20.00" in response.content
    line.refresh_from_db()
    assert line.status == LineStatus.UNMATCHED and not Payment.objects.exists()


def test_matching_screen_books_a_line_to_another_account(role_client, htmx_headers):
    line = _waiting_line("3.21", "rente")
    data = {f"book-{line.pk}-account": "8900", f"book-{line.pk}-memo": "Rente"}
    response = role_client(Role.ACCOUNTING).post(
        reverse("billing:bank_line_book", args=[line.pk]), data, **htmx_headers
    )
    assert response.status_code == 200
    line.refresh_from_db()
    assert line.status == LineStatus.BOOKED
    legs = {(leg.account.code, leg.debit, leg.credit) for leg in JournalLine.objects.filter(entry=line.journal_entry)}
    assert legs == {("1100", Decimal("3.21"), Decimal("0")), ("8900", Decimal("0"), Decimal("3.21"))}
    assert violations() == {}


def test_matching_screen_refuses_booking_to_receivables(role_client, htmx_headers):
    line = _waiting_line("3.21", "x")
    data = {f"book-{line.pk}-account": "1300", f"book-{line.pk}-memo": "x"}
    role_client(Role.ACCOUNTING).post(reverse("billing:bank_line_book", args=[line.pk]), data, **htmx_headers)
    line.refresh_from_db()
    assert line.status == LineStatus.UNMATCHED
