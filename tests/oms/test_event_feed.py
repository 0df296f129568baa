"""The event feed (API.md 1.1, oms.feed): the contract, and that a reader following the cursor
never skips a committed event, also while transactions commit out of id order (real threads
and connections on PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from oms import events, feed
from oms.models import OutboxEvent
from oms.roles import Role
from tests.concurrency.test_stock_races import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/events/"
# A transaction elsewhere in the database cluster holds the feed back until it ends (oms.feed):
# on a shared test server that can be seconds.
PATIENCE = 90


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Events stay in the outbox: nothing here is about handlers."""
    monkeypatch.setattr(events, "send", lambda ids: True)


@pytest.fixture
def reader(api_client_for):
    return api_client_for(scopes=["events:read"])


def _publish(name: str, **payload) -> OutboxEvent:
    with transaction.atomic():
        return events.publish(name, payload)


def _follow(client, *, cursor=None, params=None, until: set[int], limit: int = 50) -> tuple[list[dict], str | None]:
    """Read the feed from ``cursor`` by its ``next_cursor`` until every id in ``until`` was read."""
    seen: list[dict] = []
    deadline = time.monotonic() + PATIENCE
    while True:
        query = {"limit": limit, **(params or {}), **({"after": cursor} if cursor else {})}
        body = client.get(URL, query).json()
        seen.extend(body["results"])
        cursor = body["next_cursor"]
        if until <= {int(e["id"]) for e in seen}:
            return seen, cursor
        assert time.monotonic() < deadline, f"feed still lacks {sorted(until - {int(e['id']) for e in seen})}"
        if not body["results"]:
            time.sleep(0.05)


def _full_page(client, query: dict) -> dict:
    """The page, asked again until it comes back full (the horizon may hold events back)."""
    deadline = time.monotonic() + PATIENCE
    while True:
        body = client.get(URL, query).json()
        if len(body["results"]) == int(query["limit"]):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def test_feed_pages_committed_events_oldest_first_by_cursor(reader):
    published = [_publish("order.placed", order_id=n) for n in range(5)]
    ids = [e.pk for e in published]
    # the first page of two has a next URL and a cursor
    first = _full_page(reader, {"limit": 2})
    assert [e["id"] for e in first["results"]] == [str(i) for i in ids[:2]]
    assert first["next"] and "after=" in first["next"] and first["next_cursor"]
    event = first["results"][0]
    assert set(event) == {"id", "type", "created_at", "sequence", "data"}
    assert event["type"] == "order.placed" and event["data"] == {"order_id": 0}
    # the next URL continues after it, in the same page size
    second = reader.get(first["next"]).json()
    assert [int(e["id"]) for e in second["results"]] == ids[2 : 2 + len(second["results"])]
    # following the cursor to the end reads every event once, in order
    rest, cursor = _follow(reader, cursor=first["next_cursor"], until=set(ids[2:]), limit=2)
    assert [int(e["id"]) for e in first["results"] + rest] == ids
    body = reader.get(URL, {"after": cursor, "limit": 2}).json()
    assert body == {"results": [], "next_cursor": cursor, "next": None}
    # with nothing new, the cursor stays where it is
    again = reader.get(URL, {"after": body["next_cursor"]}).json()
    assert again == {"results": [], "next_cursor": body["next_cursor"], "next": None}
    # and a later event comes after it
    later = _publish("invoice.issued", invoice_id=9)
    seen, _ = _follow(reader, cursor=body["next_cursor"], until={later.pk})
    assert [int(e["id"]) for e in seen] == [later.pk]


def test_feed_filters_by_type_and_leaves_out_internal_events(reader):
    placed = _publish("order.placed", order_id=1)
    _publish("oms.ping", n=1)
    issued = _publish("invoice.issued", invoice_id=2)
    seen, _ = _follow(reader, until={placed.pk, issued.pk})
    assert {e["type"] for e in seen} == {"order.placed", "invoice.issued"}
    only, _ = _follow(reader, params={"types": "invoice.issued"}, until={issued.pk})
    assert [int(e["id"]) for e in only] == [issued.pk]


@pytest.mark.parametrize(
    "query, field, code",
    [
        ({"types": "order.nonsense"}, "types", "unknown_event_type"),
        ({"after": "not-a-cursor"}, "after", "invalid_cursor"),
        ({"after": "LTEuMA"}, "after", "invalid_cursor"),  # "-1.0"
        ({"limit": "0"}, "limit", "invalid"),
        ({"limit": "x"}, "limit", "invalid"),
        ({"limit": "501"}, "limit", "invalid"),
    ],
)
def test_feed_refuses_bad_parameters(reader, query, field, code):
    response = reader.get(URL, query)
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0] | {"message": ""} == {"field": field, "code": code, "message": ""}


