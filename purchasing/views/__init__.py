"""Purchasing screens, split by area: the reorder queue, purchase orders, goods receipt and
suppliers."""

from purchasing.views.purchase_orders import (
    po_cancel,
    po_detail,
    po_document_resend,
    po_line_update,
    po_list,
    po_pdf,
    po_reschedule,
    po_send,
)
from purchasing.views.receipts import receipt_create, receipt_queue
from purchasing.views.requests import (
    reorder_scan_run,
    request_dismiss,
    request_queue,
    request_update,
    requests_order,
)
from purchasing.views.suppliers import (
    supplier_detail,
    supplier_edit,
    supplier_list,
    supplier_product_remove,
    supplier_product_save,
)

__all__ = [
    "po_cancel",
    "po_reschedule",
    "po_detail",
    "po_document_resend",
    "po_line_update",
    "po_list",
    "po_pdf",
    "po_send",
    "receipt_create",
    "receipt_queue",
    "reorder_scan_run",
    "request_dismiss",
    "request_queue",
    "request_update",
    "requests_order",
    "supplier_detail",
    "supplier_edit",
    "supplier_list",
    "supplier_product_remove",
    "supplier_product_save",
]
