"""Issue 17, provider settlements: a settlement (CSV or Mollie's API) clears the provider
receivable for the payments it contains, books the fees as a VAT-exempt expense, and lands on
the payout's bank statement line; the provider receivable then equals what is unsettled."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from billing import accounts
from billing.models import BankStatementLine, JournalEntry, LineStatus, ProviderSettlement, SettlementLine
from billing.services import bank, settlements
from billing.services.ledger import ledger_lock_set
from oms.errors import Conflict, ValidationFailed
from oms.invariants import violations
from tests.billing.bankfiles import Entry, camt053
from tests.billing.settlements import balance, csv_file, provider_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_delivery")]

D = Decimal
TODAY = date.today()


def klarna_file(identifier="KL-1", payout="57.89", extra=()):
    day = f"{TODAY:%Y-%m-%d}"
    return csv_file(
        [
            f"{identifier},{day},payment,kl_1,40.00,",
            f"{identifier},{day},payment,kl_2,25.00,",
            f"{identifier},{day},refund,kl_2r,-5.00,",
            f"{identifier},{day},fee,,2.11,0.00",
            f"{identifier},{day},payout,KLARNA {identifier},{payout},",
            *extra,
        ]
    )


@pytest.fixture
def klarna_payments():
    first = provider_payment("kl_1", "40.00", "klarna")
    second = provider_payment("kl_2", "25.00", "klarna")
    refund = settlements_refund(second, "kl_2r", "5.00")
    other = provider_payment("kl_9", "12.50", "klarna")  # not in the settlement: stays receivable
    return first, second, refund, other


def settlements_refund(payment, reference, amount):
    from billing.services.payments import payment_refund

    return payment_refund(payment=payment, amount=amount, reference=reference, user=None).payment


def test_csv_settlement_clears_its_payments_books_fees_and_balances(klarna_payments):
    assert balance(accounts.KLARNA_RECEIVABLE) == D("72.50")
    result = settlements.settlements_csv_import(provider="klarna", content=klarna_file(), user=None)
    (settlement,) = result.created
    assert (settlement.amount, settlement.payments_amount, settlement.fees_amount) == (
        D("57.89"),
        D("60.00"),
        D("2.11"),
    )
    assert SettlementLine.objects.filter(settlement=settlement).count() == 3
    # What is left on 1320 is the payment no settlement contains.
    assert balance(accounts.KLARNA_RECEIVABLE) == D("12.50")
    assert balance(accounts.PROVIDER_FEES) == D("2.11")
    assert balance(accounts.VAT_RECEIVABLE) == D("0")  # payment services are VAT-exempt
    assert balance(accounts.PAYOUTS_IN_TRANSIT) == D("57.89")
    entry = settlement.journal_entry
    lines = list(entry.lines.all())
    assert sum(line.debit for line in lines) == sum(line.credit for line in lines) == entry.total_amount
    assert violations() == {}


def test_the_same_file_twice_changes_nothing(klarna_payments):
    settlements.settlements_csv_import(provider="klarna", content=klarna_file(), user=None)
    entries = JournalEntry.objects.count()
    again = settlements.settlements_csv_import(provider="klarna", content=klarna_file(), user=None)
    assert (again.created, again.already_imported) == ([], 1)
    assert JournalEntry.objects.count() == entries and ProviderSettlement.objects.count() == 1


@pytest.mark.parametrize(
    ("rows", "code", "words"),
    [
        (["KL-2,{d},payment,kl_unknown,10.00,", "KL-2,{d},payout,,10.00,"], "unknown_payment", "kl_unknown"),
        (["KL-2,{d},payment,kl_9,10.00,", "KL-2,{d},payout,,10.00,"], "amount_mismatch", "12.50"),
        (["KL-2,{d},payment,kl_9,12.50,", "KL-2,{d},payout,,12.00,"], "does_not_add_up", "12.00"),
        (["KL-2,{d},payment,kl_9,12.50,"], "invalid_file", "no payout row"),
        (["KL-2,{d},payment,kl_9,twelve,", "KL-2,{d},payout,,12.50,"], "invalid_file", "Row 7: 'twelve'"),
        (["KL-2,31-02-2026,payment,kl_9,12.50,"], "invalid_file", "not a date"),
        (["KL-2,{d},bonus,kl_9,12.50,"], "invalid_file", "type must be"),
    ],
)
def test_a_bad_file_is_refused_whole_and_names_the_problem(klarna_payments, rows, code, words):
    """The good settlement KL-1 first in the file is not stored either: one transaction."""
    content = klarna_file(extra=[row.format(d=f"{TODAY:%Y-%m-%d}") for row in rows])
    entries = JournalEntry.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        settlements.settlements_csv_import(provider="klarna", content=content, user=None)
    assert caught.value.code == code and words in caught.value.message
    assert ProviderSettlement.objects.count() == 0 and JournalEntry.objects.count() == entries


def test_a_missing_column_an_empty_or_unreadable_file_are_clear_errors():
    for content, code in [
        (b"settlement,date,type\n", "invalid_file"),
        (b"", "empty_file"),
        (b"\xff\xfe", "invalid_file"),
        (csv_file(["K,2026-11-30,payment,a\x00b,1.00,"]), "invalid_file"),
        (csv_file([f"K{n},2026-11-30,payout,,1.00," for n in range(501)]), "too_many_rows"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            settlements.settlements_csv_import(provider="klarna", content=content, user=None)
        assert caught.value.code == code and caught.value.field == "file"


def test_a_payment_is_settled_once(klarna_payments):
    settlements.settlements_csv_import(provider="klarna", content=klarna_file(), user=None)
    with pytest.raises(Conflict) as caught:
        settlements.settlements_csv_import(provider="klarna", content=klarna_file("KL-OTHER"), user=None)
    assert caught.value.code == "already_settled" and "KL-1" in caught.value.message


def test_payout_line_imported_later_lands_on_the_settlement(klarna_payments):
    settlements.settlements_csv_import(provider="klarna", content=klarna_file(), user=None)
    statement = camt053(
        [Entry(D("57.89"), "KLARNA KL-1 uitbetaling", "Klarna Bank AB", "SE4550000000058398257466", ref="P1")]
    )
    result = bank.bank_statement_import(content=statement, user=None)
    assert result.matched == 1
    line = BankStatementLine.objects.get(key="P1")
    assert line.status == LineStatus.SETTLED and line.settlement.identifier == "KL-1" and line.rule == "reference"
    assert balance(accounts.PAYOUTS_IN_TRANSIT) == D("0") and balance(accounts.BANK) == D("57.89")
    assert violations() == {}


def test_settlement_imported_later_finds_its_waiting_payout_line_by_amount_and_name(klarna_payments):
    statement = camt053([Entry(D("57.89"), "uitbetaling 30-11", "Klarna Bank AB", "SE4550000000058398257466")])
    bank.bank_statement_import(content=statement, user=None)
    line = BankStatementLine.objects.get()
    assert line.status == LineStatus.UNMATCHED
    result = settlements.settlements_csv_import(provider="klarna", content=klarna_file(), user=None)
    assert result.payouts_landed == 1
    line.refresh_from_db()
    assert line.status == LineStatus.SETTLED and line.rule == "amount"
    assert violations() == {}


def test_payout_on_a_locked_day_waits_on_the_matching_screen(klarna_payments):
    settlements.settlements_csv_import(provider="klarna", content=klarna_file(), user=None)
    old = TODAY - timedelta(days=10)
    ledger_lock_set(lock_date=old, user=None)
    statement = camt053([Entry(D("57.89"), "KLARNA KL-1", "Klarna", booked=old)], day=old)
    bank.bank_statement_import(content=statement, user=None)
    assert BankStatementLine.objects.get().status == LineStatus.UNMATCHED
    assert ProviderSettlement.objects.get().bank_entry is None


def test_settlement_on_a_locked_date_is_refused():
    provider_payment("tr_1", "10.00")
    ledger_lock_set(lock_date=TODAY - timedelta(days=1), user=None)
    day = f"{TODAY - timedelta(days=2):%Y-%m-%d}"
    content = csv_file([f"M-1,{day},payment,tr_1,10.00,", f"M-1,{day},payout,,10.00,"])
    with pytest.raises(ValidationFailed) as caught:
        settlements.settlements_csv_import(provider="mollie", content=content, user=None)
    assert caught.value.code == "period_locked"


def test_invariant_reports_a_provider_receivable_that_differs_from_unsettled_payments(klarna_payments):
    from django.db import connection

    settlements.settlements_csv_import(provider="klarna", content=klarna_file(), user=None)
    assert "billing: provider receivable = unsettled provider payments" not in violations()
    # A settlement line lost (as a bad restore or a hand edit would): the payment looks unsettled
    # while the ledger says it was paid out.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_settlementline WHERE payment_id = %s", [klarna_payments[0].pk])
    rows = violations()["billing: provider receivable = unsettled provider payments"]
    assert {"account": accounts.KLARNA_RECEIVABLE, "ledger": D("12.50"), "unsettled_payments": D("52.50")} in rows
    assert any(row.get("identifier") == "KL-1" for row in rows)


def test_a_negative_settlement_lands_on_the_debit_line_that_pays_it():
    """Refunds beyond the period's payments: the provider collects from our account."""
    payment = provider_payment("tr_n1", "10.00")
    settlements_refund(payment, "re_n1", "10.00")
    provider_payment("tr_n2", "5.00")
    day = f"{TODAY:%Y-%m-%d}"
    content = csv_file(
        [f"N-1,{day},payment,tr_n2,5.00,", f"N-1,{day},refund,re_n1,-10.00,", f"N-1,{day},fee,,0.29,"]
        + [f"N-1,{day},payout,N-1,-5.29,"]
    )
    (settlement,) = settlements.settlements_csv_import(provider="mollie", content=content, user=None).created
    assert settlement.amount == D("-5.29") and balance(accounts.PAYOUTS_IN_TRANSIT) == D("-5.29")
    bank.bank_statement_import(content=camt053([Entry(D("-5.29"), "Mollie incasso N-1", "Mollie")]), user=None)
    line = BankStatementLine.objects.get()
    assert line.status == LineStatus.SETTLED and line.settlement == settlement
    assert balance(accounts.PAYOUTS_IN_TRANSIT) == D("0") and balance(accounts.BANK) == D("-5.29")
    assert balance(accounts.PSP_RECEIVABLE) == D("10.00")  # tr_n1 itself is not settled yet
    assert violations() == {}
