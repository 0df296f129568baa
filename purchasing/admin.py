"""Purchasing in the Django admin: read-only. Changes go through the purchasing screens and
services, so that timelines, expected receipts and stock movements stay in step."""

from django.contrib import admin

from oms.admin_readonly import ReadOnlyAdmin, ReadOnlyInline
from purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRequest,
    Supplier,
    SupplierProduct,
    TimelineEntry,
)


@admin.register(Supplier)
class SupplierAdmin(ReadOnlyAdmin):
    list_display = ["name", "contact_name", "email", "city", "country", "lead_time_days", "active"]
    list_filter = ["active", "country"]
    search_fields = ["name", "contact_name", "email", "city"]


@admin.register(SupplierProduct)
class SupplierProductAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "product", "supplier_sku", "unit_cost", "min_order_quantity", "pack_size", "preferred"]
    list_filter = ["preferred"]
    search_fields = ["supplier__name", "product__sku", "supplier_sku"]
    list_select_related = ["supplier", "product"]
    show_full_result_count = False


@admin.register(ReorderRequest)
class ReorderRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "product", "warehouse", "supplier", "reason", "status", "quantity", "created_at"]
    list_filter = ["status", "reason"]
    search_fields = ["product__sku"]
    list_select_related = ["product", "warehouse", "supplier"]
    show_full_result_count = False


class LineInline(ReadOnlyInline):
    model = PurchaseOrderLine
    fields = ["line_no", "sku", "name", "supplier_sku", "quantity_ordered", "quantity_received", "unit_cost"]
    readonly_fields = fields


class TimelineInline(ReadOnlyInline):
    model = TimelineEntry
    fields = ["created_at", "kind", "message", "user"]
    readonly_fields = fields


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "supplier", "warehouse", "status", "order_date", "expected_date", "total_amount"]
    list_filter = ["status"]
    search_fields = ["number", "supplier__name"]
    list_select_related = ["supplier", "warehouse"]
    inlines = [LineInline, TimelineInline]


class ReceiptLineInline(ReadOnlyInline):
    model = GoodsReceiptLine
    fields = ["purchase_order_line", "quantity"]
    readonly_fields = fields


@admin.register(GoodsReceipt)
class GoodsReceiptAdmin(ReadOnlyAdmin):
    list_display = ["id", "purchase_order", "received_by", "received_at", "note"]
    search_fields = ["purchase_order__number"]
    list_select_related = ["purchase_order", "received_by"]
    inlines = [ReceiptLineInline]
