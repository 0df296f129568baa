"""Bank statement imports at the same moment (threads, PostgreSQL): the same file, or two
statements sharing entries, store every statement and line once and pay every invoice once."""

import pytest

from billing.models import BankStatement, BankStatementLine, Payment
from billing.services import bank
from oms.invariants import violations
from tests.billing.bankfiles import Entry, camt053
from tests.billing.test_bank_statements import iban, invoice_of
from tests.billing.test_payment_concurrency import together
from tests.factories.billing import b2c_customer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.usefixtures("no_delivery")]


def _entries(n: int = 4) -> list[Entry]:
    entries = []
    for i in range(n):
        invoice = invoice_of(b2c_customer(), f"{10 + i}.00")
        entries.append(Entry(invoice.gross_amount, f"Factuur {invoice.number}", "A", iban(i), ref=f"E2E-{i}"))
    return entries


def test_the_same_statement_imported_at_once_is_stored_and_paid_once():
    content = camt053(_entries(), statement_id="RACE-1")
    results = together(lambda i: bank.bank_statement_import(content=content, user=None), n=4)
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert sum(r.matched for r in results) == 4
    assert all(r.already_imported == 4 for r in results if not r.created)
    assert BankStatement.objects.count() == 1 and BankStatementLine.objects.count() == 4
    assert Payment.objects.count() == 4
    assert violations() == {}


def test_overlapping_statements_imported_at_once_store_each_line_once():
    entries = _entries()
    files = [camt053(entries, statement_id=f"DAY-{i}") for i in range(3)]
    results = together(lambda i: bank.bank_statement_import(content=files[i], user=None), n=3)
    assert all(r.created for r in results)
    assert sum(r.lines - r.already_imported for r in results) == 4
    assert BankStatement.objects.count() == 3 and BankStatementLine.objects.count() == 4
    assert Payment.objects.count() == 4
    assert violations() == {}
