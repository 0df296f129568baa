"""The one-statement writer of new orders fills every column the models have."""

import re

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


@pytest.mark.django_db
def test_order_numbers_have_six_digits_then_grow(customer, mug):
    from django.db import connection

    first = place(customer, ("MUG-RED", 1)).number
    assert re.fullmatch(r"SO-\d{6}", first)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM orders_order_number")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT setval('orders_order_number', 999998)")
        try:
            numbers = [place(customer, ("MUG-RED", 1)).number for _ in range(2)]
        finally:  # a sequence is not rolled back with the test's transaction
            cursor.execute("SELECT setval('orders_order_number', %s)", [before])
    assert numbers == ["SO-999999", "SO-1000000"]
