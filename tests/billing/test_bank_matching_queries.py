"""The matching screen reads its lines' suggestions set-wise: its query count does not grow with
the number of lines waiting, and a provider payout waiting on it is offered and landed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import BankStatementLine, LineStatus
from billing.services import bank, settlements
from customers.services import customer_iban_add
from oms.invariants import violations
from oms.roles import Role
from tests.billing.bankfiles import Entry, camt053
from tests.billing.settlements import csv_file, provider_payment
from tests.billing.test_bank_statements import iban, invoice_of
from tests.factories.billing import b2c_customer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_delivery")]


def waiting_lines(n: int, start: int) -> None:
    """``n`` lines of every kind the suggestions look at: a number named but paid twice, an IBAN
    known, an amount some invoice has, a payer's name on an invoice."""
    entries = []
    for k in range(start, start + n):
        customer = b2c_customer(name=f"Pieter Zandvoort{k}")
        customer_iban_add(customer=customer, iban=iban(k))
        invoice = invoice_of(customer, f"{k}.10")
        invoice_of(customer, f"{k}.20")
        entries.append(Entry(Decimal(f"{k}.99"), "betaling", f"P. Zandvoort{k}", iban(k), ref=f"Q{k}"))
        entries.append(Entry(invoice.gross_amount + 1, f"Zandvoort{k}", "Onbekend", "", ref=f"R{k}"))
    bank.bank_statement_import(content=camt053(entries, statement_id=f"S{start}"), user=None)


def test_matching_screen_queries_do_not_grow_with_its_lines(role_client, django_assert_max_num_queries):
    client = role_client(Role.ACCOUNTING)
    waiting_lines(2, 100)
    with django_assert_max_num_queries(30) as few:
        small = client.get(reverse("billing:bank_matching"))
    waiting_lines(20, 200)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        large = client.get(reverse("billing:bank_matching"))
    assert len(small.context["rows"]) == 4 and len(large.context["rows"]) == 44
    assert len(many.captured_queries) == len(few.captured_queries)
    # The set-wise read ranks as the one-line read does.
    row = next(r for r in large.context["rows"] if r["line"].key == "Q210")
    assert [s.invoice.number for s in row["suggestions"]] == [
        s.invoice.number for s in __import__("billing.bank_matching").bank_matching.suggestions(row["line"])
    ]
    assert row["suggestions"][0].reasons[:2] == ["customer's IBAN", "payer's name"]


def test_a_waiting_payout_is_offered_and_landed_with_one_post(role_client, htmx_headers):
    provider_payment("cc_1", "60.00", "pin")
    day = f"{date.today():%Y-%m-%d}"
    # A description that names neither the settlement nor the acquirer: a person decides.
    bank.bank_statement_import(content=camt053([Entry(Decimal("59.40"), "OVERBOEKING 881", "CCV", "")]), user=None)
    content = csv_file([f"C-1,{day},payment,cc_1,60.00,", f"C-1,{day},fee,,0.60,", f"C-1,{day},payout,,59.40,"])
    assert settlements.settlements_csv_import(provider="worldline", content=content, user=None).payouts_landed == 0
    line = BankStatementLine.objects.get()
    client = role_client(Role.ACCOUNTING)

    page = client.get(reverse("billing:bank_matching"))
    (offered,) = page.context["rows"][0]["payouts"]
    response = client.post(
        reverse("billing:bank_line_settle", args=[line.pk]), {"settlement": offered.pk}, **htmx_headers
    )

    assert b"data-payout" in page.content and offered.identifier == "C-1"
    assert response.status_code == 200 and response["HX-Trigger"] == "bank-line-done"
    assert b"Payout of worldline settlement C-1" in response.content
    line.refresh_from_db()
    assert line.status == LineStatus.SETTLED and line.rule == "manual"
    again = client.post(reverse("billing:bank_line_settle", args=[line.pk]), {"settlement": offered.pk}, **htmx_headers)
    assert again.status_code == 200 and BankStatementLine.objects.get().status == LineStatus.SETTLED
    assert violations() == {}
