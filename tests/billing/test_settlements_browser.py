"""Accounting lands a provider's payout with one key: the matching screen offers the open
settlement of the line's amount and ``p`` lands it; the settlements screen then shows the payout
on the bank and nothing unsettled. With ``OMS_SCREENSHOTS=1`` the settlements screen is saved as
docs/screenshots/settlements.png."""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from billing.models import BankStatementLine, LineStatus
from billing.services import bank, settlements
from tests.billing.bankfiles import Entry, camt053
from tests.billing.settlements import csv_file, provider_payment
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_payout_landed_with_one_key(live_server, browser_page, make_user, no_delivery):
    make_user("accounting", username="acc")
    provider_payment("pin_001", "120.00", "pin")
    provider_payment("pin_002", "35.50", "pin")
    provider_payment("kl_003", "89.90", "klarna")  # owed by Klarna, not in this settlement
    day = f"{date.today():%Y-%m-%d}"
    content = csv_file(
        [
            f"WL-77,{day},payment,pin_001,120.00,",
            f"WL-77,{day},payment,pin_002,35.50,",
            f"WL-77,{day},fee,,0.93,",
            f"WL-77,{day},payout,,154.57,",
        ]
    )
    settlements.settlements_csv_import(provider="worldline", content=content, user=None)
    # The acquirer's transfer names neither the settlement nor the acquirer.
    bank.bank_statement_import(content=camt053([Entry(Decimal("154.57"), "VERZAMELBETALING", "EPS BV")]), user=None)

    page = browser_page
    login(page, live_server, "acc")
    page.set_viewport_size({"width": 1400, "height": 850})
    page.goto(f"{live_server.url}/billing/bank-statements/matching/")
    expect(page.get_by_test_id("payouts")).to_contain_text("worldline settlement WL-77")
    page.keyboard.press("p")
    expect(page.get_by_test_id("bank-line-done")).to_contain_text("Payout of worldline settlement WL-77")
    assert BankStatementLine.objects.get().status == LineStatus.SETTLED

    page.goto(f"{live_server.url}/billing/settlements/")
    expect(page.get_by_test_id("settlements")).to_contain_text("WL-77")
    expect(page.get_by_test_id("settlements")).not_to_contain_text("not yet")
    expect(page.get_by_test_id("unsettled")).to_contain_text("89,90")
    if os.environ.get("OMS_SCREENSHOTS"):
        out = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "settlements.png"
        page.screenshot(path=str(out), full_page=True)
