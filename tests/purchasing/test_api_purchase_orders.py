"""GET /api/v1/purchase-orders/ (API.md 1.1): purchase orders with lines and goods receipts,
newest first, updated_since and cursor paging, against the rows in the database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from purchasing.models import PurchaseOrder
from purchasing.services import goods_receipt_post
from tests.factories.inventory import ProductFactory, WarehouseFactory
from tests.factories.purchasing import draft_purchase_order, sent_purchase_order

pytestmark = pytest.mark.django_db
URL = "/api/v1/purchase-orders/"


def _all(client, **params) -> list[dict]:
    body = client.get(URL, params).json()
    rows = list(body["results"])
    while body["next"]:
        body = client.get(body["next"]).json()
        rows.extend(body["results"])
    return rows


def test_purchase_orders_list_lines_receipts_and_updated_since(api_client_for):
    erp = api_client_for(scopes=["all"])
    ams = WarehouseFactory(code="AMS")
    mug = ProductFactory(sku="MUG-1")
    old = draft_purchase_order([(mug, 5, Decimal("2.00"))], warehouse=ams)
    PurchaseOrder.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=2))
    sent = sent_purchase_order([(mug, 10, Decimal("2.00"))], warehouse=ams)
    line = sent.lines.get()
    since = timezone.now()
    goods_receipt_post(purchase_order_id=sent.pk, quantities={line.pk: 4}, user=None)
    PurchaseOrder.objects.filter(pk=sent.pk).update(updated_at=timezone.now() - timedelta(days=1))
    rows = _all(erp, limit=1)
    assert [r["number"] for r in rows] == [sent.number, old.number]
    row = rows[0]
    assert row["warehouse"] == "AMS" and row["status"] == "partially_received"
    assert [(x["sku"], x["quantity_ordered"], x["quantity_received"]) for x in row["lines"]] == [("MUG-1", 10, 4)]
    assert [[(r["sku"], r["quantity"]) for r in receipt["lines"]] for receipt in row["receipts"]] == [[("MUG-1", 4)]]
    # a goods receipt since the moment counts as a change, even when updated_at is older
    assert [r["number"] for r in _all(erp, updated_since=since.isoformat())] == [sent.number]


def test_purchase_orders_need_the_all_scope_or_the_purchasing_role(api_client_for):
    from oms.roles import Role

    assert api_client_for(scopes=["orders:read"]).get(URL).status_code == 403
    assert api_client_for(Role.PURCHASING).get(URL).status_code == 200
