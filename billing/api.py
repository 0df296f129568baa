"""Payments and invoices API (API.md "Payments"): ``POST /api/v1/orders/{number}/payments/``
(and ``GET`` the order's payments), ``GET /api/v1/invoices/{number}/`` and ``.../pdf/``,
``POST /api/v1/bank-statements/`` (API.md 1.1 "Money documents").

Invoices are read-only here: the services issue them from orders.
"""

from __future__ import annotations

import io

from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import bankfiles, selectors, settlementfiles, ubl
from billing.services import bank, delivery, payment_links, payments, settlements
from customers.models import PaymentMethod
from oms.api import DateTimeField, api_access, order_owner
from oms.api_clients import Scope
from oms.errors import NotFound, ValidationFailed
from oms.idempotency import idempotent
from oms.money import rate_label
from oms.roles import Role
from orders import selectors as order_selectors

# Staff by role; API clients by scope (API.md 1.1), and a client bound to a channel only for
# the orders it placed (an invoice of another order is 404 to it, as is the order).
READ_ACCESS = api_access(Scope.INVOICES_READ, roles=(Role.CUSTOMER_SERVICE, Role.ACCOUNTING))
PAYMENT_ACCESS = api_access(Scope.PAYMENTS_WRITE, roles=(Role.ACCOUNTING,))


def _invoice_or_404(request, number: str):
    invoice = selectors.invoice_get_by_number(number)
    owner = order_owner(request)
    if owner is not None and (invoice.order is None or invoice.order.entered_by_id != owner):
        raise NotFound(f"No invoice with number '{number}'.", field="number")
    return invoice


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
    line_total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        source="net_amount",
        help_text="quantity x unit_price - discount: excl. VAT, or incl. VAT when the document's "
        "`prices_include_vat` is true.",
    )

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
    prices_include_vat = serializers.BooleanField(
        help_text="True on a consumer's document: unit prices and line totals include VAT, the VAT "
        "per rate is contained in the rate's total (`vat[].net` + `vat[].vat`)."
    )
    vat_country = serializers.CharField(
        help_text="The EU member state (ISO 3166 alpha-2) whose VAT the document charges under the One "
        "Stop Shop, e.g. `BE`; empty for Dutch VAT, reverse charge and exports."
    )
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
    order = serializers.SerializerMethodField()
    payments = serializers.SerializerMethodField()

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

    def get_order(self, invoice) -> str | None:
        return invoice.order.number if invoice.order_id else None

    def get_payments(self, invoice) -> list[dict]:
        return [
            {
                "method": row["method_code"],
                "reference": row["reference"],
                "paid_at": timezone.localtime(row["paid_at"]).isoformat() if row["paid_at"] else None,
                "amount": _money(row["amount"]),
            }
            for row in selectors.invoice_payments(invoice)
        ]


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

    permission_classes = [READ_ACCESS]

    @extend_schema(responses={200: InvoiceOutSerializer})
    def get(self, request, number: str):
        return Response(InvoiceOutSerializer(_invoice_or_404(request, number)).data)


class InvoicePdf(APIView):
    """``GET /api/v1/invoices/{number}/pdf/``: the stored PDF (rendered now if the worker has not yet)."""

    permission_classes = [READ_ACCESS]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, number: str):
        invoice = _invoice_or_404(request, number)
        data = delivery.invoice_pdf_content(invoice_id=invoice.pk)
        return FileResponse(io.BytesIO(data), content_type="application/pdf", filename=f"{invoice.number}.pdf")


class InvoiceUbl(APIView):
    """``GET /api/v1/invoices/{number}/ubl/``: the invoice or credit note as UBL 2.1 XML (Peppol
    BIS Billing 3.0, NLCIUS), made from the issued document (``billing.ubl``)."""

    permission_classes = [READ_ACCESS]

    @extend_schema(responses={(200, ubl.CONTENT_TYPE): OpenApiTypes.BINARY})
    def get(self, request, number: str):
        invoice = _invoice_or_404(request, number)
        response = HttpResponse(ubl.invoice_ubl_bytes(invoice), content_type=ubl.CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{ubl.invoice_ubl_filename(invoice)}"'
        return response


# --- payments ------------------------------------------------------------------------------------


class PaymentInSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PaymentMethod.values)
    amount = serializers.CharField(max_length=20, help_text='EUR, e.g. "24.94"; negative: a refund')
    reference = serializers.CharField(max_length=100, help_text="Unique per method (the PSP's payment id)")
    paid_at = DateTimeField(required=False, allow_null=True)
    refund_of = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="A refund: the reference of the payment refunded"
    )


