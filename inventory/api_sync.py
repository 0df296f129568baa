"""``GET /api/v1/stock-movements/`` (API.md 1.1): every change of on-hand stock, newest first,
with ``updated_since`` and cursor paging, for an ERP that keeps its own stock ledger."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from inventory import selectors
from inventory.api import STOCK_ACCESS
from oms.api import cursor_page, updated_since


def movement_representation(movement) -> dict:
    return {
        "id": movement.pk,
        "sku": movement.product.sku,
        "warehouse": movement.warehouse.code,
        "kind": movement.kind,
        "quantity": movement.quantity,
        "on_hand_after": movement.on_hand_after,
        "reference": movement.reference,
        "reason": movement.reason,
        "created_at": timezone.localtime(movement.created_at).isoformat(),
    }


class StockMovementList(APIView):
    """Movements (``kind`` receipt, issue, adjustment, count, transfer_in, transfer_out, return;
    signed ``quantity``) newest first; ``updated_since``: made since then (they never change)."""

    permission_classes = [STOCK_ACCESS]

    @extend_schema(
        parameters=[OpenApiParameter("updated_since", str, description="ISO 8601 date-time")],
        responses={200: dict},
        operation_id="v1_stock_movements_list",
    )
    def get(self, request):
        queryset = selectors.stock_movements_since(updated_since=updated_since(request))
        return cursor_page(self, request, queryset, lambda page: [movement_representation(m) for m in page])
