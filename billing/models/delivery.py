"""Batches of invoice e-mails ("send all unsent invoices") and their progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.models.invoices import Invoice


class SendOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Already sent")
    FAILED = "failed", _("Failed")


class SendBatch(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"send batch #{self.pk}"


class SendBatchItem(models.Model):
    batch = models.ForeignKey(SendBatch, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=SendOutcome.choices, default=SendOutcome.PENDING)
    error = models.CharField(max_length=300, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "invoice"], name="send_item_once_per_batch"),
            models.CheckConstraint(condition=Q(outcome__in=SendOutcome.values), name="send_item_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.outcome}"
