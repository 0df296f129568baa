"""Inventory screens, split by area (stock overview, products, imports, warehouses)."""

from inventory.views.imports import import_detail, import_upload
from inventory.views.products import (
    product_create,
    product_detail,
    product_edit,
    stock_adjust,
    stock_count,
    stock_level_configure,
    stock_transfer,
)
from inventory.views.stock import stock_export, stock_overview
from inventory.views.warehouses import warehouse_edit, warehouse_list

__all__ = [
    "import_detail",
    "import_upload",
    "product_create",
    "product_detail",
    "product_edit",
    "stock_adjust",
    "stock_count",
    "stock_export",
    "stock_level_configure",
    "stock_overview",
    "stock_transfer",
    "warehouse_edit",
    "warehouse_list",
]
