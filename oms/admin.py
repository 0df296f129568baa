from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from oms import events
from oms.api_clients import CHANNELS, Scope, api_client_create, api_client_list, api_client_revoke
from oms.models import (
    ApiClient,
    Delivery,
    ExceptionItem,
    HandlerRun,
    IdempotencyRecord,
    Notification,
    OutboxEvent,
    OutboxStatus,
    VatRate,
    WorkerHeartbeat,
)
from oms.roles import Role, has_role


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


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Send-once records (read-only; the exception inbox and the pages' buttons retry them)."""

    list_display = ["id", "kind", "key", "state", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["key", "last_error"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

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


class ApiClientCreateForm(forms.ModelForm):
    channel = forms.ChoiceField(
        choices=[("", "Not bound (every channel; an ERP)"), *((c, c) for c in CHANNELS)], required=False
    )
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiClient
        fields = ["name", "channel", "scopes"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """API clients for managers (API.md 1.1): create one (its token is shown once, on the page
    that answers the form), see when each was last used, revoke. A client is never edited or
    deleted: a new scope is a new client, and the old one is revoked."""

    list_display = ["name", "prefix", "channel", "scope_list", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["channel", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    def get_queryset(self, request):
        return api_client_list()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiClientCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["name", "channel", "scopes", "prefix", "user", "created_at", "created_by", "last_used_at", "revoked_at"]

    def get_fields(self, request, obj=None):
        return ["name", "channel", "scopes"] if obj is None else self.get_readonly_fields(request, obj)

    @admin.display(description="Scopes")
    def scope_list(self, obj) -> str:
        return ", ".join(obj.scopes)

    # managers only (and superusers, who are managers); nobody edits or deletes a client
    def has_module_permission(self, request) -> bool:
        return has_role(request.user, Role.MANAGER)

    def has_view_permission(self, request, obj=None) -> bool:
        return has_role(request.user, Role.MANAGER)

    def has_add_permission(self, request) -> bool:
        return has_role(request.user, Role.MANAGER)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        # the action needs no change permission: revoking is its own service
        actions = super().get_actions(request)
        if not has_role(request.user, Role.MANAGER):
            actions.pop("revoke", None)
        return actions

    def save_model(self, request, obj, form, change):
        client, token = api_client_create(
            name=form.cleaned_data["name"],
            channel=form.cleaned_data["channel"],
            scopes=form.cleaned_data["scopes"],
            user=request.user,
        )
        obj.pk, obj.user_id, obj.prefix, obj.scopes = client.pk, client.user_id, client.prefix, client.scopes
        request.oms_new_token = token  # shown by response_add, once; never stored

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "title": f"API client {obj.name}",
            "client": obj,
            "token": request.oms_new_token,
            "opts": self.opts,
        }
        response = TemplateResponse(request, "admin/oms/apiclient/token.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected API clients")
    def revoke(self, request, queryset):
        ids = list(queryset.filter(revoked_at__isnull=True).values_list("id", flat=True))
        for client_id in ids:
            api_client_revoke(client_id=client_id)
        self.message_user(request, f"{len(ids)} API client(s) revoked; their tokens no longer work.", messages.SUCCESS)
