"""shipping's API: ``GET /api/v1/shipments/`` (API.md 1.1), the shipments with tracking for an
ERP, newest first, with ``updated_since`` and cursor paging."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from oms.api import api_access, cursor_page, order_owner, updated_since
from oms.api_clients import Scope
from oms.roles import Role
from shipping.selectors import fulfilment

# Shipments belong to orders: who reads orders reads their shipments (a bound client its own).
READ_ACCESS = api_access(Scope.ORDERS_READ, Scope.ORDERS_WRITE, roles=(Role.CUSTOMER_SERVICE, Role.WAREHOUSE))


class ShipmentList(APIView):
    """Shipments with carrier, tracking number and URL, status and tracking events;
    ``updated_since``: changed or tracked since then."""

    permission_classes = [READ_ACCESS]

    @extend_schema(
        parameters=[OpenApiParameter("updated_since", str, description="ISO 8601 date-time")],
        responses={200: dict},
        operation_id="v1_shipments_list",
    )
    def get(self, request):
        queryset = fulfilment.shipments_changed(
            updated_since=updated_since(request), owner=order_owner(request, Scope.ORDERS_READ)
        )
        return cursor_page(
            self, request, queryset, lambda page: [fulfilment.shipment_api_representation(s) for s in page]
        )
