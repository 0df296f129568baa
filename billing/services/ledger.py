"""Posting to the general ledger: balanced entries in, reversing entries for corrections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing.models import Account, JournalEntry, JournalLine, LedgerLock
from oms.errors import Conflict, ValidationFailed
from oms.money import ZERO, quantize, to_decimal
from oms.reference_cache import ReferenceCache

REFERENCE_CONSTRAINT = "journal_reference_once"
# The chart and the lock date are read by every posting and change a few times a year: each
# process keeps them, judged by the tables' stamps (oms.reference_cache; a use case that posts
# several entries reads the stamps once with ``stamps_read_once``).
LEDGER_TABLES = ReferenceCache(Account, LedgerLock)


@LEDGER_TABLES.memoize
def _chart() -> Mapping[str, Account]:
    return MappingProxyType({account.code: account for account in Account.objects.all()})


@LEDGER_TABLES.memoize
def _lock_date() -> date | None:
    return LedgerLock.objects.filter(pk=1).values_list("lock_date", flat=True).first()


def journal_post(
    *,
    date: date,
    description: str,
    lines: Iterable[Mapping[str, Any]],
    reference: str = "",
    user=None,
    reversal_of: JournalEntry | None = None,
) -> JournalEntry:
    """Post one balanced journal entry.

    Each line is a mapping with ``account`` (a code such as ``"1300"`` or an ``Account``), one of
    ``debit``/``credit`` (a positive amount), and ``customer`` (required on subledger accounts
    such as receivables) and ``memo`` optionally. ``reference`` is the business key of what is
    posted ("invoice 2026-000001"); a second posting with the same reference is refused.
    Locks nothing. Publishes no event. The database checks again at COMMIT that the entry
    balances. Raises ``ValidationFailed`` (``unbalanced``, ``unknown_account``,
    ``customer_required``, ``invalid_amount``, ``period_locked``) and ``Conflict``
    ``duplicate_reference``.

    This is the one place where the lock date is checked: every posting (invoices, payments,
    refunds, credit, reversals) comes through here.
    """
    _check_not_locked(date)
    rows = _clean_lines(lines)
    total = sum((row["debit"] for row in rows), ZERO)
    if total != sum((row["credit"] for row in rows), ZERO):
        raise ValidationFailed("Debits and credits must be equal.", code="unbalanced", field="lines")
    description = (description or "").strip()[:200]
    if not description:
        raise ValidationFailed("A journal entry needs a description.", code="required", field="description")
    try:
        # A savepoint only where a duplicate reference can be refused and turned into a Conflict
        # the caller may handle; an entry without a reference has no such failure.
        with transaction.atomic(savepoint=bool(reference)):
            entry = JournalEntry(
                date=date,
                description=description,
                reference=reference,
                total_amount=total,
                posted_by=user if getattr(user, "pk", None) else None,
                reversal_of=reversal_of,
            )
            _insert(entry, rows)
    except IntegrityError as exc:
        if REFERENCE_CONSTRAINT in str(exc):
            raise Conflict(f"'{reference}' is already posted.", code="duplicate_reference") from exc
        raise
    return entry


def _insert(entry: JournalEntry, rows: list[dict]) -> None:
    """Write the entry and its lines in one statement (the lines' insert takes the entry's id
    from the entry's); the database checks the balance at COMMIT as for any other insert."""
    fields = [f for f in JournalEntry._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(entry, True), connection) for f in fields]
    sql = f"""
        WITH entry AS (
            INSERT INTO {JournalEntry._meta.db_table} ({columns}) VALUES ({", ".join(["%s"] * len(fields))})
            RETURNING id
        )
        INSERT INTO {JournalLine._meta.db_table} (entry_id, account_id, debit, credit, customer_id, memo)
        SELECT entry.id, line.account_id, line.debit, line.credit, line.customer_id, line.memo
          FROM entry, unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::bigint[], %s::text[])
               WITH ORDINALITY AS line(account_id, debit, credit, customer_id, memo, position)
         ORDER BY line.position
        RETURNING entry_id"""
    columns_of_lines = (
        [row["account"].pk for row in rows],
        [row["debit"] for row in rows],
        [row["credit"] for row in rows],
        [row["customer_id"] for row in rows],
        [row["memo"] for row in rows],
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *columns_of_lines])
        entry.pk = cursor.fetchone()[0]
    entry._state.adding, entry._state.db = False, connection.alias


def ledger_lock_date():
    """The lock date, or None when no period is locked."""
    return _lock_date()


