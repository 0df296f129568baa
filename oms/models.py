"""Layer-0 tables: the outbox, handler bookkeeping, worker heartbeat, dated VAT rates and
idempotency records for the API."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    DEAD = "dead", _("Dead")


class OutboxEvent(models.Model):
    """A domain event, written in the publishing transaction (the transactional outbox)."""

    name = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sweep and the health lag query only look at unhandled events.
            models.Index(fields=["next_attempt_at", "id"], name="outbox_pending_idx", condition=Q(status="pending")),
            models.Index(fields=["name", "-id"], name="outbox_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OutboxStatus.values), name="outbox_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name}#{self.pk} ({self.status})"


class HandlerRun(models.Model):
    """One row per (event, handler) that has run to completion.

    It is inserted in the same transaction as the handler's effect, so the unique constraint
    makes each handler take effect at most once per event, however often it is delivered.
    """

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="handler_runs")
    handler = models.CharField(max_length=200)
    handled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="handler_once_per_event")]

    def __str__(self) -> str:
        return f"{self.handler} for event {self.event_id}"


class WorkerHeartbeat(models.Model):
    """Last time a Celery worker ran the beat-scheduled heartbeat task (one row per worker name)."""

    worker = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class VatCategory(models.TextChoices):
    HIGH = "high", _("High (21%)")
    LOW = "low", _("Low (9%)")
    ZERO = "zero", _("Zero (0%)")


class VatRate(models.Model):
    """A VAT rate per category from a date on: rates change by law, so they are data."""

    category = models.CharField(max_length=10, choices=VatCategory.choices)
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    valid_from = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "valid_from"], name="vat_rate_once_per_date"),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lt=100), name="vat_rate_range"),
        ]
        ordering = ["category", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.category} {self.rate}% from {self.valid_from}"


class IdempotencyRecord(models.Model):
    """The stored answer to an API write sent with an ``Idempotency-Key`` (per token user)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
