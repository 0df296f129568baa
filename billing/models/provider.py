"""What billing asks the payment provider to do and has not heard the end of: payment links
(a Mollie payment the customer pays through its checkout page) and refunds sent back through
the provider. Each row is its own work item: a worker claims it (``started_at``), talks to the
provider outside any transaction, and records the answer; a sweep retries what failed, with
a back-off kept in ``next_try_at`` (never in the broker, ARCHITECTURE "Events and workers")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models.payments import Payment
from oms.money import money_field
from orders.models import Order


class LinkPurpose(models.TextChoices):
    ORDER = "order", _("Order placed")  # goes in the order confirmation
    RENEW = "renew", _("New link")  # customer service or the webshop asked for one
    REMINDER = "reminder", _("Reminder")  # goes in the payment reminder


class LinkStatus(models.TextChoices):
    REQUESTED = "requested", _("Being made")
    OPEN = "open", _("Open")
    FAILED = "failed", _("Refused by the provider")


class PaymentLink(models.Model):
    """A payment made at the provider for an order, and its checkout link. An order may have
    several (a new one after expiry); ``Order.payment_url`` is the newest open one."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+", db_index=False)
    provider = models.CharField(max_length=30)
    purpose = models.CharField(max_length=10, choices=LinkPurpose.choices, default=LinkPurpose.ORDER)
    status = models.CharField(max_length=10, choices=LinkStatus.choices, default=LinkStatus.REQUESTED)
    amount = money_field()
    provider_payment_id = models.CharField(max_length=64, blank=True)
    checkout_url = models.CharField(max_length=500, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=LinkStatus.values), name="payment_link_status_valid"),
            models.CheckConstraint(condition=Q(purpose__in=LinkPurpose.values), name="payment_link_purpose_valid"),
            models.CheckConstraint(
                condition=Q(status="open", provider_payment_id__gt="", checkout_url__gt="") | ~Q(status="open"),
                name="payment_link_open_has_url",
            ),
            # One link being made per order: a double click or a repeated API call makes one.
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="requested"), name="payment_link_one_requested_per_order"
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="payment_link_provider_payment_once",
            ),
        ]
        indexes = [
            models.Index(fields=["order", "-id"], name="payment_link_order_idx"),
            models.Index(fields=["next_try_at"], name="payment_link_due_idx", condition=Q(status="requested")),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.provider} {self.provider_payment_id or self.status}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("To send")
    PENDING = "pending", _("Sent, not yet carried out")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Refused by the provider")


class ProviderRefund(models.Model):
    """A refund record (a negative ``Payment``) of a payment that came in through a provider,
    sent back through that provider's refunds API once (the row's id is the Idempotency-Key)
    and confirmed when the provider reports it ``refunded``."""

    refund = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(max_length=30)
    provider_payment_id = models.CharField(max_length=64)
    amount = money_field()
    status = models.CharField(max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    provider_refund_id = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RefundStatus.values), name="provider_refund_status_valid"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="provider_refund_amount_positive"),
        ]
        indexes = [
            models.Index(
                fields=["next_try_at"], name="provider_refund_due_idx", condition=Q(status__in=["requested", "pending"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} refund of {self.provider_payment_id}: {self.amount} ({self.status})"
