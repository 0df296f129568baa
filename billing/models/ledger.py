"""The general ledger: accounts, journal entries and their lines (double entry)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from oms import reference_cache
from oms.money import money_field


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    EQUITY = "equity", _("Equity")
    REVENUE = "revenue", _("Revenue")
    EXPENSE = "expense", _("Expense")


DEBIT_NORMAL = frozenset({AccountKind.ASSET, AccountKind.EXPENSE})


class Account(models.Model):
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    # Receivables and customer credit are kept per customer: every line on them names one.
    subledger = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=AccountKind.values), name="account_kind_valid")]
        triggers = [reference_cache.stamp_trigger()]  # every posting reads the chart from a per-process cache

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self) -> bool:
        return self.kind in DEBIT_NORMAL


class JournalEntry(models.Model):
    """A posted journal entry. Never edited: a correction is a reversing entry (``reversal_of``)
    dated on the day of the correction, so closed periods are never rewritten."""

    date = models.DateField()
    description = models.CharField(max_length=200)
    # The business key of what was posted ("invoice 2026-000001"): one posting per key.
    reference = models.CharField(max_length=100, blank=True)
    total_amount = money_field()
    posted_at = models.DateTimeField(default=timezone.now)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversal_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "journal entries"
        constraints = [
            models.UniqueConstraint(fields=["reference"], condition=~Q(reference=""), name="journal_reference_once"),
            models.CheckConstraint(condition=Q(total_amount__gt=0), name="journal_total_positive"),
        ]
        indexes = [models.Index(fields=["date", "id"], name="journal_date_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.date} {self.description}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    debit = money_field(default=Decimal("0.00"))
    credit = money_field(default=Decimal("0.00"))
    # The receivables subledger: which customer owes (or is owed) this amount.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    memo = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["entry_id", "id"]
        constraints = [
            # One side per line, never both, never zero.
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="journal_line_one_side",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "entry"], name="journal_line_account_idx"),
            models.Index(
                fields=["customer", "account"], name="journal_line_customer_idx", condition=Q(customer__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.account_id} {side}"

    @property
    def amount(self) -> Decimal:
        """Signed: debit positive, credit negative."""
        return self.debit - self.credit


class LedgerLock(models.Model):
    """The lock date (Odoo's fiscal lock date): nothing is posted dated on or before it. One row
    (``id`` 1), set by accounting on the lock-date screen (``billing.services.ledger_lock_set``)."""

    lock_date = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="ledger_lock_single_row")]
        triggers = [reference_cache.stamp_trigger()]  # every posting checks the lock date from a per-process cache

    def __str__(self) -> str:
        return f"locked through {self.lock_date}" if self.lock_date else "not locked"