def test_feed_keeps_events_for_its_retention_only(reader, settings):
    settings.OMS_EVENT_FEED_RETENTION_DAYS = 7
    old = _publish("order.placed", order_id=1)
    fresh = _publish("order.placed", order_id=2)
    OutboxEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    seen, _ = _follow(reader, until={fresh.pk})
    assert old.pk not in {int(e["id"]) for e in seen}
    # and the outbox prune keeps what the feed still serves
    settings.OMS_EVENT_FEED_RETENTION_DAYS = 30
    OutboxEvent.objects.filter(pk=fresh.pk).update(status="done", handled_at=timezone.now() - timedelta(days=10))
    assert events.prune(keep_days=1) == 0
    assert OutboxEvent.objects.filter(pk=fresh.pk).exists()


def test_feed_needs_the_events_read_scope(api_client_for):
    assert api_client_for(scopes=["orders:read"]).get(URL).status_code == 403
    assert api_client_for(Role.WAREHOUSE).get(URL).status_code == 403
    assert api_client_for(scopes=["events:read"]).get(URL).status_code == 200


def _naive_read(after_id: int) -> list[int]:
    """What a reader of ``id > cursor`` sees: the hazard the feed is built against."""
    return list(OutboxEvent.objects.filter(pk__gt=after_id).order_by("id").values_list("id", flat=True))


def test_an_event_committed_after_a_later_id_is_not_skipped(reader):
    # given transaction A that draws the smaller id and commits last
    drawn, release = threading.Event(), threading.Event()
    result: dict = {}

    def slow_transaction():
        try:
            with transaction.atomic():
                result["a"] = events.publish("order.placed", {"order_id": "A"})
                drawn.set()
                assert release.wait(PATIENCE)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    try:
        assert drawn.wait(30)
        # and transaction B that draws a larger id and commits first
        b = _publish("order.placed", order_id="B")
        a_id = result["a"].pk
        assert a_id < b.pk
        # when readers look while A is still open
        naive_seen = _naive_read(a_id - 1)
        feed_now = reader.get(URL).json()
        # then the naive reader sees B and moves its cursor past A; the feed holds B back
        assert naive_seen == [b.pk]
        assert b.pk not in {int(e["id"]) for e in feed_now["results"]}
    finally:
        release.set()
        thread.join(30)
    # after A commits, the naive reader never sees A; the feed reader gets A, then B
    assert _naive_read(b.pk) == []
    seen, _ = _follow(reader, cursor=feed_now["next_cursor"], until={a_id, b.pk})
    assert [int(e["id"]) for e in seen if int(e["id"]) in (a_id, b.pk)] == [a_id, b.pk]


@pytest.mark.slow
def test_no_event_is_skipped_while_orders_are_placed_concurrently(reader, api_client_for, settings):
    from orders.quotes import clear_warehouse_cache
    from tests.factories.customers import AddressFactory, CustomerFactory
    from tests.factories.inventory import ProductFactory, WarehouseFactory, stock
    from tests.factories.orders import place

    # given stock and customers for 48 orders on 8 threads (orders' own flat-rate delivery quotes)
    settings.OMS_DELIVERY_QUOTE_BACKEND = "orders.quotes.quote_delivery"
    clear_warehouse_cache()
    warehouse = WarehouseFactory(code="AMS")
    product = ProductFactory(sku="FEED-1")
    stock(product, warehouse, 500)
    customers = [CustomerFactory() for _ in range(4)]
    for customer in customers:
        AddressFactory(customer=customer)
    start = reader.get(URL, {"types": "order.placed"}).json()["next_cursor"]
    done = threading.Event()
    read: list[dict] = []
    failures: list[BaseException] = []

    # and a reader that follows the cursor the whole time, in small pages
    def follow():
        cursor = start
        try:
            client = api_client_for(scopes=["events:read"])
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                query = {"types": "order.placed", "limit": 5, **({"after": cursor} if cursor else {})}
                body = client.get(URL, query).json()
                read.extend(body["results"])
                cursor = body["next_cursor"]
                if done.is_set() and not body["results"]:
                    expected = OutboxEvent.objects.filter(name="order.placed").count()
                    if len(read) >= expected:
                        return
                    time.sleep(0.05)
        except BaseException as exc:  # reported by the test below
            failures.append(exc)
        finally:
            connection.close()

    follower = threading.Thread(target=follow)
    follower.start()

    # when 48 orders are placed at once
    def place_one(n):
        return place(customers[n % 4], ("FEED-1", 1))

    results = run_concurrently(place_one, list(range(48)), workers=8)
    done.set()
    follower.join(320)

    # then the reader read every order.placed event exactly once, in the feed's order
    assert not [r for r in results if isinstance(r, Exception)]
    assert not failures and not follower.is_alive()
    stored = set(OutboxEvent.objects.filter(name="order.placed").values_list("id", flat=True))
    read_ids = [int(e["id"]) for e in read]
    assert len(stored) == 48
    assert len(read_ids) == len(set(read_ids)) == 48
    assert set(read_ids) == stored
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, feed_txid FROM oms_outboxevent WHERE id = ANY(%s)", [read_ids])
        txid = dict(cursor.fetchall())
    positions = [(txid[i], i) for i in read_ids]
    assert positions == sorted(positions)


def test_cursor_round_trip():
    assert feed.decode_cursor(feed.encode_cursor((123456789012, 42))) == (123456789012, 42)
