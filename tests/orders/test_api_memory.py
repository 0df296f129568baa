"""An order placed through the API is let go when its request ends: the order, its lines and
their allocations refer to each other through the relation caches the placement fills, so unless
the view releases them they wait for the garbage collector, whose collections then walk every
order's graph (bench/intake_cpu.py prints the collector's time per order)."""

import gc

import pytest

from customers.models import Address, Customer
from orders.models import Allocation, Order, OrderLine

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"


def body(customer, n: int) -> dict:
    return {
        "channel": "web",
        "external_reference": f"MEM-{n}",
        "customer": {"number": customer.number},
        "lines": [{"sku": "MUG-RED", "quantity": 1}, {"sku": "BOOK-1", "quantity": 2}],
        "payment_method": "ideal",
    }


def test_a_placed_orders_rows_go_with_the_request_not_at_a_collection(api_client_for, customer, mug, book):
    api = api_client_for(scopes=["orders:write"], channel="web")
    assert api.post(URL, body(customer, 0), format="json").status_code == 201  # caches warm
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # a collection keeps what it finds unreachable, to be looked at
    try:
        response = api.post(URL, body(customer, 1), format="json")
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, Order | OrderLine | Allocation | Customer | Address)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert response.status_code == 201, response.content
    assert response.json()["lines"][1]["quantity"] == 2
    assert left == []
