"""Read queries for systems that synchronise with us (an ERP): the invoices and payments changed
since a moment, for the cursor-paginated lists of the API (API.md 1.1 "Money documents").

Invoices and payments have no ``updated_at`` column (issued invoices and recorded payments are
immutable apart from their running totals, under database triggers), so "changed since" is
derived from what changes them: an invoice is new, was paid (an allocation), credited (a credit
note) or e-mailed since; a payment is new, or was allocated or refunded since.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from billing.models import Invoice, Payment, PaymentAllocation


def invoices_changed(*, updated_since: datetime | None = None, owner: int | None = None) -> QuerySet[Invoice]:
    """Invoices and credit notes with what the API shows of them prefetched (customer, order,
    credited invoice, lines, VAT rows, credit notes: five queries a page). ``owner``: only the
    invoices of orders entered by that user (a bound API client)."""
    invoices = Invoice.objects.select_related("customer", "order", "credit_of").prefetch_related(
        "lines", "vat_lines", Prefetch("credit_notes", queryset=Invoice.objects.order_by("id"))
    )
    if owner is not None:
        invoices = invoices.filter(order__entered_by_id=owner)
    if updated_since is not None:
        paid = PaymentAllocation.objects.filter(invoice_id=OuterRef("pk"), created_at__gte=updated_since)
        credited = Invoice.objects.filter(credit_of_id=OuterRef("pk"), created_at__gte=updated_since)
        invoices = invoices.filter(
            Q(created_at__gte=updated_since) | Q(sent_at__gte=updated_since) | Exists(paid) | Exists(credited)
        )
    return invoices


def payments_changed(*, updated_since: datetime | None = None, owner: int | None = None) -> QuerySet[Payment]:
    """Payments and refunds with their order, customer, refunded payment and allocations (with
    invoice numbers) prefetched (three queries a page)."""
    payments = Payment.objects.select_related("order", "customer", "refund_of").prefetch_related(
        Prefetch("allocations", queryset=PaymentAllocation.objects.select_related("invoice").order_by("id"))
    )
    if owner is not None:
        payments = payments.filter(order__entered_by_id=owner)
    if updated_since is not None:
        allocated = PaymentAllocation.objects.filter(payment_id=OuterRef("pk"), created_at__gte=updated_since)
        refunded = Payment.objects.filter(refund_of_id=OuterRef("pk"), created_at__gte=updated_since)
        payments = payments.filter(Q(created_at__gte=updated_since) | Exists(allocated) | Exists(refunded))
    return payments
