"""Issue 17, bank statements: CAMT.053 and MT940 imports matched to open invoices (by number in
the description, then by amount and the customer's IBAN), partial and combined payments, the rest
left for the matching screen, and a second import of the same file changing nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from schwifty import IBAN

from billing import bank_matching
from billing.models import BankStatement, BankStatementLine, Invoice, JournalEntry, JournalLine, LineStatus, Payment
from billing.services import bank
from billing.services.ledger import ledger_lock_set
from customers.models import CustomerIban, IbanSource
from customers.services import customer_iban_add
from oms.errors import ValidationFailed
from oms.invariants import violations
from tests.billing.bankfiles import Entry, camt053, mt940
from tests.factories.billing import b2c_customer, issue, line

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_delivery")]


def iban(n: int) -> str:
    return IBAN.generate("NL", bank_code="INGB", account_code=f"{1000000 + n}").compact


def invoice_of(customer, amount: str) -> Invoice:
    """A zero-rate invoice, so its total is ``amount``."""
    return issue(customer, [line(1, amount, "zero")])


def snapshot() -> dict:
    return {
        "statements": BankStatement.objects.count(),
        "lines": BankStatementLine.objects.count(),
        "payments": Payment.objects.count(),
        "paid": Payment.objects.aggregate(t=Sum("amount"))["t"],
        "entries": JournalEntry.objects.count(),
        "ibans": CustomerIban.objects.count(),
        "invoices": sorted(Invoice.objects.values_list("number", "status", "amount_paid")),
    }


def bank_balance() -> Decimal:
    rows = JournalLine.objects.filter(account__code="1100").aggregate(d=Sum("debit"), c=Sum("credit"))
    return (rows["d"] or Decimal("0")) - (rows["c"] or Decimal("0"))


def fifty_credit_lines():
    """50 credit lines: 20 exact by number, 5 by amount and IBAN, 5 partial, 5 combined, 10 unknown,
    5 paying an invoice a second time; plus 2 debits and one entry the file lists twice."""
    entries, expect = [], {"exact": [], "iban": [], "partial": [], "combined": [], "twice": []}
    for n in range(20):
        customer = b2c_customer()
        invoice = invoice_of(customer, f"{100 + n}.{n:02d}")
        entries.append(Entry(invoice.gross_amount, f"Factuur {invoice.number} dank u", customer.name, iban(n)))
        expect["exact"].append((invoice, customer, iban(n)))
    for n in range(5):
        customer = b2c_customer()
        customer_iban_add(customer=customer, iban=iban(100 + n))
        invoice_of(customer, "999.00")  # another open invoice, for another amount
        invoice = invoice_of(customer, f"{300 + n}.50")
        entries.append(Entry(invoice.gross_amount, "betaling", customer.name, iban(100 + n)))
        expect["iban"].append(invoice)
    for n in range(5):
        invoice = invoice_of(b2c_customer(), "200.00")
        # written without the dash, as customers do
        entries.append(Entry(Decimal("80.00"), f"deel {invoice.number.replace('-', '')}", "X", iban(200 + n)))
        expect["partial"].append(invoice)
    for n in range(5):
        customer = b2c_customer()
        first, second = invoice_of(customer, "40.00"), invoice_of(customer, "60.10")
        entries.append(Entry(Decimal("100.10"), f"{first.number} en {second.number}", customer.name, iban(300 + n)))
        expect["combined"].append((first, second))
    for n in range(10):
        entries.append(Entry(Decimal(f"{12 + n}.34"), f"gift {n}", "Onbekend", iban(400 + n)))
    for invoice, customer, _ in expect["exact"][:5]:
        entries.append(Entry(invoice.gross_amount, f"nogmaals {invoice.number}", customer.name, iban(500)))
        expect["twice"].append(invoice)
    entries.append(Entry(Decimal("-250.00"), "Mollie payout", "Stichting Mollie", iban(600)))
    entries.append(Entry(Decimal("-12.10"), "bankkosten", "ABN AMRO", ""))
    for i, entry in enumerate(entries):
        entry.ref = f"ACCT-{i:04d}"
    entries.insert(3, Entry(entries[2].amount, entries[2].text, entries[2].name, entries[2].iban, entries[2].ref))
    return entries, expect


@pytest.mark.parametrize("version", ["02", "08"])
def test_bank_statement_import_camt053_matches_fifty_credit_lines_and_twice_changes_nothing(version, accountant):
    # given
    entries, expect = fifty_credit_lines()
    content = camt053(entries, statement_id=f"2026-12-06-{version}", version=version)
    balance_before = bank_balance()

    # when
    result = bank.bank_statement_import(content=content, file_name="stmt.xml", user=accountant)

    # then
    assert (result.lines, result.matched, result.unmatched, result.already_imported) == (52, 35, 17, 0)
    assert result.created
    for invoice, customer, payer_iban in expect["exact"]:
        invoice.refresh_from_db()
        assert invoice.status == "paid" and invoice.amount_paid == invoice.gross_amount
        assert CustomerIban.objects.filter(
            customer=customer, iban=payer_iban, source=IbanSource.BANK_STATEMENT
        ).exists()
    for invoice in expect["iban"]:
        invoice.refresh_from_db()
        assert invoice.status == "paid"
    for invoice in expect["partial"]:
        invoice.refresh_from_db()
        assert (invoice.status, invoice.amount_paid) == ("partially_paid", Decimal("80.00"))
    for first, second in expect["combined"]:
        first.refresh_from_db(), second.refresh_from_db()
        assert (first.status, second.status) == ("paid", "paid")
        payment = Payment.objects.get(allocations__invoice=first)
        assert payment.amount == Decimal("100.10") and payment.credit == 0
        assert Payment.objects.get(allocations__invoice=second) == payment
    unmatched = BankStatementLine.objects.filter(status=LineStatus.UNMATCHED)
    assert unmatched.count() == 15
    assert all("already paid" in row.note for row in unmatched.filter(remittance__startswith="nogmaals"))
    assert BankStatementLine.objects.filter(status=LineStatus.DEBIT).count() == 2
    matched = BankStatementLine.objects.filter(status=LineStatus.MATCHED)
    assert all(row.payment.method == "bank_transfer" and row.payment.amount == row.amount for row in matched)
    assert bank_balance() - balance_before == matched.aggregate(t=Sum("amount"))["t"]
    assert violations() == {}

    # when: the same file again
    before = snapshot()
    again = bank.bank_statement_import(content=content, file_name="stmt.xml", user=accountant)

    # then
    assert (again.lines, again.matched, again.unmatched, again.already_imported) == (52, 0, 0, 52)
    assert not again.created and again.statement == result.statement
    assert snapshot() == before


def test_bank_statement_import_mt940_matches_and_twice_changes_nothing(accountant):
    # given
    customer, other = b2c_customer(), b2c_customer()
    exact, partial = invoice_of(customer, "121.00"), invoice_of(customer, "300.00")
    first, second = invoice_of(other, "10.00"), invoice_of(other, "15.55")
    customer_iban_add(customer=other, iban=iban(7))
    entries = [
        Entry(Decimal("121.00"), f"Factuur {exact.number}", customer.name, iban(1)),
        Entry(Decimal("100.00"), f"deel van {partial.number}", customer.name, iban(1)),
        Entry(Decimal("25.55"), "twee facturen", other.name, iban(7)),  # combined, by amount and IBAN
        Entry(Decimal("50.00"), "onbekend", "Iemand", iban(8)),
        Entry(Decimal("121.00"), f"Factuur {exact.number}", customer.name, iban(1)),  # paid twice
        Entry(Decimal("-80.00"), "payout", "Mollie", iban(9)),
    ]
    content = mt940(entries, reference="940S261206", number="00042")

    # when
    result = bank.bank_statement_import(content=content, file_name="stmt.sta", user=accountant)

    # then
    assert (result.lines, result.matched, result.unmatched, result.already_imported) == (6, 3, 3, 0)
    for invoice, status, paid in [
        (exact, "paid", "121.00"),
        (partial, "partially_paid", "100.00"),
        (first, "paid", "10.00"),
        (second, "paid", "15.55"),
    ]:
        invoice.refresh_from_db()
        assert (invoice.status, invoice.amount_paid) == (status, Decimal(paid))
    assert CustomerIban.objects.filter(customer=customer, iban=iban(1)).exists()
    statement = BankStatement.objects.get()
    assert (statement.format, statement.opening_balance, statement.closing_balance) == (
        "mt940",
        Decimal("1000.00"),
        Decimal("1337.55"),
    )
    before = snapshot()
    again = bank.bank_statement_import(content=content, file_name="stmt.sta", user=accountant)
    assert (again.lines, again.matched, again.unmatched, again.already_imported) == (6, 0, 0, 6)
    assert snapshot() == before


def test_a_line_in_another_statement_is_already_imported(accountant):
    invoice = invoice_of(b2c_customer(), "20.00")
    entry = Entry(Decimal("20.00"), invoice.number, "A", iban(1), ref="SAME-REF")
    bank.bank_statement_import(content=camt053([entry], statement_id="S1"), user=accountant)
    result = bank.bank_statement_import(content=camt053([entry], statement_id="S2"), user=accountant)
    assert (result.created, result.lines, result.already_imported, result.matched) == (True, 1, 1, 0)
    assert Payment.objects.count() == 1


def test_a_line_dated_in_locked_books_waits_unmatched(accountant):
    invoice = invoice_of(b2c_customer(), "20.00")
    old = timezone.localdate() - timedelta(days=10)
    ledger_lock_set(lock_date=old, user=accountant)
    entry = Entry(Decimal("20.00"), invoice.number, "A", iban(1), booked=old)
    result = bank.bank_statement_import(content=camt053([entry]), user=accountant)
    assert (result.matched, result.unmatched) == (0, 1)
    row = BankStatementLine.objects.get()
    assert row.status == LineStatus.UNMATCHED and "locked" in row.note
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "content,code",
    [
        (b"", "empty_file"),
        (b"hello, world", "unknown_format"),
        (b"<Document><broken", "invalid_file"),
        (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>', "invalid_file"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>', "unknown_format"),
        (b":20:X\r\n:25:NL91ABNA0417164300\r\n:28C:1\r\n:60F:C261201EUR0,00\r\n:61:zzz\r\n", "invalid_file"),
        (b"<" + b" " * (5 * 1024 * 1024), "file_too_large"),
    ],
)
def test_a_broken_file_is_refused_and_stores_nothing(content, code, accountant):
    with pytest.raises(ValidationFailed) as refused:
        bank.bank_statement_import(content=content, user=accountant)
    assert (refused.value.code, refused.value.field) == (code, "file")
    assert not BankStatement.objects.exists()


def test_a_camt_file_broken_halfway_stores_nothing(accountant):
    good = camt053([Entry(Decimal("5.00"), "a", "A", iban(1)), Entry(Decimal("6.00"), "b", "B", iban(2))])
    broken = good.replace(b'<Amt Ccy="EUR">6.00</Amt>', b'<Amt Ccy="EUR">6.001</Amt>')
    with pytest.raises(ValidationFailed):
        bank.bank_statement_import(content=broken, user=accountant)
    assert not BankStatement.objects.exists() and not BankStatementLine.objects.exists()


def test_suggestions_rank_named_invoice_then_iban_then_amount_then_name(accountant):
    # given: a line naming one invoice, from the IBAN of another customer, for the amount of a third
    named, by_iban = invoice_of(b2c_customer(), "70.00"), invoice_of(b2c_customer(), "10.00")
    by_amount, by_name = invoice_of(b2c_customer(), "33.00"), invoice_of(b2c_customer(name="Joost Zwagerman"), "1.00")
    customer_iban_add(customer=by_iban.customer, iban=iban(1))
    entry = Entry(Decimal("33.00"), f"zie {named.number}", "Iemand", iban(9))
    entry2 = Entry(Decimal("33.00"), "zonder nummer", "J. Zwagerman", iban(1), ref="second")
    bank.bank_statement_import(content=camt053([entry, entry2]), user=accountant)
    # the first line was matched (it names an open invoice: paid in part); the second waits
    waiting = BankStatementLine.objects.get(status=LineStatus.UNMATCHED)
    waiting.remittance = f"zie {named.number}"  # as if it named the invoice too

    # when
    ranked = bank_matching.suggestions(waiting)

    # then
    assert [s.invoice for s in ranked] == [named, by_iban, by_amount, by_name]
    assert [s.reasons for s in ranked] == [
        ["named in the description"],
        ["customer's IBAN"],
        ["open amount equal"],
        ["payer's name"],
    ]
    assert bank_matching.invoice_numbers_in("fact 2026 000123, 2026000124 en 2026-000125 x12026-0001266") == {
        "2026-000123",
        "2026-000124",
        "2026-000125",
    }
    assert bank_matching.order_numbers_in("order SO-000123 / so000124") == {"SO-000123", "SO-000124"}


def test_invariants_see_a_bank_line_that_disagrees_with_its_payment(accountant):
    invoice = invoice_of(b2c_customer(), "20.00")
    bank.bank_statement_import(
        content=camt053([Entry(Decimal("20.00"), invoice.number, "A", iban(1))]), user=accountant
    )
    assert violations() == {}
    BankStatementLine.objects.update(amount=Decimal("20.01"))
    assert set(violations()) == {"billing: bank statement lines match their payment or entry"}


def test_an_mt940_file_of_several_days_is_one_import(accountant):
    day1 = mt940([Entry(Decimal("1.00"), "a", "A", iban(1), ref="D1")], number="00001")
    day2 = mt940([Entry(Decimal("2.00"), "b", "B", iban(2), ref="D2")], number="00002")
    result = bank.bank_statement_import(content=day1 + day2, user=accountant)
    assert (result.lines, result.unmatched) == (2, 2)
    statement = BankStatement.objects.get()
    assert statement.identifier.count("+") == 1 and statement.line_count == 2
    # the second day exported again on its own: its line is known
    again = bank.bank_statement_import(content=day2, user=accountant)
    assert (again.created, again.already_imported) == (True, 1)
