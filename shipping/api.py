"""shipping's API: ``GET /api/v1/shipments/`` (API.md 1.1), the shipments with tracking for an
ERP, newest first, with ``updated_since`` and cursor paging; ``GET /api/v1/pickup-points/``, the
carriers' pick-up points near a postcode (docs/API.md)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api import api_access, cursor_page, order_owner, updated_since
from oms.api_clients import Scope
from oms.numbers import plain_int
from oms.roles import Role
from shipping.selectors import fulfilment, pickup

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


# Whoever places orders (or reads them) may look up where a customer can collect a parcel.
PICKUP_ACCESS = api_access(Scope.ORDERS_WRITE, Scope.ORDERS_READ, roles=(Role.CUSTOMER_SERVICE, Role.WAREHOUSE))
MAX_PICKUP_POINTS = 25


class PickupPointList(APIView):
    """Pick-up points near ``postcode`` (``country``, default NL; ``carrier``: one carrier's
    code), nearest first; a carrier that does not answer is left out."""

    permission_classes = [PICKUP_ACCESS]

    @extend_schema(
        parameters=[
            OpenApiParameter("postcode", str, required=True, description="e.g. 3511 AB"),
            OpenApiParameter("country", str, description="ISO code, default NL"),
            OpenApiParameter("carrier", str, description="a carrier's code"),
            OpenApiParameter("limit", int, description="at most 25, default 10"),
        ],
        responses={200: dict},
        operation_id="v1_pickup_points_list",
    )
    def get(self, request):
        params = request.query_params
        limit = params.get("limit", "10")
        limit = min(plain_int(limit) or 10, MAX_PICKUP_POINTS)
        points = pickup.pickup_points_near(
            params.get("postcode", ""), params.get("country", "NL"), carrier_code=params.get("carrier", ""), limit=limit
        )
        return Response({"results": [point.as_json() for point in points]})
