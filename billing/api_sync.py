"""The lists an ERP synchronises from (API.md 1.1 "Money documents"): ``GET /api/v1/invoices/``
and ``GET /api/v1/payments/``, each with ``updated_since`` and cursor paging (newest first)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from billing import sync
from billing.api import READ_ACCESS, InvoiceOutSerializer, payment_fields
from oms.api import api_access, cursor_page, order_owner, updated_since
from oms.api_clients import Scope
from oms.roles import Role

PAYMENT_READ_ACCESS = api_access(Scope.INVOICES_READ, Scope.PAYMENTS_WRITE, roles=(Role.ACCOUNTING,))
UPDATED_SINCE = OpenApiParameter(
    "updated_since", str, description="ISO 8601 date-time: only what was created or changed since"
)


def _money(value) -> str:
    return f"{value:.2f}"


class InvoiceListItemSerializer(InvoiceOutSerializer):
    # What paid each invoice is in GET /invoices/{number}/ and in GET /payments/ (allocations).
    payments = None


class InvoiceList(APIView):
    """Invoices and credit notes with lines and VAT per rate, newest first; ``updated_since``:
    issued, paid, credited or e-mailed since then."""

    permission_classes = [READ_ACCESS]

    @extend_schema(
        parameters=[UPDATED_SINCE],
        responses={200: InvoiceListItemSerializer(many=True)},
        operation_id="v1_invoices_list",
    )
    def get(self, request):
        queryset = sync.invoices_changed(updated_since=updated_since(request), owner=order_owner(request))
        return cursor_page(self, request, queryset, lambda page: InvoiceListItemSerializer(page, many=True).data)


def payment_list_representation(payment) -> dict:
    order_number = payment.order.number if payment.order_id else None
    return {
        **payment_fields(payment, order_number, payment.customer.number),
        "allocations": [
            {"invoice": row.invoice.number, "amount": _money(row.amount)} for row in payment.allocations.all()
        ],
        "created_at": timezone.localtime(payment.created_at).isoformat(),
    }


class PaymentList(APIView):
    """Payments and refunds (negative amounts), newest first, with what they paid; ``updated_since``:
    recorded, allocated or refunded since then."""

    permission_classes = [PAYMENT_READ_ACCESS]

    @extend_schema(parameters=[UPDATED_SINCE], responses={200: dict}, operation_id="v1_payments_list")
    def get(self, request):
        queryset = sync.payments_changed(updated_since=updated_since(request), owner=order_owner(request))
        return cursor_page(self, request, queryset, lambda page: [payment_list_representation(p) for p in page])
