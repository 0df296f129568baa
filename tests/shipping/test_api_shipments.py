"""GET /api/v1/shipments/ (API.md 1.1): shipments with tracking, newest first, updated_since and
cursor paging, against the rows in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shipping.models import Shipment, ShipmentStatus, TrackingEvent
from tests.factories.shipping import ShipmentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/shipments/"


@pytest.fixture
def erp(api_client_for):
    return api_client_for(scopes=["orders:read"])


def _all(client, **params) -> list[dict]:
    body = client.get(URL, params).json()
    rows = list(body["results"])
    while body["next"]:
        body = client.get(body["next"]).json()
        rows.extend(body["results"])
    return rows


def test_shipments_list_with_tracking_newest_first_and_updated_since(erp):
    long_ago = timezone.now() - timedelta(days=3)
    old, tracked, fresh = (ShipmentFactory(updated_at=long_ago) for _ in range(3))
    Shipment.objects.filter(pk=fresh.pk).update(updated_at=timezone.now(), tracking_number="3STEST1")
    since = timezone.now() - timedelta(hours=1)
    TrackingEvent.objects.create(
        shipment=tracked, carrier=tracked.carrier, event_id="e-1", status=ShipmentStatus.IN_TRANSIT,
        occurred_at=timezone.now(), description="Sorted", location="Utrecht",
    )  # fmt: skip
    rows = _all(erp, limit=1)
    assert [r["number"] for r in rows] == [fresh.number, tracked.number, old.number]
    by_number = {r["number"]: r for r in rows}
    assert by_number[fresh.number]["tracking_number"] == "3STEST1"
    assert by_number[fresh.number]["order"] == fresh.order.number
    assert by_number[tracked.number]["tracking"] == [
        {
            "status": "in_transit",
            "occurred_at": by_number[tracked.number]["tracking"][0]["occurred_at"],
            "description": "Sorted",
            "location": "Utrecht",
        }
    ]
    changed = [r["number"] for r in _all(erp, updated_since=since.isoformat())]
    assert changed == [fresh.number, tracked.number]


def test_a_bound_client_lists_only_its_own_orders_shipments(api_client_for):
    shop = api_client_for(scopes=["orders:read", "orders:write"], channel="web")
    mine = ShipmentFactory(order__entered_by=shop.user)
    ShipmentFactory()
    assert [r["number"] for r in _all(shop)] == [mine.number]
