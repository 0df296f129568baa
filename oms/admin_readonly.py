"""Read-only admin bases. Every app's records change only through its services (numbers,
stock, timelines, ledger and events change together), so the Django admin shows them and
never writes; each app's admin builds on these two classes."""

from django.contrib import admin


class _NoWrites:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(_NoWrites, admin.ModelAdmin):
    pass


class ReadOnlyInline(_NoWrites, admin.TabularInline):
    extra = 0
    can_delete = False
