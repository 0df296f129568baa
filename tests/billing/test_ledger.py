"""Journal entries: balanced, immutable once posted, corrected by reversing entries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from billing import accounts
from billing.models import JournalEntry, JournalLine
from billing.services import journal_post, journal_reverse
from oms.errors import Conflict, ValidationFailed
from oms.invariants import violations
from tests.factories.customers import CustomerFactory

TODAY = date(2026, 3, 2)
BALANCED = "billing: every journal entry balances"


def _sale(customer, amount="121.00", reference=""):
    return journal_post(
        date=TODAY,
        description="Sale",
        reference=reference,
        lines=[
            {"account": accounts.RECEIVABLES, "debit": Decimal(amount), "customer": customer},
            {"account": accounts.REVENUE_HIGH, "credit": Decimal("100.00")},
            {"account": accounts.VAT_PAYABLE_HIGH, "credit": Decimal(amount) - Decimal("100.00")},
        ],
        user=None,
    )


@pytest.mark.django_db
def test_journal_post_writes_a_balanced_entry():
    customer = CustomerFactory()
    entry = _sale(customer, reference="sale 1")
    lines = list(entry.lines.order_by("id").values_list("account__code", "debit", "credit", "customer_id"))
    assert lines == [
        ("1300", Decimal("121.00"), Decimal("0.00"), customer.pk),
        ("8000", Decimal("0.00"), Decimal("100.00"), None),
        ("1500", Decimal("0.00"), Decimal("21.00"), None),
    ]
    assert entry.total_amount == Decimal("121.00") and entry.posted_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lines, code",
    [
        ([{"account": "1000", "debit": "10.00"}, {"account": "8000", "credit": "9.99"}], "unbalanced"),
        ([{"account": "1000", "debit": "10.00"}], "too_few_lines"),
        ([{"account": "1300", "debit": "10.00"}, {"account": "8000", "credit": "10.00"}], "customer_required"),
        ([{"account": "9999", "debit": "10.00"}, {"account": "8000", "credit": "10.00"}], "unknown_account"),
        (
            [{"account": "1000", "debit": "10.00", "credit": "1.00"}, {"account": "8000", "credit": "9.00"}],
            "invalid_amount",
        ),
        ([{"account": "1000", "debit": "-10.00"}, {"account": "8000", "debit": "10.00"}], "invalid_amount"),
        ([{"account": "1000", "debit": "ten"}, {"account": "8000", "credit": "10.00"}], "invalid_amount"),
    ],
)
def test_journal_post_refuses_bad_lines(lines, code):
    with pytest.raises(ValidationFailed) as exc:
        journal_post(date=TODAY, description="x", lines=lines, user=None)
    assert exc.value.code == code
    assert not JournalEntry.objects.exists()


@pytest.mark.django_db
def test_journal_post_refuses_a_reference_posted_before():
    customer = CustomerFactory()
    _sale(customer, reference="invoice 2026-000001")
    with pytest.raises(Conflict) as exc:
        _sale(customer, reference="invoice 2026-000001")
    assert exc.value.code == "duplicate_reference"
    assert JournalEntry.objects.count() == 1


@pytest.mark.django_db
def test_journal_reverse_swaps_sides_on_the_correction_date():
    customer = CustomerFactory()
    entry = _sale(customer)
    later = TODAY + timedelta(days=40)
    reversal = journal_reverse(entry=entry, date=later, user=None)
    assert reversal.date == later and reversal.reversal_of == entry
    original = {(line.account_id, line.customer_id): (line.debit, line.credit) for line in entry.lines.all()}
    swapped = {(line.account_id, line.customer_id): (line.credit, line.debit) for line in reversal.lines.all()}
    assert original == swapped
    # the original is untouched and the two together net to zero per account
    assert JournalEntry.objects.get(pk=entry.pk).date == TODAY


@pytest.mark.django_db
def test_journal_reverse_happens_once_and_never_backdated():
    entry = _sale(CustomerFactory())
    with pytest.raises(ValidationFailed) as exc:
        journal_reverse(entry=entry, date=TODAY - timedelta(days=1), user=None)
    assert exc.value.code == "date_before_entry"
    reversal = journal_reverse(entry=entry, date=TODAY, user=None)
    with pytest.raises(Conflict) as exc:
        journal_reverse(entry=entry, date=TODAY, user=None)
    assert exc.value.code == "already_reversed"
    with pytest.raises(Conflict) as exc:
        journal_reverse(entry=reversal, date=TODAY, user=None)
    assert exc.value.code == "is_reversal"


@pytest.mark.django_db
def test_posted_entry_cannot_be_changed_by_orm_update_or_delete():
    entry = _sale(CustomerFactory())
    line = entry.lines.first()
    entry.description = "rewritten"
    attempts = [
        lambda: entry.save(update_fields=["description"]),
        lambda: JournalEntry.objects.filter(pk=entry.pk).update(date=TODAY + timedelta(days=1)),
        lambda: JournalLine.objects.filter(pk=line.pk).update(debit=Decimal("1.00")),
        lambda: JournalLine.objects.filter(pk=line.pk).delete(),
        lambda: JournalEntry.objects.filter(pk=entry.pk).delete(),
    ]
    for attempt in attempts:
        # (deleting the entry is refused by Django's PROTECT before the database trigger)
        with pytest.raises(IntegrityError, match="immutable|protected foreign keys"), transaction.atomic():
            attempt()
    assert JournalEntry.objects.get(pk=entry.pk).description == "Sale"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_journalline SET credit = credit + 1 WHERE entry_id = %s",
        "DELETE FROM billing_journalline WHERE entry_id = %s",
        "UPDATE billing_journalentry SET total_amount = 1 WHERE id = %s",
        "DELETE FROM billing_journalentry WHERE id = %s",
    ],
)
def test_posted_entry_cannot_be_changed_by_raw_sql(sql):
    entry = _sale(CustomerFactory())
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [entry.pk])


def _raw_entry(cursor, total, lines):
    cursor.execute(
        "INSERT INTO billing_journalentry (date, description, reference, total_amount, posted_at)"
        " VALUES ('2026-03-02', 'raw', '', %s, now()) RETURNING id",
        [total],
    )
    entry_id = cursor.fetchone()[0]
    account = {code: pk for pk, code in _accounts(cursor)}
    for code, debit, credit in lines:
        cursor.execute(
            "INSERT INTO billing_journalline (entry_id, account_id, debit, credit, memo) VALUES (%s, %s, %s, %s, '')",
            [entry_id, account[code], debit, credit],
        )
    return entry_id


def _accounts(cursor):
    cursor.execute("SELECT id, code FROM billing_account")
    return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_unbalanced_raw_insert_fails_at_commit_not_before():
    # given an entry whose lines do not balance, inserted with raw SQL
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            _raw_entry(cursor, "10.00", [("1000", "10.00", "0"), ("8000", "0", "9.99")])
            # then each statement succeeded: the check is deferred to COMMIT
            cursor.execute("SELECT count(*) FROM billing_journalline")
            assert cursor.fetchone()[0] == 2
    # and the commit failed, so nothing was kept
    assert not JournalEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_balanced_raw_insert_commits_and_a_later_extra_line_fails():
    with transaction.atomic(), connection.cursor() as cursor:
        entry_id = _raw_entry(cursor, "10.00", [("1000", "10.00", "0"), ("8000", "0", "10.00")])
    assert JournalEntry.objects.filter(pk=entry_id).exists()
    # a balanced pair of lines slipped into the posted entry later still breaks its total
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            account = {code: pk for pk, code in _accounts(cursor)}
            for code, debit, credit in [("1000", "5.00", "0"), ("8000", "0", "5.00")]:
                cursor.execute(
                    "INSERT INTO billing_journalline (entry_id, account_id, debit, credit, memo)"
                    " VALUES (%s, %s, %s, %s, '')",
                    [entry_id, account[code], debit, credit],
                )
    assert JournalLine.objects.filter(entry_id=entry_id).count() == 2
    assert not violations(only=[BALANCED])


@pytest.mark.django_db(transaction=True)
def test_journal_post_commits_entries_the_database_accepts():
    customer = CustomerFactory()
    with transaction.atomic():
        entry = _sale(customer)
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    assert not violations(only=[BALANCED])
