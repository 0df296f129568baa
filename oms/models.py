"""Layer-0 tables: the outbox, handler bookkeeping, worker heartbeat, dated VAT rates,
idempotency records for the API, and the stamps of cached reference tables."""

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oms import audit, reference_cache


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
            # The exception inbox's dead-event rule (a handful at most, however long the outbox).
            models.Index(fields=["id"], name="outbox_dead_idx", condition=Q(status="dead")),
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

    # No index of its own: the unique (user, key) index serves lookups by user too, and every
    # keyed API write inserts a record (one index fewer to maintain).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The answer's JSON as it was sent, not jsonb: a replay then has the keys in the first
    # answer's order, and the server does not parse and rebuild the answer on every keyed write.
    body = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class TableStamp(models.Model):
    """The last change to a reference table that processes cache (``oms.reference_cache``): a
    number from ``oms_tablestamp_version_seq``, set by the table's trigger in the changing
    transaction. No row yet means no change since the table got its trigger."""

    name = models.CharField(max_length=63, primary_key=True)  # the table's name
    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.version}"


class CloseReason(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    CLEARED = "cleared", "Cleared by itself"
    RETRIED = "retried", "Retried"


class ExceptionItem(models.Model):
    """Something that breaks a rule, in the exception inbox (``oms.exceptions``).

    One open item per (rule, subject): a partial unique index, so concurrent refreshes cannot
    open two. An item closes by itself (``closed_by`` empty, reason ``cleared``) when the rule no
    longer finds its subject, or by a person who resolved or retried it.
    """

    rule = models.CharField(max_length=60)
    subject = models.CharField(max_length=80, help_text='What breaks the rule, e.g. "order:123"')
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    role = models.CharField(max_length=30)
    occurrence = models.CharField(max_length=100, blank=True, help_text="Changes when the cause happens anew")
    detail = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    close_reason = models.CharField(max_length=10, choices=CloseReason.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject"], condition=Q(closed_at__isnull=True), name="exception_one_open_per_subject"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, close_reason="")
                | Q(closed_at__isnull=False, close_reason__in=CloseReason.values),
                name="exception_closed_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["role", "opened_at"], name="exception_open_idx", condition=Q(closed_at__isnull=True)),
            models.Index(fields=["-closed_at"], name="exception_closed_idx", condition=Q(closed_at__isnull=False)),
            models.Index(fields=["rule", "subject", "-closed_at"], name="exception_history_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject} ({'open' if self.closed_at is None else self.close_reason})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Being sent")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Given up")


class Delivery(models.Model):
    """One thing to send once (``oms.deliver_once``): an e-mail, a document, a carrier call.

    At most one per ``(kind, key)``. A worker claims it with a conditional UPDATE (``pending``
    and due, or ``claimed`` with an expired ``claimed_until``), does the work outside any
    transaction, and records ``sent`` or a failure with the next try's due time; after the
    kind's last try it is ``dead`` and shows in the exception inbox.
    """

    kind = models.CharField(max_length=60)
    key = models.CharField(max_length=120, help_text="The subject, e.g. an invoice id")
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="delivery_once_per_key"),
            models.CheckConstraint(condition=Q(state__in=DeliveryState.values), name="delivery_state_valid"),
        ]
        indexes = [
            # The sweep looks at unfinished rows only; the inbox rule at the dead ones.
            models.Index(
                fields=["next_attempt_at"], name="delivery_due_idx", condition=Q(state__in=["pending", "claimed"])
            ),
            models.Index(fields=["kind", "id"], name="delivery_dead_idx", condition=Q(state="dead")),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} ({self.state})"


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent: no e-mail address"


