"""Orders in the header search (registered in ``oms.search``)."""

from __future__ import annotations

import re

from django.urls import reverse

from oms import search
from oms.money import format_eur
from oms.roles import Role
from orders import selectors
from orders.models import Order

NUMBER = re.compile(r"^so-?\d{1,9}$", re.IGNORECASE)


def order_url_by_number(query: str) -> str | None:
    if not NUMBER.match(query):
        return None
    number = f"SO-{int(re.sub(r'^so-?', '', query, flags=re.IGNORECASE)):06d}"
    if not Order.objects.filter(number=number).exists():
        return None
    return reverse("orders:detail", kwargs={"number": number})


@search.register(
    "orders",
    "Orders",
    roles=(Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.ACCOUNTING),
    order=20,
    exact=order_url_by_number,
)
def find_orders(query: str, limit: int) -> list[search.Hit]:
    """By number, webshop reference, shipping postcode, or the customer's name, e-mail, phone or
    postcode: the order list's own search (indexed; two queries)."""
    orders = selectors.order_list(search=query, exclude_drafts=True)[:limit]
    return [
        search.Hit(
            title=f"{order.number} · {order.customer.display_name}",
            subtitle=f"{order.get_status_display()} · {order.created_at:%d-%m-%Y} · {format_eur(order.gross_amount)}",
            url=reverse("orders:detail", kwargs={"number": order.number}),
        )
        for order in orders
    ]
