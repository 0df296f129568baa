"""Purchase orders in the header search (registered in ``oms.search``)."""

from __future__ import annotations

import re

from django.db.models import Q
from django.urls import reverse

from oms import search
from oms.money import format_eur
from oms.roles import Role
from purchasing.models import PurchaseOrder

NUMBER = re.compile(r"^po-?\d{1,9}$", re.IGNORECASE)


def _normalize(query: str) -> str:
    return f"PO-{int(re.sub(r'^po-?', '', query, flags=re.IGNORECASE)):06d}"


def po_url_by_number(query: str) -> str | None:
    if not NUMBER.match(query):
        return None
    number = _normalize(query)
    if not PurchaseOrder.objects.filter(number=number).exists():
        return None
    return reverse("purchasing:po_detail", kwargs={"number": number})


@search.register("purchase_orders", "Purchase orders", roles=(Role.PURCHASING,), order=50, exact=po_url_by_number)
def find_purchase_orders(query: str, limit: int) -> list[search.Hit]:
    """By number (unique index) or the supplier's name or e-mail (a small table). One query."""
    condition = Q(supplier__name__icontains=query) | Q(supplier__email__iexact=query)
    if NUMBER.match(query):
        condition |= Q(number=_normalize(query))
    orders = PurchaseOrder.objects.filter(condition).select_related("supplier").order_by("-id")[:limit]
    return [
        search.Hit(
            title=f"{po.number} · {po.supplier.name}",
            subtitle=f"{po.get_status_display()} · {format_eur(po.total_amount)}",
            url=reverse("purchasing:po_detail", kwargs={"number": po.number}),
        )
        for po in orders
    ]
