"""Fulfilment reads run a fixed number of queries whatever the number of rows."""

import pytest

from orders.models import Order
from shipping.selectors import fulfilment as selectors
from tests.shipping.flow import place, ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipments(customer, mug, plate, ams, packer, parcel_carrier):
    return [ship(place(customer, ("MUG-RED", 1), ("PLATE-1", 1)), ams, packer) for _ in range(3)]


def test_order_api_shipments_is_one_query_for_any_number_of_orders(shipments, django_assert_num_queries):
    orders = list(Order.objects.filter(pk__in=[s.order_id for s in shipments]))
    with django_assert_num_queries(1):
        found = selectors.order_api_shipments(orders)
    assert {order_id: [s["number"] for s in rows] for order_id, rows in found.items()} == {
        s.order_id: [s.number] for s in shipments
    }


def test_shipment_get_and_panels_have_fixed_query_counts(shipments, customer, django_assert_num_queries):
    with django_assert_num_queries(7):
        shipment = selectors.shipment_get(shipments[0].pk)
        assert [line.sku for line in shipment.lines.all()] == ["MUG-RED", "PLATE-1"]
        assert [e.status for e in shipment.tracking_events.all()] == ["handed_off"]
    with django_assert_num_queries(2):
        rows = selectors.shipments_for_order(shipments[1].order_id)
        assert sum(line.quantity for s in rows for line in s.lines.all()) == 2
    with django_assert_num_queries(1):
        assert [s.pk for s in selectors.shipments_for_customer(customer.pk)] == [s.pk for s in reversed(shipments)]


def test_pick_queue_page_is_two_queries(customer, mug, plate, ams, parcel_carrier, django_assert_num_queries):
    for _ in range(4):
        place(customer, ("MUG-RED", 1), ("PLATE-1", 1))
    with django_assert_num_queries(2):
        page = list(selectors.pick_queue(ams.pk)[:50])
        units = selectors.units_to_pick(page, ams.pk)
        assert [units[o.pk].units for o in page] == [2, 2, 2, 2] and page[0].customer.name
