"""Provider settlements: one payout of a payment provider (Mollie, Klarna, Riverty, a card
acquirer) for many payments less its fees.

A settlement is known by its provider and the provider's settlement id (``settlement_once``):
importing it again stores nothing. Each ``SettlementLine`` names one payment (or refund) it
contains, and a payment is settled once (``payment`` is unique). The amounts add up by a CHECK:

    amount (the payout) = payments_amount (its lines) - fees_amount - fees_vat

The settlement is booked when it is stored (``journal_entry``): the payments leave the provider
receivable accounts (1310-1340), the fees are an expense, the payout waits on the payouts-in-transit
account (1190) until its bank statement line lands against it (``BankStatementLine.settlement``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from billing.models.ledger import JournalEntry
from billing.models.payments import Payment
from oms.money import ZERO, money_field


class SettlementSource(models.TextChoices):
    API = "api", "The provider's settlements API"
    CSV = "csv", "CSV upload"


class ProviderSettlement(models.Model):
    provider = models.CharField(max_length=30)
    identifier = models.CharField(max_length=100)  # the provider's settlement id (Mollie: stl_...)
    # What the provider writes in the payout's bank transfer (Mollie: 1234567.2611.01).
    bank_reference = models.CharField(max_length=100, blank=True)
    settled_on = models.DateField()
    amount = money_field()  # the payout, signed (negative: the provider collects from us)
    payments_amount = money_field()  # its lines: payments less refunds
    fees_amount = money_field(default=ZERO)  # fees excluding VAT
    fees_vat = money_field(default=ZERO)  # VAT charged on fees (payment services are exempt: 0)
    source = models.CharField(max_length=10, choices=SettlementSource.choices)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="settlement")
    # The entry that moved the payout from 1190 to the bank, once its bank line landed against it.
    bank_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="settlement_payout"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-settled_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "identifier"], name="settlement_once"),
            models.CheckConstraint(condition=~Q(identifier=""), name="settlement_identifier_required"),
            models.CheckConstraint(
                condition=Q(amount=F("payments_amount") - F("fees_amount") - F("fees_vat")),
                name="settlement_adds_up",
            ),
            models.CheckConstraint(condition=Q(fees_vat__gte=0), name="settlement_fees_vat_not_negative"),
        ]
        indexes = [models.Index(fields=["amount"], name="settlement_amount_idx", condition=Q(bank_entry=None))]

    def __str__(self) -> str:
        return f"{self.provider} {self.identifier} {self.amount}"


class SettlementLine(models.Model):
    settlement = models.ForeignKey(ProviderSettlement, on_delete=models.PROTECT, related_name="lines")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="settlement_line")
    amount = money_field()  # the payment's amount (a refund: negative), checked on import

    class Meta:
        ordering = ["settlement_id", "id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="settlement_line_not_zero")]

    def __str__(self) -> str:
        return f"{self.settlement_id}: {self.payment_id} {self.amount}"
