"""The stock screens in a real browser: search as you type, then an adjustment on the product
page that refreshes the levels and the movement history without a page load."""

import pytest
from playwright.sync_api import expect

from tests.factories.inventory import ProductFactory, WarehouseFactory, stock
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_warehouse_finds_a_product_as_they_type_and_adjusts_its_stock(live_server, browser_page, make_user):
    # given
    make_user("warehouse", username="wim")
    ams = WarehouseFactory(code="AMS", name="Amsterdam")
    mug = ProductFactory(sku="MUG-RED", name="Red enamel mug")
    ProductFactory(sku="PLATE-1", name="Plate")
    stock(mug, ams, 10)
    page = browser_page
    login(page, live_server, "wim")
    page.wait_for_url(f"{live_server.url}/")  # the login form's redirect has landed
    # when: typing a name word filters the table in place
    page.goto(f"{live_server.url}/inventory/")
    # the search box has the focus on arrival (Chromium applies autofocus just after load)
    expect(page.locator("#id_q")).to_be_focused()
    page.keyboard.type("enamel")
    page.wait_for_url("**q=enamel**")
    rows = page.get_by_test_id("stock-row")
    assert rows.count() == 1 and "MUG-RED" in rows.first.inner_text()
    # and: the product page books an adjustment through htmx
    page.get_by_role("link", name="MUG-RED").click()
    page.locator("#id_adjust-delta").fill("-3")
    page.locator("#id_adjust-reason").select_option("damage")
    page.locator("#adjust-form button[type=submit]").click()
    # then
    page.get_by_test_id("saved").wait_for()
    assert page.get_by_test_id("level-AMS").get_by_test_id("on-hand").inner_text() == "7"
    page.locator("#movement-history", has_text="damage").wait_for()
    assert page.get_by_test_id("movement").count() == 2
