"""Customers in the header search (registered in ``oms.search``)."""

from __future__ import annotations

import re

from django.urls import reverse

from customers import selectors
from customers.models import Customer
from oms import search
from oms.roles import Role

NUMBER = re.compile(r"^c-?\d{1,9}$", re.IGNORECASE)


def customer_url_by_number(query: str) -> str | None:
    if not NUMBER.match(query):
        return None
    number = f"C-{int(re.sub(r'^c-?', '', query, flags=re.IGNORECASE)):06d}"
    if not Customer.objects.filter(number=number).exists():
        return None
    return reverse("customers:detail", kwargs={"number": number})


@search.register(
    "customers", "Customers", roles=(Role.CUSTOMER_SERVICE, Role.ACCOUNTING), order=10, exact=customer_url_by_number
)
def find_customers(query: str, limit: int) -> list[search.Hit]:
    """Number, name, company, e-mail, phone or postcode: customers' trigram search (two queries)."""
    hits = []
    for customer in selectors.customer_search(query, limit=limit):
        address = next(iter(getattr(customer, "default_addresses", []) or []), None)
        place = f"{address.postal_code} {address.city}" if address else ""
        hits.append(
            search.Hit(
                title=f"{customer.number} · {customer.display_name}",
                subtitle=" · ".join(part for part in (customer.email, place) if part),
                url=reverse("customers:detail", kwargs={"number": customer.number}),
            )
        )
    return hits
