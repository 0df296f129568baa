from django.contrib import admin, messages

from oms import events
from oms.models import HandlerRun, IdempotencyRecord, OutboxEvent, OutboxStatus, VatRate, WorkerHeartbeat


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
