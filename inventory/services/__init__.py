"""Every state change of inventory. Other apps import from here (``inventory.services``).

Split by theme: ``catalogue`` (products, warehouses, reorder settings), ``stock`` (receive,
return, adjust, count, transfer), ``reservations`` (reserve, release, issue), ``expected``
(incoming supply from purchasing) and ``imports`` (CSV/XLSX imports run by a worker).
"""

from inventory.services.catalogue import product_upsert, stock_level_configure, warehouse_upsert
from inventory.services.expected import (
    expected_receipt_set,
    expected_receipts_changed,
    expected_receipts_clear,
    expected_receipts_reschedule,
)
from inventory.services.imports import import_job_create, import_job_run
from inventory.services.reservations import (
    InsufficientStockLines,
    Reservation,
    ReserveLine,
    stock_issue,
    stock_issue_unreserved,
    stock_release,
    stock_reserve,
)
from inventory.services.stock import stock_adjust, stock_count, stock_receive, stock_return, stock_transfer

__all__ = [
    "InsufficientStockLines",
    "ReserveLine",
    "Reservation",
    "expected_receipt_set",
    "expected_receipts_changed",
    "expected_receipts_clear",
    "expected_receipts_reschedule",
    "import_job_create",
    "import_job_run",
    "product_upsert",
    "stock_adjust",
    "stock_count",
    "stock_issue",
    "stock_issue_unreserved",
    "stock_level_configure",
    "stock_receive",
    "stock_release",
    "stock_reserve",
    "stock_return",
    "stock_transfer",
    "warehouse_upsert",
]
