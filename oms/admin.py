from django.contrib import admin, messages

from oms import events
from oms.models import (
    ExceptionItem,
    HandlerRun,
    IdempotencyRecord,
    Notification,
    OutboxEvent,
    OutboxStatus,
    VatRate,
    WorkerHeartbeat,
)


class HandlerRunInline(admin.TabularInline):
    model = HandlerRun
    extra = 0
    can_delete = False
    readonly_fields = ["handler", "handled_at"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "status", "attempts", "created_at", "handled_at", "next_attempt_at"]
    list_filter = ["status", "name"]
    search_fields = ["name", "payload"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    inlines = [HandlerRunInline]
    actions = ["retry_events"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry the selected dead events")
    def retry_events(self, request, queryset):
        count = events.retry_dead(list(queryset.filter(status=OutboxStatus.DEAD).values_list("id", flat=True)))
        self.message_user(request, f"{count} event(s) queued again.", messages.SUCCESS)


@admin.register(VatRate)
class VatRateAdmin(admin.ModelAdmin):
    list_display = ["category", "rate", "valid_from"]
    list_filter = ["category"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker", "seen_at"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "method", "path", "status_code", "created_at"]
    search_fields = ["key", "path"]
    readonly_fields = [f.name for f in IdempotencyRecord._meta.fields]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Customer e-mails (read-only; the exception inbox retries the stuck ones)."""

    list_display = ["id", "kind", "to_email", "language", "status", "order_id", "created_at", "sent_at"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["key", "to_email", "subject"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ExceptionItem)
class ExceptionItemAdmin(admin.ModelAdmin):
    list_display = ["id", "rule", "subject", "role", "opened_at", "closed_at", "close_reason", "closed_by"]
    list_filter = ["rule", "role", "close_reason"]
    search_fields = ["subject", "title"]
    readonly_fields = [f.name for f in ExceptionItem._meta.fields]

    def has_add_permission(self, request):
        return False
