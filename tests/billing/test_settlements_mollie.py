"""Issue 17: Mollie settlements fetched through mollie-api-python from a fake of the documented v2
settlements API on 127.0.0.1: stored and booked, paged, imported again without change, and a
settlement with a payment not recorded here left waiting (nothing of it stored)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from billing import accounts
from billing.models import BankStatementLine, JournalEntry, LineStatus, ProviderSettlement
from billing.services import bank, mollie_settlements
from oms.errors import ValidationFailed
from oms.invariants import violations
from tests.billing.bankfiles import Entry, camt053
from tests.billing.fake_mollie import FakeMollie
from tests.billing.settlements import balance, provider_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_delivery")]

D = Decimal
DAY = f"{date.today() - timedelta(days=1):%Y-%m-%d}"


@pytest.fixture
def mollie(settings):
    fake = FakeMollie().start()
    settings.OMS_MOLLIE_SETTLEMENTS = {"api_endpoint": fake.endpoint, "access_token": "access_test123", "timeout": 5}
    yield fake
    fake.stop()


def three_settlements(fake: FakeMollie) -> None:
    for n in range(1, 4):
        provider_payment(f"tr_{n}a", "100.00")
        provider_payment(f"tr_{n}b", "50.00", "card")
    fake.add_settlement(
        "stl_1", reference="1234567.2612.01", amount="149.13", settled_at=DAY,
        payments=[("tr_1a", "100.00"), ("tr_1b", "50.00")], fees=[("0.87", "")],
    )  # fmt: skip
    fake.add_settlement(
        "stl_2", reference="1234567.2612.02", amount="149.13", settled_at=DAY,
        payments=[("tr_2a", "100.00"), ("tr_2b", "50.00")], fees=[("0.58", ""), ("0.29", "")],
    )  # fmt: skip
    fake.add_settlement(
        "stl_3", reference="1234567.2612.03", amount="149.00", settled_at=DAY,
        payments=[("tr_3a", "100.00"), ("tr_3b", "50.00")], fees=[("0.83", "0.17")],
    )  # fmt: skip
    fake.add_settlement(
        "stl_open", reference="", amount="12.00", settled_at=DAY, payments=[("tr_x", "12.00")], status="open"
    )


def test_mollie_settlements_are_imported_booked_and_paged(mollie):
    three_settlements(mollie)
    assert balance(accounts.PSP_RECEIVABLE) == D("450.00")
    result = mollie_settlements.mollie_settlements_import(user=None)
    assert sorted(s.identifier for s in result.created) == ["stl_1", "stl_2", "stl_3"]  # not the open one
    assert "/v2/settlements/stl_3/payments" in mollie.calls  # on the second page: _links.next followed
    assert balance(accounts.PSP_RECEIVABLE) == D("0.00")
    assert balance(accounts.PROVIDER_FEES) == D("2.57")
    # Mollie's VAT on a fee (a non-exempt service) is input VAT, not cost.
    assert balance(accounts.VAT_RECEIVABLE) == D("0.17")
    assert balance(accounts.PAYOUTS_IN_TRANSIT) == D("447.26")
    stl_3 = ProviderSettlement.objects.get(identifier="stl_3")
    assert (stl_3.bank_reference, stl_3.fees_amount, stl_3.fees_vat) == ("1234567.2612.03", D("0.83"), D("0.17"))
    assert violations() == {}


def test_importing_again_changes_nothing(mollie):
    three_settlements(mollie)
    mollie_settlements.mollie_settlements_import(user=None)
    entries = JournalEntry.objects.count()
    again = mollie_settlements.mollie_settlements_import(user=None)
    assert (again.created, again.already_imported) == ([], 3)
    assert JournalEntry.objects.count() == entries


def test_a_settlement_with_an_unknown_payment_waits_and_is_stored_later(mollie):
    provider_payment("tr_known", "20.00")
    mollie.add_settlement(
        "stl_9", reference="1234567.2612.09", amount="29.71", settled_at=DAY,
        payments=[("tr_known", "20.00"), ("tr_late", "10.00")], fees=[("0.29", "")],
    )  # fmt: skip
    result = mollie_settlements.mollie_settlements_import(user=None)
    assert result.created == [] and result.waiting[0][0] == "stl_9" and "tr_late" in result.waiting[0][1]
    assert ProviderSettlement.objects.count() == 0 and balance(accounts.PSP_RECEIVABLE) == D("20.00")
    provider_payment("tr_late", "10.00")
    assert [s.identifier for s in mollie_settlements.mollie_settlements_import(user=None).created] == ["stl_9"]


def test_refunds_in_a_settlement_are_deducted(mollie):
    payment = provider_payment("tr_r", "80.00")
    from billing.services.payments import payment_refund

    payment_refund(payment=payment, amount="30.00", reference="re_1", user=None)
    mollie.add_settlement(
        "stl_r", reference="1234567.2612.04", amount="49.71", settled_at=DAY,
        payments=[("tr_r", "80.00")], refunds=[("re_1", "30.00")], fees=[("0.29", "")],
    )  # fmt: skip
    (settlement,) = mollie_settlements.mollie_settlements_import(user=None).created
    assert settlement.payments_amount == D("50.00") and balance(accounts.PSP_RECEIVABLE) == D("0.00")
    assert violations() == {}


def test_the_payout_on_the_bank_statement_lands_on_the_settlement(mollie):
    three_settlements(mollie)
    mollie_settlements.mollie_settlements_import(user=None)
    # Two payouts of 149.13: only the bank reference in the description tells them apart.
    statement = camt053(
        [
            Entry(D("149.13"), "Mollie uitbetaling 1234567.2612.02", "Stichting Mollie Payments", ref="M2"),
            Entry(D("149.13"), "Mollie uitbetaling 1234567.2612.01", "Stichting Mollie Payments", ref="M1"),
        ]
    )
    result = bank.bank_statement_import(content=statement, user=None)
    assert result.matched == 2
    lines = {line.key: line for line in BankStatementLine.objects.select_related("settlement")}
    assert lines["M1"].settlement.identifier == "stl_1" and lines["M2"].settlement.identifier == "stl_2"
    assert all(line.status == LineStatus.SETTLED for line in lines.values())
    assert balance(accounts.PAYOUTS_IN_TRANSIT) == D("149.00")  # stl_3 is not on the bank yet
    assert violations() == {}


def test_mollie_down_or_the_token_refused_is_a_clear_error(mollie, settings):
    mollie.down = True
    with pytest.raises(mollie_settlements.MollieUnavailable):
        mollie_settlements.mollie_settlements_import(user=None)
    mollie.down = False
    settings.OMS_MOLLIE_SETTLEMENTS = {**settings.OMS_MOLLIE_SETTLEMENTS, "access_token": ""}
    with pytest.raises(ValidationFailed) as caught:
        mollie_settlements.mollie_settlements_import(user=None)
    assert caught.value.code == "not_configured"


def test_the_morning_task_fetches_and_is_off_without_a_token(mollie, settings):
    from billing import tasks

    provider_payment("tr_t", "10.00")
    mollie.add_settlement(
        "stl_t", reference="1234567.2612.07", amount="9.71", settled_at=DAY,
        payments=[("tr_t", "10.00")], fees=[("0.29", "")],
    )  # fmt: skip
    assert tasks.mollie_settlements_import.delay().get() == "1 new, 0 waiting"
    settings.OMS_MOLLIE_SETTLEMENTS = {**settings.OMS_MOLLIE_SETTLEMENTS, "access_token": ""}
    assert tasks.mollie_settlements_import() == "off"
