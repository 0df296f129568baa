"""Accounting matches bank lines with the keyboard: the matching screen focuses the first waiting
line, ``a`` accepts its best suggestion and moves to the next. With ``OMS_SCREENSHOTS=1`` the
screen is saved as the README's docs/screenshots/bank-matching.png."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from billing.models import BankStatementLine, LineStatus
from billing.services import bank
from customers.services import customer_iban_add
from tests.billing.bankfiles import Entry, camt053
from tests.billing.test_bank_statements import iban, invoice_of
from tests.factories.billing import b2b_customer, b2c_customer
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bank_matching_accept_with_one_key(live_server, browser_page, make_user, no_delivery):
    # given: three lines waiting (no invoice named, IBANs not known), two of them for exactly
    # what one open invoice is open for
    make_user("accounting", username="acc")
    anna = b2c_customer(name="Anna Smit")
    first = invoice_of(anna, "24.95")
    invoice_of(anna, "99.00")
    bakker = b2b_customer(company_name="Bakkerij Brood B.V.")
    second = invoice_of(bakker, "312.40")
    customer_iban_add(customer=bakker, iban=iban(2))
    entries = [
        Entry(Decimal("24.95"), "bestelling mokken", "A. Smit", iban(1)),
        Entry(Decimal("312.40"), "maart", "Bakkerij Brood BV", iban(4)),  # paid from another account
        Entry(Decimal("18.00"), "terugbetaling", "Leverancier X", iban(3)),
    ]
    bank.bank_statement_import(content=camt053(entries, statement_id="BROWSER"), user=None)
    assert BankStatementLine.objects.filter(status=LineStatus.UNMATCHED).count() == 3

    page = browser_page
    login(page, live_server, "acc")
    page.set_viewport_size({"width": 1400, "height": 850})
    page.goto(f"{live_server.url}/billing/bank-statements/matching/")
    expect(page.get_by_test_id("bank-line")).to_have_count(3)
    if os.environ.get("OMS_SCREENSHOTS"):
        out = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "bank-matching.png"
        page.screenshot(path=str(out))

    # when: a on the focused first line, then a again on the next
    page.keyboard.press("a")
    expect(page.get_by_test_id("bank-line-done")).to_have_count(1)
    page.keyboard.press("a")
    expect(page.get_by_test_id("bank-line-done")).to_have_count(2)

    # then
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == ("paid", "paid")
    assert BankStatementLine.objects.filter(status=LineStatus.UNMATCHED).count() == 1
