"""Shipping tables in the Django admin, read-only: changes go through the carrier, rate and
holiday screens, whose services validate them and record who made them."""

from django.contrib import admin

from shipping.models import Carrier, FreeShipping, Holiday, PostcodeRange, Rate, ServiceLevel


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ServiceLevelInline(ReadOnlyInline):
    model = ServiceLevel
    fields = ["code", "name", "transit_days", "active"]


class PostcodeRangeInline(ReadOnlyInline):
    model = PostcodeRange
    fields = ["country", "first", "last"]


class RateInline(ReadOnlyInline):
    model = Rate
    fields = ["zone", "max_weight_grams", "price"]


@admin.register(Carrier)
class CarrierAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "active", "api_endpoint"]
    list_filter = ["kind", "active"]
    exclude = ["api_key"]  # a credential: not shown anywhere once stored
    inlines = [ServiceLevelInline, PostcodeRangeInline]


@admin.register(ServiceLevel)
class ServiceLevelAdmin(ReadOnlyAdmin):
    list_display = ["carrier", "code", "name", "transit_days", "active"]
    list_select_related = ["carrier"]
    inlines = [RateInline]


@admin.register(FreeShipping)
class FreeShippingAdmin(ReadOnlyAdmin):
    list_display = ["zone", "min_order_net"]


@admin.register(Holiday)
class HolidayAdmin(ReadOnlyAdmin):
    list_display = ["date", "country", "name"]
    list_filter = ["country"]
    date_hierarchy = "date"
