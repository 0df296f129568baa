"""Order placement through shipping's delivery-quote backend (the settings default), and the
orders' stand-in backend when the configured one cannot be imported."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oms.errors import Conflict
from orders.models import Order
from tests.factories.inventory import ProductFactory, stock
from tests.factories.orders import ADDRESS, place
from tests.factories.shipping import parcel_service

pytestmark = pytest.mark.django_db
SHIPPING = "shipping.quotes.quote_delivery"


@override_settings(OMS_DELIVERY_QUOTE_BACKEND=SHIPPING)
def test_order_place_takes_the_charge_and_promise_from_shipping(customer, mug, ams):
    # given a carrier with 4.10 up to 2 kg and 6.95 up to 10 kg
    parcel_service("postnl")
    # when an order of 12 mugs (3 kg; 2 are backordered) is placed
    order = place(customer, ("MUG-RED", 12))
    # then shipping's quote decided the charge, the carrier and the dates
    assert (order.shipping_amount, order.carrier_code) == (Decimal("6.95"), "postnl")
    assert order.promised_delivery_date >= order.first_delivery_date >= order.supply_date
    assert order.gross_amount == order.net_amount + order.shipping_amount + order.vat_amount


@override_settings(OMS_DELIVERY_QUOTE_BACKEND=SHIPPING)
def test_no_carrier_for_the_address_is_a_409_at_the_shipping_address(customer, mug):
    with pytest.raises(Conflict) as caught:
        place(customer, ("MUG-RED", 1))
    assert (caught.value.code, caught.value.field) == ("shipping_unavailable", "shipping_address.country")
    assert not Order.objects.exists()


@override_settings(OMS_DELIVERY_QUOTE_BACKEND="nowhere.quotes.quote_delivery", OMS_FLAT_SHIPPING_AMOUNT="3.50")
def test_an_absent_backend_falls_back_to_the_flat_rate(customer, mug):
    assert place(customer, ("MUG-RED", 1)).shipping_amount == Decimal("3.50")


# --- the quote's reference data, cached per process ----------------------------------------------

# Tables the quote reads for its reference data (carriers, rates, areas, thresholds, holidays,
# warehouses): on a warm cache an order reads none of them.
REFERENCE_TABLE = re.compile(r'\b(?:FROM|JOIN)\s+"?(?:shipping_\w+|inventory_warehouse)\b', re.IGNORECASE)


def catalogue(ams, count: int) -> list[str]:
    skus = [f"Q-{n:02d}" for n in range(count)]
    for sku in skus:
        stock(ProductFactory(sku=sku, weight_grams=100), ams, 50)
    return skus


def reads_of_reference_tables(captured) -> list[str]:
    return [q["sql"][:120] for q in captured.captured_queries if REFERENCE_TABLE.search(q["sql"])]


@override_settings(OMS_DELIVERY_QUOTE_BACKEND=SHIPPING)
def test_a_rate_edited_in_the_screens_is_used_by_the_next_order(manager_client, customer, mug):
    # given a parcel service at 4.10 up to 2 kg, and an order that filled this process's cache
    service = parcel_service("postnl")
    assert place(customer, ("MUG-RED", 1)).shipping_amount == Decimal("4.10")
    # when a manager edits the rate on the rate screen
    url = reverse("shipping:rates_edit", args=[service.pk, "nl"])
    assert manager_client.post(url, {"brackets": "2 5.25\n10 7.50"}).status_code == 302
    # then the very next order is charged the new rate
    assert place(customer, ("MUG-RED", 1)).shipping_amount == Decimal("5.25")


@override_settings(OMS_DELIVERY_QUOTE_BACKEND=SHIPPING)
def test_order_place_on_the_shipped_quote_reads_no_reference_table_when_warm(customer, ams):
    parcel_service("postnl", rates={"nl": [(30000, "4.10")]})
    skus = catalogue(ams, 10)
    place(customer, (skus[0], 1))  # caches warm
    counts = []
    for size in (1, 10):
        with CaptureQueriesContext(connection) as captured:
            place(customer, *[(sku, 1) for sku in skus[:size]])
        counts.append(len(captured))
        assert reads_of_reference_tables(captured) == []
    with override_settings(OMS_DELIVERY_QUOTE_BACKEND="orders.quotes.quote_delivery"):
        place(customer, (skus[0], 1))  # its warehouses cached too
        with CaptureQueriesContext(connection) as flat:
            place(customer, *[(sku, 1) for sku in skus])
    # as many as the flat stand-in's: the tables' stamps come with the products' read
    assert counts[0] == counts[1] == len(flat) <= 8, (counts, len(flat))
    assert not any("oms_read_table_stamps" in q["sql"] for q in captured.captured_queries)


@override_settings(OMS_DELIVERY_QUOTE_BACKEND=SHIPPING)
def test_api_order_on_the_shipped_quote_costs_at_most_twelve_queries_whatever_the_lines(api_client_for, customer, ams):
    parcel_service("postnl", rates={"nl": [(30000, "4.10")]})
    skus = catalogue(ams, 10)
    api = api_client_for("api_client")

    def body(n: int, size: int) -> dict:
        lines = [{"sku": sku, "quantity": 1} for sku in skus[:size]]
        return {"channel": "web", "customer": {"number": customer.number}, "shipping_address": ADDRESS, "lines": lines,
                "payment_method": "ideal", "external_reference": f"WEB-{n}"}  # fmt: skip

    api.post("/api/v1/orders/", body(0, 1), format="json", HTTP_IDEMPOTENCY_KEY="warm")  # caches warm
    counts = []
    for size in (1, 10):
        with CaptureQueriesContext(connection) as captured:
            response = api.post("/api/v1/orders/", body(size, size), format="json", HTTP_IDEMPOTENCY_KEY=f"k{size}")
        assert response.status_code == 201, response.json()
        assert response.json()["totals"]["shipping"] == "4.10"
        assert reads_of_reference_tables(captured) == []
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 11, counts
