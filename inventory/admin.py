"""Inventory in the Django admin: read-only. Stock changes only through the services (the
screens, the API, imports), so that every change of on-hand has its movement."""

from django.contrib import admin

from inventory.models import ExpectedReceipt, ImportJob, Product, StockLevel, StockMovement, Warehouse
from oms.admin_readonly import ReadOnlyAdmin


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["sku", "name", "list_price", "consumer_price", "vat_category", "barcode", "active", "updated_at"]
    list_filter = ["active", "vat_category"]
    search_fields = ["sku", "name", "barcode"]
    show_full_result_count = False


@admin.register(Warehouse)
class WarehouseAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "city", "cutoff_time", "priority", "active"]


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["product", "warehouse", "on_hand", "reserved", "reorder_point", "reorder_quantity"]
    list_select_related = ["product", "warehouse"]
    list_filter = ["warehouse"]
    search_fields = ["product__sku"]
    show_full_result_count = False


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "product", "warehouse", "kind", "quantity", "on_hand_after", "reference", "user"]
    list_select_related = ["product", "warehouse", "user"]
    list_filter = ["kind", "warehouse"]
    search_fields = ["product__sku", "reference"]
    show_full_result_count = False


@admin.register(ExpectedReceipt)
class ExpectedReceiptAdmin(ReadOnlyAdmin):
    list_display = ["reference", "product", "warehouse", "quantity", "expected_date"]
    list_select_related = ["product", "warehouse"]
    search_fields = ["reference", "product__sku"]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "file_name", "status", "total_rows", "ok_rows", "created_by", "created_at"]
    exclude = ["rows"]
