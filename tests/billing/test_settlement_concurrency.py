"""Settlement imports at the same moment (threads, PostgreSQL): the same file stores each
settlement once; two settlements claiming one payment settle it once; a payout landed once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.models import BankStatementLine, JournalEntry, LineStatus, ProviderSettlement, SettlementLine
from billing.services import bank, settlements
from oms.errors import Conflict
from oms.invariants import violations
from tests.billing.bankfiles import Entry, camt053
from tests.billing.settlements import csv_file, provider_payment
from tests.billing.test_payment_concurrency import together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.usefixtures("no_delivery")]
DAY = f"{date.today():%Y-%m-%d}"


def _file(identifier: str) -> bytes:
    return csv_file(
        [
            f"{identifier},{DAY},payment,tr_c1,30.00,",
            f"{identifier},{DAY},payment,tr_c2,20.00,",
            f"{identifier},{DAY},fee,,0.58,",
            f"{identifier},{DAY},payout,MOLLIE {identifier},49.42,",
        ]
    )


@pytest.fixture
def two_payments():
    provider_payment("tr_c1", "30.00")
    provider_payment("tr_c2", "20.00")


def test_the_same_file_imported_at_once_is_stored_once(two_payments):
    content = _file("C-1")
    results = together(lambda i: settlements.settlements_csv_import(provider="mollie", content=content, user=None), n=4)
    assert sorted(len(r.created) for r in results) == [0, 0, 0, 1]
    assert ProviderSettlement.objects.count() == 1 and SettlementLine.objects.count() == 2
    assert JournalEntry.objects.filter(reference__startswith="settlement").count() == 1
    assert violations() == {}


def test_two_settlements_of_one_payment_at_once_settle_it_once(two_payments):
    def run(i):
        try:
            return settlements.settlements_csv_import(provider="mollie", content=_file(f"D-{i}"), user=None)
        except Conflict as exc:
            return exc.code

    results = together(run, n=3)
    assert sorted(r for r in results if isinstance(r, str)) == ["already_settled", "already_settled"]
    assert ProviderSettlement.objects.count() == 1 and SettlementLine.objects.count() == 2
    assert violations() == {}


def test_payout_line_and_settlement_imported_at_once_land_once(two_payments):
    statement = camt053([Entry(Decimal("49.42"), "MOLLIE E-1", "Stichting Mollie Payments")])

    def run(i):
        if i == 0:
            return bank.bank_statement_import(content=statement, user=None)
        return settlements.settlements_csv_import(provider="mollie", content=_file("E-1"), user=None)

    together(run, n=2)
    # Whichever committed first, the other finds it: the line lands now or on the next look.
    line = BankStatementLine.objects.get()
    if line.status == LineStatus.UNMATCHED:
        settlements.settlement_payout_find(settlement=ProviderSettlement.objects.get(), user=None)
        line.refresh_from_db()
    assert line.status == LineStatus.SETTLED
    assert violations() == {}
