"""The one-statement writer of new orders fills every column the models have."""

import pytest

from orders.services._writer import uncovered_columns
from tests.factories.orders import place


def test_the_writer_names_every_column_of_the_order_tables():
    assert uncovered_columns() == {"Order": set(), "OrderLine": set(), "Allocation": set(), "OrderEvent": set()}


@pytest.mark.django_db
def test_the_writer_sets_ids_and_the_number(customer, mug):
    order = place(customer, ("MUG-RED", 2))
    line = order.lines.all()[0]
    allocation = line.allocations.all()[0]
    assert order.pk and order.number.startswith("SO-") and line.pk and line.order_id == order.pk
    assert allocation.pk and allocation.order_line_id == line.pk
    assert not order._state.adding and not line._state.adding
    order.refresh_from_db()  # a real row