def payment_fields(payment, order_number: str | None, customer_number: str) -> dict:
    """A payment as the API shows it (the answer to a payment and the ERP's payment list)."""
    return {
        "method": payment.method,
        "amount": _money(payment.amount),
        "reference": payment.reference,
        "paid_at": timezone.localtime(payment.paid_at).isoformat(),
        "refund_of": payment.refund_of.reference if payment.refund_of_id else None,
        "order": order_number,
        "customer": {"number": customer_number},
        "allocated": _money(payment.amount_allocated),
        "refunded": _money(payment.amount_refunded),
        "credit": _money(payment.credit),
    }


def payment_representation(payment, order) -> dict:
    return {
        **payment_fields(payment, order.number, order.customer.number),
        "amount_due": _money(order.amount_due),
    }


PAYMENT_SCHEMA = {
    "type": "object",
    "properties": {
        "payment": {"type": "object"},
        "order": {"type": "object"},
        "amount_due": {"type": "string"},
    },
}


def _refund_of(order, method: str, reference: str):
    if not reference:
        return None
    found = next(
        (p for p in selectors.order_payments(order.pk) if p.method == method and p.reference == reference), None
    )
    if found is None:
        raise NotFound(f"No {method} payment '{reference}' on order {order.number}.", field="refund_of")
    return found


class OrderPayments(APIView):
    """``POST /api/v1/orders/{number}/payments/`` records a payment (or, negative, a refund)
    taken elsewhere; a repeat of a method + reference answers the recorded payment (200) and
    changes nothing. ``GET`` lists the order's payments and refunds."""

    permission_classes = [PAYMENT_ACCESS]

    @extend_schema(responses={200: PAYMENT_SCHEMA}, operation_id="v1_order_payments_list")
    def get(self, request, number: str):
        order = order_selectors.order_get_by_number(number, entered_by=order_owner(request))
        rows = [payment_representation(p, order) for p in selectors.order_payments(order.pk)]
        return Response(
            {"results": rows, "amount_paid": _money(order.amount_paid), "amount_due": _money(order.amount_due)}
        )

    @extend_schema(request=PaymentInSerializer, responses={201: PAYMENT_SCHEMA, 200: PAYMENT_SCHEMA})
    @idempotent
    def post(self, request, number: str):
        data = PaymentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = order_selectors.order_get_by_number(number, entered_by=order_owner(request))
        result = payments.payment_record(
            order=order,
            method=values["method"],
            amount=values["amount"],
            reference=values["reference"],
            paid_at=values.get("paid_at"),
            refund_of=_refund_of(order, values["method"], values.get("refund_of") or ""),
            user=request.user,
        )
        order = order_selectors.order_get(order.pk)
        body = {
            "payment": payment_representation(result.payment, order),
            "order": {"number": order.number, "amount_paid": _money(order.amount_paid)},
            "amount_due": _money(order.amount_due),
        }
        return Response(body, status=201 if result.created else 200)


LINK_ACCESS = api_access(Scope.ORDERS_WRITE, roles=(Role.CUSTOMER_SERVICE,))
PAYMENT_LINK_SCHEMA = inline_serializer(
    "PaymentLink",
    {
        "order": serializers.CharField(),
        "status": serializers.ChoiceField(choices=["open", "requested"]),
        "payment_url": serializers.URLField(allow_null=True),
        "expires_at": serializers.DateTimeField(allow_null=True),
        "amount": serializers.CharField(),
    },
)


def payment_link_representation(link, order) -> dict:
    return {
        "order": order.number,
        "status": link.status,
        "payment_url": link.checkout_url or None,
        "expires_at": timezone.localtime(link.expires_at).isoformat(timespec="seconds") if link.expires_at else None,
        "amount": _money(link.amount),
    }


