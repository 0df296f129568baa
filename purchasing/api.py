"""purchasing's API: ``GET /api/v1/purchase-orders/`` (API.md 1.1), purchase orders with their
lines and goods receipts for an ERP, newest first, with ``updated_since`` and cursor paging."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from oms.api import api_access, cursor_page, updated_since
from oms.api_clients import Scope
from oms.roles import Role
from purchasing import selectors

# No scope reads purchasing yet (API.md 1.1 lists none): API clients need ``all``; staff purchasing.
READ_ACCESS = api_access(Scope.ALL, roles=(Role.PURCHASING,))


def _time(value):
    return timezone.localtime(value).isoformat() if value else None


def purchase_order_representation(po) -> dict:
    return {
        "number": po.number,
        "status": po.status,
        "supplier": {"id": po.supplier_id, "name": po.supplier.name},
        "warehouse": po.warehouse.code,
        "order_date": po.order_date.isoformat() if po.order_date else None,
        "expected_date": po.expected_date.isoformat() if po.expected_date else None,
        "lines": [
            {
                "line": line.line_no,
                "sku": line.sku,
                "supplier_sku": line.supplier_sku,
                "name": line.name,
                "quantity_ordered": line.quantity_ordered,
                "quantity_received": line.quantity_received,
            }
            for line in po.lines.all()
        ],
        "receipts": [
            {
                "received_at": _time(receipt.received_at),
                "note": receipt.note,
                "lines": [
                    {
                        "line": row.purchase_order_line.line_no,
                        "sku": row.purchase_order_line.sku,
                        "quantity": row.quantity,
                    }
                    for row in receipt.lines.all()
                ],
            }
            for receipt in po.receipts.all()
        ],
        "sent_at": _time(po.sent_at),
        "created_at": _time(po.created_at),
        "updated_at": _time(po.updated_at),
    }


class PurchaseOrderList(APIView):
    """Purchase orders with lines (ordered, received) and goods receipts; ``updated_since``:
    changed or goods received since then."""

    permission_classes = [READ_ACCESS]

    @extend_schema(
        parameters=[OpenApiParameter("updated_since", str, description="ISO 8601 date-time")],
        responses={200: dict},
        operation_id="v1_purchase_orders_list",
    )
    def get(self, request):
        queryset = selectors.purchase_orders_changed(updated_since=updated_since(request))
        return cursor_page(self, request, queryset, lambda page: [purchase_order_representation(po) for po in page])
