"""Invoices API (API.md "Payments": ``GET /api/v1/invoices/{number}/`` and ``.../pdf/``).

Read-only: invoices are issued by the services (from orders, in the order integration).
"""

from __future__ import annotations

import io

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors
from billing.services import delivery
from oms.money import rate_label
from oms.roles import Role, roles_allowed

READ_ROLES = (Role.CUSTOMER_SERVICE, Role.ACCOUNTING, Role.API_CLIENT)


def _money(value) -> str:
    return f"{value:.2f}"


class InvoiceLineOutSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    kind = serializers.CharField()
    sku = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2, source="discount_amount")
    vat_rate = serializers.SerializerMethodField()
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2, source="net_amount")

    def get_vat_rate(self, line) -> str:
        return rate_label(line.vat_rate)


class InvoiceOutSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    issue_date = serializers.DateField()
    supply_date = serializers.DateField()
    due_date = serializers.DateField()
    reference = serializers.CharField()
    customer = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()
    seller = serializers.JSONField()
    reverse_charge = serializers.BooleanField()
    export = serializers.BooleanField()
    lines = InvoiceLineOutSerializer(many=True, source="lines.all")
    vat = serializers.SerializerMethodField()
    totals = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()
    amount_paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount_credited = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount_due = serializers.SerializerMethodField()
    credit_of = serializers.SerializerMethodField()
    credit_reason = serializers.CharField()
    credit_notes = serializers.SerializerMethodField()
    sent_at = serializers.DateTimeField(allow_null=True)
    pdf_url = serializers.SerializerMethodField()

    def get_customer(self, invoice) -> dict:
        return {"number": invoice.customer.number}

    def get_buyer(self, invoice) -> dict:
        return {name[len("buyer_") :]: getattr(invoice, name) for name in BUYER_FIELDS}

    def get_vat(self, invoice) -> list[dict]:
        return [
            {"rate": rate_label(r.rate), "net": _money(r.net_amount), "vat": _money(r.vat_amount)}
            for r in invoice.vat_lines.all()
        ]

    def get_totals(self, invoice) -> dict:
        return {
            "net": _money(invoice.net_amount),
            "vat": _money(invoice.vat_amount),
            "gross": _money(invoice.gross_amount),
        }

    def get_currency(self, invoice) -> str:
        return "EUR"

    def get_amount_due(self, invoice) -> str:
        return _money(invoice.open_amount)

    def get_credit_of(self, invoice) -> str | None:
        return invoice.credit_of.number if invoice.credit_of else None

    def get_credit_notes(self, invoice) -> list[str]:
        return [note.number for note in invoice.credit_notes.all()]

    def get_pdf_url(self, invoice) -> str:
        return reverse("api:invoice-pdf", kwargs={"number": invoice.number})


BUYER_FIELDS = (
    "buyer_name",
    "buyer_company",
    "buyer_street",
    "buyer_postal_code",
    "buyer_city",
    "buyer_country",
    "buyer_vat_id",
    "buyer_coc_number",
    "buyer_email",
)


class InvoiceDetail(APIView):
    """``GET /api/v1/invoices/{number}/``: the invoice with lines, VAT per rate and amount due."""

    permission_classes = [roles_allowed(*READ_ROLES)]

    @extend_schema(responses={200: InvoiceOutSerializer})
    def get(self, request, number: str):
        return Response(InvoiceOutSerializer(selectors.invoice_get_by_number(number)).data)


class InvoicePdf(APIView):
    """``GET /api/v1/invoices/{number}/pdf/``: the stored PDF (rendered now if the worker has not yet)."""

    permission_classes = [roles_allowed(*READ_ROLES)]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, number: str):
        invoice = selectors.invoice_get_by_number(number)
        data = delivery.invoice_pdf_content(invoice_id=invoice.pk)
        return FileResponse(io.BytesIO(data), content_type="application/pdf", filename=f"{invoice.number}.pdf")
