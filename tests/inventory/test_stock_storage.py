"""How stock levels are stored: the updates an order makes stay on their page (HOT updates)."""

import pytest
from django.db import connection

from inventory.models import Product
from inventory.services import ReserveLine, stock_receive, stock_reserve
from tests.factories.inventory import WarehouseFactory

pytestmark = pytest.mark.django_db


def _updates() -> tuple[int, int]:
    """This transaction's updates of stock levels so far: (all, those that stayed on their page)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'inventory_stocklevel'"
        )
        return cursor.fetchone()


def _levels_of_a_packed_page(warehouse) -> list[tuple[int, int]]:
    """(level id, product id) of every level on the page that holds the most of them: a page
    filled as far as the table lets inserts fill it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, product_id, (ctid::text::point)[0]::bigint AS page FROM inventory_stocklevel "
            "WHERE warehouse_id = %s ORDER BY id",
            [warehouse.pk],
        )
        rows = cursor.fetchall()
    pages: dict[int, list[tuple[int, int]]] = {}
    for level_id, product_id, page in rows:
        pages.setdefault(page, []).append((level_id, product_id))
    return max(pages.values(), key=len)


def test_receiving_and_reserving_on_a_packed_page_leaves_the_indexes_alone():
    # given: 400 products, so their stock levels (made by the database on insert) fill pages
    warehouse = WarehouseFactory()
    Product.objects.bulk_create(
        Product(sku=f"PACK-{n:04d}", name=f"Packed {n}", list_price="1.00", vat_category="high") for n in range(400)
    )
    page = _levels_of_a_packed_page(warehouse)
    assert len(page) > 50  # a real page of them, not the last one's remainder
    chosen = [product_id for _, product_id in page[:8]]
    before = _updates()
    # when: goods come in for eight of them and an order reserves some of each
    for product_id in chosen:
        stock_receive(product_id=product_id, warehouse_id=warehouse.pk, quantity=5, reference="PO-1")
    stock_reserve(lines=[ReserveLine(product_id, 2) for product_id in chosen], warehouse_ids=[warehouse.pk])
    # then: sixteen updates, every one written beside its old version without new index entries
    updated, hot = (after - was for after, was in zip(_updates(), before, strict=True))
    assert (updated, hot) == (16, 16)
