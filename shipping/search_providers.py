"""Shipments in the header search (registered in ``oms.search``)."""

from __future__ import annotations

import re

from django.db.models import Q
from django.urls import reverse

from customers import selectors as customer_selectors
from oms import search
from oms.roles import Role
from shipping.models import Shipment

NUMBER = re.compile(r"^sh-?\d{1,9}$", re.IGNORECASE)
SEARCH_CUSTOMERS = 200


def _normalize(query: str) -> str:
    return f"SH-{int(re.sub(r'^sh-?', '', query, flags=re.IGNORECASE)):06d}"


def shipment_url_by_number(query: str) -> str | None:
    if not NUMBER.match(query):
        return None
    pk = Shipment.objects.filter(number=_normalize(query)).values_list("pk", flat=True).first()
    return reverse("shipping:shipment_detail", kwargs={"shipment_id": pk}) if pk else None


@search.register(
    "shipments",
    "Shipments",
    roles=(Role.WAREHOUSE, Role.CUSTOMER_SERVICE),
    order=40,
    exact=shipment_url_by_number,
)
def find_shipments(query: str, limit: int) -> list[search.Hit]:
    """By number or tracking number (indexed), or the customer's name, e-mail or postcode
    (customers' trigram index, then ``shipment_customer_idx``). Two queries."""
    condition = Q(tracking_number=query)
    if NUMBER.match(query):
        condition |= Q(number=_normalize(query))
    customers = customer_selectors.customer_ids_matching(query, limit=SEARCH_CUSTOMERS)
    if customers:
        condition |= Q(customer_id__in=customers)
    shipments = Shipment.objects.filter(condition).select_related("order", "carrier").order_by("-id")[:limit]
    return [
        search.Hit(
            title=f"{s.number} · {s.order.number}",
            subtitle=" · ".join(
                part
                for part in (
                    s.get_status_display(),
                    s.carrier.name if s.carrier else "",
                    s.address.get("postal_code", ""),
                )
                if part
            ),
            url=reverse("shipping:shipment_detail", kwargs={"shipment_id": s.pk}),
        )
        for s in shipments
    ]