class Notification(models.Model):
    """A message to a customer (``oms.notify``): at most one per ``key`` (kind and event). Its
    claim, tries and back-off are its ``Delivery`` (kind ``oms.notification``, key its id).

    ``order_id`` and ``customer_id`` are plain integers: ``oms`` cannot point a foreign key at
    higher apps. The order's timeline shows these rows.
    """

    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=120, unique=True, help_text="Kind and the event it is about")
    order_id = models.BigIntegerField(null=True, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    to_email = models.EmailField(max_length=254, blank=True)
    language = models.CharField(max_length=5, default="nl")
    subject = models.CharField(max_length=300, blank=True)
    context = models.JSONField(default=dict, blank=True, help_text="Ids the renderer needs")
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    error = models.CharField(max_length=300, blank=True)  # the last failure, for the timeline
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=NotificationStatus.values), name="notification_status_valid"),
        ]
        indexes = [
            models.Index(fields=["order_id", "id"], name="notification_order_idx", condition=Q(order_id__isnull=False)),
            models.Index(
                fields=["created_at"], name="notification_unsent_idx", condition=Q(status__in=["queued", "failed"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


# Every column but the one a use writes (tests/orders/test_known_clients.py holds the lists to the models).
API_CLIENT_STAMPED_COLUMNS = (
    "id",
    "name",
    "channel",
    "scopes",
    "user_id",
    "prefix",
    "token_hash",
    "created_at",
    "created_by_id",
    "revoked_at",
)
USER_STAMPED_COLUMNS = (
    "id",
    "password",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
)


@audit.track(exclude=["last_used_at"], model_name="ApiClientChange")
class ApiClient(models.Model):
    """A webshop, ERP or WMS that calls the API with a token (API.md 1.1 "API clients and
    scopes"). It acts as its own user (``user``: no password, no role; the user is what
    idempotency keys, audit rows and ``Order.entered_by`` point at) and may do what its
    ``scopes`` allow; a ``channel`` binds it to one sales channel and to the orders it placed
    itself. Only a hash of the token is stored; ``prefix`` is its readable start, to tell keys
    apart. Written by ``oms.api_clients`` only; the audit trail records who created and revoked
    it (not each use)."""

    name = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, blank=True, help_text="Empty: not bound to a channel")
    scopes = ArrayField(models.CharField(max_length=30), default=list)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client")
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["", "web", "phone", "store", "b2b"]), name="api_client_channel_valid"
            ),
        ]
        # order placement keeps clients it authenticated per process (oms.api.TokenAuthentication, keep_known);
        # recording a use (last_used_at, once a minute) changes nothing it keeps
        triggers = [reference_cache.stamp_trigger(update_of=API_CLIENT_STAMPED_COLUMNS)]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, *scopes: str) -> bool:
        """Holds one of ``scopes`` (``all`` holds every one)."""
        held = self.scopes
        return "all" in held or any(scope in held for scope in scopes)


class WebhookEndpoint(models.Model):
    """A URL of another system that receives our domain events (``oms.webhooks``; API.md 1.1
    "Webhooks"). ``event_types`` empty means every type. ``secret`` (``whsec_`` and base64)
    signs each delivery; it is stored as given because signing needs it, and shown only at
    creation. ``failing_since`` is the first failed attempt since the last success; when it is
    older than ``OMS_WEBHOOK_DISABLE_AFTER_HOURS`` the endpoint is disabled (``disabled_reason``
    ``failing``) and the exception inbox shows it."""

    url = models.CharField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    secret = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    updated_at = models.DateTimeField(auto_now=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=10, blank=True, help_text='"manual", "failing" or empty')

    class Meta:
        ordering = ["id"]
        indexes = [
            # the worker's fan-out reads the enabled endpoints of every outbox batch
            models.Index(fields=["id"], name="webhook_endpoint_enabled_idx", condition=Q(enabled=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(disabled_reason__in=["", "manual", "failing"]), name="webhook_endpoint_reason_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint: made by the worker's fan-out (at most one per pair, the
    unique constraint), sent until it succeeds or the retry schedule runs out."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Failed attempts since the last (re)start")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once_per_event"),
            models.CheckConstraint(
                condition=Q(status__in=WebhookDeliveryStatus.values), name="webhook_delivery_status_valid"
            ),
        ]
        indexes = [
            # the retry sweep looks only at deliveries still to send
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due_idx", condition=Q(status="pending")),
            models.Index(fields=["endpoint", "status", "-id"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} to endpoint {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One POST of a delivery, as it went: the answer's status (none when there was no
    answer), how long it took, the start of the answer's body and the transport error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    succeeded = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"attempt of delivery {self.delivery_id}: {self.status_code or self.error}"


class StampedUser(User):
    """Django's users, for their table's stamp only (``oms.reference_cache``): a client's user,
    whether it is active, is part of what order placement keeps per process with the client
    (``oms.api.TokenAuthentication(keep_known=True)``). A proxy, because ``auth.User`` is not ours to give a
    ``Meta.triggers``; nothing reads or writes through it."""

    class Meta:
        proxy = True
        # a login (last_login) changes nothing order placement keeps
        triggers = [reference_cache.stamp_trigger(update_of=USER_STAMPED_COLUMNS)]
