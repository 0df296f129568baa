"""Orders in the Django admin: read-only. Every change goes through the services (stock,
timeline and events change together); the order screens are where staff act on orders."""

from django.contrib import admin

from oms.admin_readonly import ReadOnlyAdmin, ReadOnlyInline
from orders.models import Allocation, Order, OrderEvent, OrderLine


class LineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "line_no",
        "sku",
        "name",
        "quantity",
        "quantity_allocated",
        "quantity_backordered",
        "quantity_shipped",
        "unit_price",
        "vat_rate",
        "line_total",
        "is_cancelled",
    ]


class EventInline(LineInline):
    model = OrderEvent
    fields = ["created_at", "kind", "message", "user"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "status", "channel", "customer", "gross_amount", "promised_delivery_date", "created_at"]
    list_select_related = ["customer"]
    list_filter = ["status", "channel"]
    search_fields = ["number", "external_reference"]
    show_full_result_count = False
    inlines = [LineInline, EventInline]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["id", "order_line", "warehouse", "stock_level", "quantity", "status", "updated_at"]
    list_select_related = ["order_line", "warehouse"]
    list_filter = ["status", "warehouse"]
    show_full_result_count = False
