"""GET /api/v1/stock-movements/ (API.md 1.1): every movement, newest first, updated_since and
cursor paging, equal to the movements in the database."""

from __future__ import annotations

import pytest
from django.utils import timezone

from inventory.models import StockMovement
from tests.factories.inventory import ProductFactory, WarehouseFactory, stock

pytestmark = pytest.mark.django_db
URL = "/api/v1/stock-movements/"


@pytest.fixture
def wms(api_client_for):
    return api_client_for(scopes=["stock:write"])


def _all(client, **params) -> list[dict]:
    body = client.get(URL, params).json()
    rows = list(body["results"])
    while body["next"]:
        body = client.get(body["next"]).json()
        rows.extend(body["results"])
    return rows


def test_stock_movements_list_every_movement_newest_first_by_cursor(wms):
    ams = WarehouseFactory(code="AMS")
    mug, book = ProductFactory(sku="MUG-1"), ProductFactory(sku="BOOK-1")
    stock(mug, ams, 10)
    stock(book, ams, 5)
    since = timezone.now()
    response = wms.post(
        "/api/v1/stock/adjustments/",
        {"sku": "MUG-1", "warehouse": "AMS", "quantity_delta": -2, "reason": "damage"},
        format="json",
    )
    assert response.status_code == 201
    rows = _all(wms, limit=1)
    stored = list(StockMovement.objects.order_by("-id"))
    assert [r["id"] for r in rows] == [m.pk for m in stored]
    newest = rows[0]
    assert (newest["sku"], newest["warehouse"], newest["quantity"], newest["on_hand_after"]) == ("MUG-1", "AMS", -2, 8)
    assert newest["kind"] == stored[0].kind and newest["reason"] == "damage"
    assert [r["id"] for r in _all(wms, updated_since=since.isoformat())] == [stored[0].pk]
    bad = wms.get(URL, {"updated_since": "soon"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "updated_since"


def test_stock_movements_need_the_stock_scope(api_client_for):
    assert api_client_for(scopes=["orders:read"]).get(URL).status_code == 403
