"""Every state change of purchasing. Other apps and the workers import from here.

Split by theme: ``reorder`` (reorder requests: raised by event handlers and the scan, edited
on the screen), ``purchase_orders`` (drafts from requests, send, cancel), ``documents`` (the
PDF and its e-mail, run by a worker), ``receipts`` (goods receipts) and ``suppliers``.
"""

from purchasing.services.documents import (
    purchase_order_document_render,
    purchase_order_document_send,
    purchase_order_documents_sweep,
)
from purchasing.services.purchase_orders import (
    purchase_order_cancel,
    purchase_order_document_resend,
    purchase_order_line_set_quantity,
    purchase_order_reschedule,
    purchase_order_send,
    purchase_orders_create_from_requests,
)
from purchasing.services.receipts import goods_receipt_post
from purchasing.services.reorder import (
    reorder_request_dismiss,
    reorder_request_raise,
    reorder_request_set_quantity,
    reorder_requests_assign_suppliers,
    reorder_requests_for_backorders,
    reorder_requests_for_large_lines,
    reorder_requests_top_up,
    reorder_scan,
)
from purchasing.services.suppliers import supplier_product_remove, supplier_product_save, supplier_save

__all__ = [
    "goods_receipt_post",
    "purchase_order_cancel",
    "purchase_order_document_render",
    "purchase_order_document_resend",
    "purchase_order_document_send",
    "purchase_order_documents_sweep",
    "purchase_order_line_set_quantity",
    "purchase_order_reschedule",
    "purchase_order_send",
    "purchase_orders_create_from_requests",
    "reorder_request_dismiss",
    "reorder_request_raise",
    "reorder_requests_top_up",
    "reorder_request_set_quantity",
    "reorder_requests_assign_suppliers",
    "reorder_requests_for_backorders",
    "reorder_requests_for_large_lines",
    "reorder_scan",
    "supplier_product_remove",
    "supplier_product_save",
    "supplier_save",
]
