"""Invoices in the header search (registered in ``oms.search``)."""

from __future__ import annotations

import re

from django.db.models import Q
from django.urls import reverse

from billing.models import Invoice
from customers import selectors as customer_selectors
from oms import search
from oms.money import format_eur
from oms.roles import Role

# 2026-000001, and credit notes CN-2026-000001
NUMBER = re.compile(r"^(cn-)?\d{4}-\d{1,6}$", re.IGNORECASE)
SEARCH_CUSTOMERS = 200


def _normalize(query: str) -> str:
    prefix = "CN-" if query.upper().startswith("CN-") else ""
    year, sequence = query.upper().removeprefix("CN-").split("-")
    return f"{prefix}{year}-{int(sequence):06d}"


def invoice_url_by_number(query: str) -> str | None:
    if not NUMBER.match(query):
        return None
    number = _normalize(query)
    if not Invoice.objects.filter(number=number).exists():
        return None
    return reverse("billing:invoice_detail", kwargs={"number": number})


@search.register(
    "invoices", "Invoices", roles=(Role.ACCOUNTING, Role.CUSTOMER_SERVICE), order=30, exact=invoice_url_by_number
)
def find_invoices(query: str, limit: int) -> list[search.Hit]:
    """By number (exact, unique index) or the customer's name, e-mail or postcode (customers'
    trigram index, then ``invoice_customer_idx``). Two queries."""
    condition = Q(number=_normalize(query)) if NUMBER.match(query) else Q()
    customers = customer_selectors.customer_ids_matching(query, limit=SEARCH_CUSTOMERS)
    if customers:
        condition |= Q(customer_id__in=customers)
    if not condition:
        return []
    invoices = Invoice.objects.filter(condition).order_by("-issue_date", "-id")[:limit]
    return [
        search.Hit(
            title=f"{invoice.number} · {invoice.buyer_company or invoice.buyer_name}",
            subtitle=" · ".join(
                (invoice.get_status_display(), f"{invoice.issue_date:%d-%m-%Y}", format_eur(invoice.gross_amount))
            ),
            url=reverse("billing:invoice_detail", kwargs={"number": invoice.number}),
        )
        for invoice in invoices
    ]
