"""Benchmark: the header search at 1M orders (suggestions as you type, and the results page).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms .venv/bin/python bench/search.py [--requests 30]

Same database as bench/dashboards.py (bench/order_screens.py's 1M orders and 100k customers,
plus 30,000 shipments and ~975k invoices). A manager searches (every provider answers), through the whole Django
stack; prints p50/p95/max and the queries per search. Goal: as-you-type well under 200 ms.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

HTMX = {"HTTP_HX_REQUEST": "true"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    import dashboards
    import order_screens

    order_screens.setup_django(order_screens.bench_database_url())
    order_screens.seed(False)
    dashboards.seed_shipments()
    dashboards.seed_billing()

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from billing.models import Invoice
    from customers.models import Address, Customer
    from orders.models import Order
    from shipping.models import Shipment

    manager, _ = get_user_model().objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name="manager"))
    client = Client()
    client.force_login(manager)

    order = Order.objects.order_by("-id").values_list("number", flat=True)[500]
    customer = Customer.objects.order_by("id")[777]
    postcode = Address.objects.filter(customer=customer).values_list("postal_code", flat=True).first()
    shipment = Shipment.objects.order_by("-id").values_list("number", flat=True).first()
    invoice = Invoice.objects.order_by("-id").values_list("number", flat=True)[1000]
    queries = [
        ("order number (suggest)", order),
        ("customer number (suggest)", customer.number),
        ("shipment number (suggest)", shipment),
        ("invoice number (suggest)", invoice),
        ("customer name, two words (suggest)", customer.name),
        ("common surname (suggest)", "jansen"),
        ("e-mail (suggest)", customer.email),
        ("postcode (suggest)", postcode),
        ("nothing matches (suggest)", "zzqxw"),
        ("two letters (suggest)", "de"),
    ]
    scenarios = [(name, lambda q=q: client.get("/search/", {"q": q}, **HTMX)) for name, q in queries]
    scenarios += [
        ("results page: common surname", lambda: client.get("/search/", {"q": "jansen"})),
        ("results page: order number (redirect)", lambda: client.get("/search/", {"q": order})),
        ("results page: invoice number (redirect)", lambda: client.get("/search/", {"q": invoice})),
    ]
    worst = order_screens.report("header search at 1M orders (manager: all providers)", scenarios, args.requests)
    print(f"\nworst p95: {worst:.1f} ms")


if __name__ == "__main__":
    main()