class OrderPaymentLink(APIView):
    """``POST /api/v1/orders/{number}/payment-link/``: a new payment link for an order that is
    still to be paid through the provider (after the old one expired). 201 with the link; 202
    ``requested`` when the provider cannot be reached now (the link follows, ``payment_url`` on
    the order); 409 ``order_paid`` / ``not_a_provider_method`` / ``order_closed`` /
    ``provider_refused``. A client bound to a channel asks only for the orders it placed."""

    permission_classes = [LINK_ACCESS]

    @extend_schema(request=None, responses={201: PAYMENT_LINK_SCHEMA, 202: PAYMENT_LINK_SCHEMA})
    @idempotent
    def post(self, request, number: str):
        order = order_selectors.order_get_by_number(number, entered_by=order_owner(request))
        link = payment_links.payment_link_new(order=order, user=request.user)
        return Response(payment_link_representation(link, order), status=201 if link.checkout_url else 202)


class BankStatementIn(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="A CAMT.053 (XML) or MT940 file, at most 5 MB.")


BANK_IMPORT_SCHEMA = inline_serializer(
    "BankStatementImport",
    {
        "statement": inline_serializer(
            "BankStatementRef",
            {
                "id": serializers.IntegerField(),
                "account": serializers.CharField(),
                "identifier": serializers.CharField(),
                "format": serializers.CharField(),
            },
        ),
        "lines": serializers.IntegerField(),
        "matched": serializers.IntegerField(),
        "unmatched": serializers.IntegerField(),
        "already_imported": serializers.IntegerField(),
    },
)


class BankStatementImport(APIView):
    """``POST /api/v1/bank-statements/`` (multipart, field ``file``): import a CAMT.053 or MT940
    statement and match its credit lines to open invoices. 201 with the counts of this import
    (``matched`` + ``unmatched`` + ``already_imported`` = ``lines``; debit lines count as
    unmatched); a statement imported before is 200, nothing new stored (``already_imported``
    equal to ``lines``).
    A broken or oversized file is 400 on field ``file`` and stores nothing."""

    permission_classes = [PAYMENT_ACCESS]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": BankStatementIn}, responses={201: BANK_IMPORT_SCHEMA, 200: BANK_IMPORT_SCHEMA}
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed("Upload the statement as the multipart field 'file'.", code="required", field="file")
        if upload.size > bankfiles.MAX_BYTES:
            raise ValidationFailed("The file is larger than 5 MB.", code="file_too_large", field="file")
        result = bank.bank_statement_import(content=upload.read(), file_name=upload.name or "", user=request.user)
        body = {
            "statement": {
                "id": result.statement.pk,
                "account": result.statement.account,
                "identifier": result.statement.identifier,
                "format": result.statement.format,
            },
            "lines": result.lines,
            "matched": result.matched,
            "unmatched": result.unmatched,
            "already_imported": result.already_imported,
        }
        return Response(body, status=201 if result.created else 200)


class SettlementsIn(serializers.Serializer):
    provider = serializers.CharField(help_text="The provider, in lower case: klarna, riverty, worldline, ...")
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="CSV, columns settlement, date, type (payment, refund, fee, payout), reference, amount, vat.",
    )


SETTLEMENT_IMPORT_SCHEMA = inline_serializer(
    "SettlementImport",
    {
        "created": serializers.ListField(child=serializers.CharField()),
        "already_imported": serializers.IntegerField(),
        "payouts_landed": serializers.IntegerField(),
    },
)


class SettlementImport(APIView):
    """``POST /api/v1/settlements/`` (multipart, fields ``provider`` and ``file``): import a
    provider's settlement CSV (README "Provider settlements"). Each settlement clears its payments
    from the provider receivable, books its fees and waits for its payout on the bank (found at
    once when that bank line is imported already). 201 with the ids of the settlements created;
    200 when all were imported before. Any bad row, unknown payment or sum that does not add up is
    400 (field ``file``, ``payments`` or ``amount``) and nothing of the file is stored; a payment
    already in another settlement is 409 ``already_settled``."""

    permission_classes = [PAYMENT_ACCESS]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": SettlementsIn},
        responses={201: SETTLEMENT_IMPORT_SCHEMA, 200: SETTLEMENT_IMPORT_SCHEMA},
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed("Upload the CSV as the multipart field 'file'.", code="required", field="file")
        if upload.size > settlementfiles.MAX_BYTES:
            raise ValidationFailed("The file is larger than 5 MB.", code="file_too_large", field="file")
        result = settlements.settlements_csv_import(
            provider=request.data.get("provider", ""), content=upload.read(), user=request.user
        )
        body = {
            "created": [s.identifier for s in result.created],
            "already_imported": result.already_imported,
            "payouts_landed": result.payouts_landed,
        }
        return Response(body, status=201 if result.created else 200)
