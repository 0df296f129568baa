"""Gapless invoice numbers: a counter row per series and year, locked by the issuing transaction.

A PostgreSQL sequence would be faster but hands out numbers that a rolled-back transaction
never gives back; the law wants consecutive invoice numbers, so every issuer of a series waits
for the one before it to commit (research/reliability-security.md §3.1, Odoo's ``no_gap``).
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from billing.models import InvoiceCounter
from billing.models.invoices import format_invoice_number
from oms.errors import ValidationFailed


def invoice_number_draw(*, kind: str, issue_date: date) -> tuple[int, int, str]:
    """Take the next number of ``kind``'s series for the year of ``issue_date``.

    Must run inside the issuing transaction: it locks the counter row (``SELECT ... FOR
    UPDATE``) until that transaction ends, so a rollback returns the number. Take this lock
    last (after any order, stock or invoice rows) so that lock order stays global. Returns
    ``(year, sequence, number)``. Raises ``ValidationFailed`` ``issue_date_before_last`` when
    an invoice of the series was already issued on a later date (numbers follow dates).
    """
    assert connection.in_atomic_block, "invoice numbers are drawn inside the issuing transaction"
    year = issue_date.year
    counter = InvoiceCounter.objects.select_for_update().filter(series=kind, year=year).first()
    if counter is None:
        # The first invoice of the year: create the row (a concurrent first one may win the
        # insert; ours then does nothing) and lock it like any other.
        InvoiceCounter.objects.bulk_create([InvoiceCounter(series=kind, year=year)], ignore_conflicts=True)
        counter = InvoiceCounter.objects.select_for_update().get(series=kind, year=year)
    if counter.last_issue_date and issue_date < counter.last_issue_date:
        raise ValidationFailed(
            f"The last {kind.replace('_', ' ')} of {year} is dated {counter.last_issue_date}; a later number "
            "cannot carry an earlier date.",
            code="issue_date_before_last",
            field="issue_date",
        )
    sequence = counter.next_number
    InvoiceCounter.objects.filter(pk=counter.pk).update(next_number=sequence + 1, last_issue_date=issue_date)
    return year, sequence, format_invoice_number(kind, year, sequence)