def _check_not_locked(day: date) -> None:
    lock_date = ledger_lock_date()
    if lock_date is not None and day <= lock_date:
        raise ValidationFailed(
            f"The books are locked through {lock_date:%Y-%m-%d}: nothing can be posted on {day:%Y-%m-%d}.",
            code="period_locked",
            field="date",
        )


def ledger_lock_set(*, lock_date: date | None, user) -> LedgerLock:
    """Set (or clear, with None) the lock date. Postings dated on or before it are refused from
    then on; a posting already in flight in another transaction may still commit (it checked
    before). Locks the single lock row. Publishes no event. Raises ``ValidationFailed``
    ``in_the_future`` (the lock date is before today: today's sales must still post)."""
    if lock_date is not None and lock_date >= timezone.localdate():
        raise ValidationFailed("The lock date must be before today.", code="in_the_future", field="lock_date")
    with transaction.atomic():
        lock, _ = LedgerLock.objects.select_for_update().get_or_create(pk=1)
        lock.lock_date = lock_date
        lock.updated_at = timezone.now()
        lock.updated_by = user if getattr(user, "pk", None) else None
        lock.save(update_fields=["lock_date", "updated_at", "updated_by"])
    return lock


def _clean_lines(lines: Iterable[Mapping[str, Any]]) -> list[dict]:
    rows = [dict(line) for line in lines]
    if len(rows) < 2:
        raise ValidationFailed("A journal entry needs at least two lines.", code="too_few_lines", field="lines")
    accounts = _chart()
    cleaned = []
    for index, row in enumerate(rows):
        account = accounts.get(_code(row["account"]))
        if account is None or not account.active:
            raise ValidationFailed(
                f"No active account {_code(row['account'])}.", code="unknown_account", field=f"lines.{index}.account"
            )
        debit, credit = _amount(row, "debit", index), _amount(row, "credit", index)
        if (debit > 0) == (credit > 0):
            raise ValidationFailed(
                "A line has either a debit or a credit amount.", code="invalid_amount", field=f"lines.{index}"
            )
        customer = row.get("customer")
        if account.subledger and customer is None:
            raise ValidationFailed(
                f"Account {account.code} needs the customer on each line.",
                code="customer_required",
                field=f"lines.{index}.customer",
            )
        cleaned.append(
            {
                "account": account,
                "debit": debit,
                "credit": credit,
                "customer_id": getattr(customer, "pk", customer),
                "memo": (row.get("memo") or "")[:200],
            }
        )
    return cleaned


def _code(account) -> str:
    return account.code if isinstance(account, Account) else str(account)


def _amount(row: Mapping, side: str, index: int) -> Decimal:
    value = row.get(side) or ZERO
    try:
        amount = quantize(to_decimal(value))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Not an amount.", code="invalid_amount", field=f"lines.{index}.{side}") from exc
    if amount < 0:
        raise ValidationFailed("Amounts are positive.", code="invalid_amount", field=f"lines.{index}.{side}")
    return amount


def journal_reverse(*, entry: JournalEntry, date: date, user=None, description: str = "") -> JournalEntry:
    """Post the reversal of ``entry``: the same lines with debit and credit swapped, dated
    ``date`` (the day of the correction, never back-dated into the original's period).

    Locks the original entry's row (``SELECT ... FOR UPDATE``, which the immutability trigger
    allows) so that two reversals cannot race; the unique ``reversal_of`` is the backstop.
    Publishes no event. Raises ``Conflict`` ``already_reversed`` / ``is_reversal`` and
    ``ValidationFailed`` ``date_before_entry``.
    """
    with transaction.atomic():
        original = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        if original.reversal_of_id is not None:
            raise Conflict("A reversing entry is not reversed again; post a new entry.", code="is_reversal")
        if JournalEntry.objects.filter(reversal_of=original).exists():
            raise Conflict(f"Entry #{original.pk} is already reversed.", code="already_reversed")
        if date < original.date:
            raise ValidationFailed(
                "A reversal is dated on or after the entry it reverses.", code="date_before_entry", field="date"
            )
        lines = [
            {
                "account": line.account,
                "debit": line.credit,
                "credit": line.debit,
                "customer": line.customer_id,
                "memo": line.memo,
            }
            for line in original.lines.select_related("account").order_by("id")
        ]
        return journal_post(
            date=date,
            description=(description or f"Reversal of #{original.pk}: {original.description}")[:200],
            lines=lines,
            user=user,
            reversal_of=original,
        )
