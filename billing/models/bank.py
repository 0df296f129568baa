"""Bank statements (CAMT.053 or MT940) and their lines, matched to invoices.

A statement is known by its account and the bank's statement identifier, a line by its account
and the bank's reference of the entry (unique keys in the database): importing a statement
twice, or two imports of it at once, stores it once. A credit line ends ``matched`` (it became a
``bank_transfer`` payment, ``payment``), ``booked`` (posted to another ledger account,
``journal_entry``), ``settled`` (the payout of a provider settlement, ``settlement``) or waits
``unmatched`` on the matching screen; a debit line is stored as ``debit`` unless it is a
(negative) provider settlement.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from billing.models.ledger import JournalEntry
from billing.models.payments import Payment
from billing.models.settlements import ProviderSettlement
from customers.models import Customer
from oms.money import money_field


class StatementFormat(models.TextChoices):
    CAMT053 = "camt053", "CAMT.053"
    MT940 = "mt940", "MT940"


class LineStatus(models.TextChoices):
    UNMATCHED = "unmatched", "Unmatched"
    MATCHED = "matched", "Matched"
    BOOKED = "booked", "Booked to an account"
    DEBIT = "debit", "Debit (money out)"
    SETTLED = "settled", "A provider's payout"


class MatchRule(models.TextChoices):
    REFERENCE = "reference", "Invoice or order number in the description"
    AMOUNT_IBAN = "amount_iban", "Amount and the customer's IBAN"
    PAYOUT_AMOUNT = "amount", "Amount and the provider's name (a payout)"
    MANUAL = "manual", "By hand"


class BankStatement(models.Model):
    format = models.CharField(max_length=10, choices=StatementFormat.choices)
    account = models.CharField(max_length=70)  # the IBAN of our account (MT940: as the bank writes it)
    identifier = models.CharField(max_length=200)
    statement_date = models.DateField(null=True, blank=True)
    opening_balance = money_field(null=True, blank=True)
    closing_balance = money_field(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_sha256 = models.CharField(max_length=64)
    line_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "identifier"], name="bank_statement_once"),
            models.CheckConstraint(condition=Q(format__in=StatementFormat.values), name="bank_statement_format_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.identifier}"


class BankStatementLine(models.Model):
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=70)  # the statement's, so a line is unique across statements
    key = models.CharField(max_length=200)  # the bank's reference of the entry
    position = models.PositiveIntegerField()
    booking_date = models.DateField()
    value_date = models.DateField(null=True, blank=True)
    amount = money_field()  # signed: > 0 money in, < 0 money out
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_iban = models.CharField(max_length=34, blank=True)
    remittance = models.TextField(blank=True)
    end_to_end_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=12, choices=LineStatus.choices, default=LineStatus.UNMATCHED)
    rule = models.CharField(max_length=12, choices=MatchRule.choices, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_line")
    journal_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_line"
    )
    settlement = models.OneToOneField(
        ProviderSettlement, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_line"
    )
    note = models.CharField(max_length=300, blank=True)  # why an automatic match was not made
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["statement_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="bank_line_once"),
            models.CheckConstraint(condition=Q(status__in=LineStatus.values), name="bank_line_status_valid"),
            models.CheckConstraint(condition=~Q(amount=0), name="bank_line_amount_not_zero"),
            models.CheckConstraint(
                condition=(Q(status=LineStatus.DEBIT) & Q(amount__lt=0))
                | Q(status=LineStatus.SETTLED)
                | (~Q(status__in=[LineStatus.DEBIT, LineStatus.SETTLED]) & Q(amount__gt=0)),
                name="bank_line_debit_is_negative",
            ),
            models.CheckConstraint(
                condition=(Q(status=LineStatus.SETTLED) & Q(settlement__isnull=False))
                | (~Q(status=LineStatus.SETTLED) & Q(settlement__isnull=True)),
                name="bank_line_settled_has_settlement",
            ),
            models.CheckConstraint(
                condition=(Q(status=LineStatus.MATCHED) & Q(payment__isnull=False))
                | (~Q(status=LineStatus.MATCHED) & Q(payment__isnull=True)),
                name="bank_line_matched_has_payment",
            ),
            models.CheckConstraint(
                condition=(Q(status=LineStatus.BOOKED) & Q(journal_entry__isnull=False))
                | (~Q(status=LineStatus.BOOKED) & Q(journal_entry__isnull=True)),
                name="bank_line_booked_has_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "booking_date"], name="bank_line_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.counterparty_name}"

    @property
    def is_credit(self) -> bool:
        return self.amount > 0
