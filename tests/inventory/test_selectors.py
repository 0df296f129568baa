"""Selectors other apps call: answers and query budgets."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from inventory import selectors
from inventory.selectors import ExpectedReceiptInfo, WarehouseStock
from oms.errors import NotFound
from tests.factories.inventory import ExpectedReceiptFactory, ProductFactory, WarehouseFactory, level, stock

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def ams():
    return WarehouseFactory(code="AMS", priority=10, cutoff_time=time(15, 0))


@pytest.fixture
def rtm():
    return WarehouseFactory(code="RTM", priority=20)


def test_product_get_by_sku_and_products_by_skus(django_assert_num_queries):
    a, b = ProductFactory(sku="A"), ProductFactory(sku="B")
    assert selectors.product_get_by_sku("A") == a
    with pytest.raises(NotFound):
        selectors.product_get_by_sku("a")
    with django_assert_num_queries(1):
        assert selectors.products_by_skus(["A", "B", "C", "A"]) == {"A": a, "B": b}


def test_product_search_puts_an_exact_sku_or_barcode_first():
    ProductFactory(sku="MUG-10", name="Mug ten")
    ProductFactory(sku="MUG-1", name="Mug one")
    ProductFactory(sku="BOWL", name="Bowl for a mug", barcode="8712345678906")
    ProductFactory(sku="PLATE", name="Plate")
    assert [p.sku for p in selectors.product_search("mug-1")] == ["MUG-1", "MUG-10"]
    assert [p.sku for p in selectors.product_search("mug")] == ["MUG-1", "MUG-10", "BOWL"]
    assert [p.sku for p in selectors.product_search("8712345678906")] == ["BOWL"]
    assert [p.sku for p in selectors.product_search("bowl MUG")] == ["BOWL"]
    assert selectors.product_search("  ") == []
    assert len(selectors.product_search("m", limit=1)) == 1


def test_stock_by_product_is_one_query_over_active_warehouses(ams, rtm, django_assert_num_queries):
    off = WarehouseFactory(code="OFF", active=False)
    a, b = ProductFactory(), ProductFactory()
    stock(a, ams, 5, reserved=2)
    stock(a, off, 9)
    with django_assert_num_queries(1):
        result = selectors.stock_by_product([a.pk, b.pk])
    assert result[a.pk] == [
        WarehouseStock(ams.pk, "AMS", level(a, ams).pk, 5, 2, 3),
        WarehouseStock(rtm.pk, "RTM", level(a, rtm).pk, 0, 0, 0),
    ]
    assert [s.warehouse_code for s in result[b.pk]] == ["AMS", "RTM"]


def test_next_expected_receipts_is_the_earliest_future_one_per_product(ams, rtm, django_assert_num_queries):
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    today = date.today()
    ExpectedReceiptFactory(product=a, warehouse=ams, quantity=5, expected_date=today + timedelta(days=9))
    ExpectedReceiptFactory(product=a, warehouse=rtm, quantity=7, expected_date=today + timedelta(days=2))
    ExpectedReceiptFactory(product=b, warehouse=ams, quantity=1, expected_date=today - timedelta(days=1))
    with django_assert_num_queries(1):
        result = selectors.next_expected_receipts([a.pk, b.pk, c.pk])
    assert result == {a.pk: ExpectedReceiptInfo(today + timedelta(days=2), 7, rtm.pk)}


def test_stock_levels_for_reorder_scan_counts_incoming_supply(ams, rtm):
    # given: three levels below their reorder point of 10, one of them with enough on the way
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    stock(a, ams, 4, reorder_point=10)
    stock(b, ams, 12, reserved=5, reorder_point=10)
    stock(c, ams, 2, reorder_point=10)
    ExpectedReceiptFactory(product=c, warehouse=ams, quantity=8)
    ExpectedReceiptFactory(product=a, warehouse=ams, quantity=3)
    stock(ProductFactory(), ams, 50, reorder_point=10)
    # then
    rows = {(lv.product_id, lv.available_qty, lv.incoming) for lv in selectors.stock_levels_for_reorder_scan()}
    assert rows == {(a.pk, 4, 3), (b.pk, 7, 0)}


# --- promised delivery date (the estimate used when no quote backend answers) --------------------


@pytest.fixture
def no_quote_backend(settings):
    settings.OMS_DELIVERY_QUOTE_BACKEND = ""


@pytest.mark.parametrize(
    "now,expected",
    [
        (datetime(2026, 11, 26, 10, 0), date(2026, 11, 27)),  # Thursday before the cut-off: ships today
        (datetime(2026, 11, 26, 16, 0), date(2026, 11, 30)),  # Thursday after it: ships Friday, arrives Monday
        (datetime(2026, 11, 27, 18, 0), date(2026, 12, 1)),  # Friday evening: ships Monday, arrives Tuesday
        (datetime(2026, 11, 28, 9, 0), date(2026, 12, 1)),  # Saturday
    ],
)
def test_promised_delivery_date_estimate_respects_the_cut_off_and_weekends(ams, no_quote_backend, now, expected):
    product = ProductFactory()
    stock(product, ams, 3)
    availability = selectors.product_availability(product, now=now.replace(tzinfo=AMSTERDAM))
    assert availability["available"] == 3 and availability["promised_delivery_date"] == expected


def test_promised_delivery_date_estimate_waits_for_the_next_receipt(ams, no_quote_backend):
    product = ProductFactory()
    now = datetime(2026, 11, 26, 10, 0, tzinfo=AMSTERDAM)
    assert selectors.product_availability(product, now=now)["promised_delivery_date"] is None
    ExpectedReceiptFactory(product=product, warehouse=ams, expected_date=date(2026, 12, 5))  # a Saturday
    assert selectors.product_availability(product, now=now)["promised_delivery_date"] == date(2026, 12, 8)
