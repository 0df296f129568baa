"""The one-statement writer of new orders fills every column the models have and publishes the
new order's events with it."""

import json

import pytest
from django.db import connection

from oms import events
from oms.models import OutboxEvent
from orders.services._writer import uncovered_columns
from tests.factories.inventory import ProductFactory, stock
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


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(events, "send", lambda ids: calls.append(list(ids)) or True)
    return calls


@pytest.mark.django_db(transaction=True)
def test_the_writer_publishes_the_new_orders_events_sent_once_after_commit(customer, ams, sent):
    # given a product whose order will take its stock below the reorder point: the reservation
    # publishes stock.low in the order's transaction, before the writer runs
    bowl = ProductFactory(sku="BOWL")
    stock(bowl, ams, 10, reorder_point=5)
    sent.clear()
    before = OutboxEvent.objects.order_by("id").last().pk  # the receipt's
    order = place(customer, ("BOWL", 8))
    # then the order's events are stored rows about it, after stock.low
    with connection.cursor() as cursor:  # feed_txid is a column of the database's (oms.feed)
        cursor.execute("SELECT id, name, payload, feed_txid FROM oms_outboxevent WHERE id > %s ORDER BY id", [before])
        rows = [(pk, name, json.loads(payload), txid) for pk, name, payload, txid in cursor.fetchall()]
    assert [name for _, name, _, _ in rows] == ["stock.low", "order.placed", "order.allocated"]
    assert [payload for _, _, payload, _ in rows[1:]] == [{"order_id": order.pk}] * 2
    # of one transaction, handed to the broker in one message after it committed
    assert len({txid for _, _, _, txid in rows}) == 1
    assert sent == [[pk for pk, _, _, _ in rows]]
