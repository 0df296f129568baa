"""Export links download what the list shows: a filter or sort changed on the page (htmx, no
page load) goes into the export link at once (issue 19)."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.factories.inventory import ProductFactory, WarehouseFactory, stock
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _download(page, link) -> list[list[str]]:
    with page.expect_download() as info:
        link.click()
    with open(info.value.path(), encoding="utf-8") as handle:
        return list(csv.reader(io.StringIO(handle.read())))


def test_stock_export_follows_the_filter_and_sort_changed_on_the_page(live_server, browser_page, make_user):
    # given three products, two of them below their reorder point
    make_user("warehouse", username="wim")
    ams = WarehouseFactory(code="AMS", name="Amsterdam")
    for sku, on_hand, reorder_point in (("A-LOW", 1, 5), ("B-OK", 50, 5), ("C-LOW", 2, 10)):
        stock(ProductFactory(sku=sku, name=sku), ams, on_hand, reorder_point=reorder_point)
    page = browser_page
    login(page, live_server, "wim")
    page.goto(f"{live_server.url}/inventory/")
    # when the filter switches to "below reorder point" on the page
    page.locator("#id_status").select_option("low")
    page.wait_for_url("**status=low**")
    expect(page.get_by_test_id("stock-row")).to_have_count(2)
    # then the export has those rows only
    rows = _download(page, page.get_by_test_id("export-link"))
    assert [row[0] for row in rows[1:]] == ["A-LOW", "C-LOW"]
    # and when the list is sorted by SKU descending, the export follows that too
    page.get_by_role("columnheader", name="SKU").get_by_role("link").click()
    page.wait_for_url("**sort=-sku**")
    rows = _download(page, page.get_by_test_id("export-link"))
    assert [row[0] for row in rows[1:]] == ["C-LOW", "A-LOW"]


def test_journal_exports_follow_the_period_typed_on_the_page(live_server, browser_page, make_user):
    make_user("accounting", username="anna")
    page = browser_page
    login(page, live_server, "anna")
    page.goto(f"{live_server.url}/billing/journal/")
    page.locator("#id_date_from").fill("2026-03-01")
    page.locator("#id_date_to").fill("2026-03-31")
    for testid in ("journal-csv", "journal-invoices-csv"):
        href = page.get_by_test_id(testid).get_attribute("href")
        assert "date_from=2026-03-01" in href and "date_to=2026-03-31" in href, href
