"""Purchasing in a real browser, by keyboard: a buyer orders from the reorder queue and sends
the purchase order; the warehouse opens it by its number and receives it with a scanner."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import StockLevel
from purchasing.models import POStatus, PurchaseOrder
from tests.factories.inventory import ProductFactory, WarehouseFactory
from tests.factories.purchasing import (
    ReorderRequestFactory,
    SupplierFactory,
    SupplierProductFactory,
    sent_purchase_order,
)
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_buyer_orders_ticked_requests_with_an_edited_quantity_and_sends_the_draft(live_server, browser_page, make_user):
    # given
    make_user("purchasing", username="petra")
    ams = WarehouseFactory(code="AMS", name="Amsterdam")
    supplier = SupplierFactory(name="Zaanse Snoepfabriek")
    mug, cup = ProductFactory(sku="MUG", name="Mug"), ProductFactory(sku="CUP", name="Cup")
    for product in (mug, cup):
        SupplierProductFactory(supplier=supplier, product=product, unit_cost=Decimal("1.50"))
    ReorderRequestFactory(product=mug, warehouse=ams, supplier=supplier, suggested_quantity=12)
    ReorderRequestFactory(product=cup, warehouse=ams, supplier=supplier, suggested_quantity=6)
    page = browser_page
    login(page, live_server, "petra")
    # when: tick the mug, type 30 in its box (saved in place), Alt+C
    page.goto(f"{live_server.url}/purchasing/")
    page.get_by_label("Order MUG").check()
    page.get_by_label("Quantity to order of MUG").fill("30")
    page.get_by_label("Quantity to order of MUG").press("Tab")
    page.get_by_test_id("group-total").filter(has_text="€\xa0162,00").wait_for()  # 30 x 4.50 + 6 x 4.50
    page.keyboard.press("Alt+c")
    # then: the draft opens with the mug only, and Alt+S sends it
    page.wait_for_url("**/purchasing/orders/PO-*/")
    assert page.get_by_test_id("po-line").count() == 1 and "30" in page.get_by_test_id("po-line").inner_text()
    page.keyboard.press("Alt+s")
    page.locator("[data-status=sent]").wait_for()
    po = PurchaseOrder.objects.get()
    assert po.status == POStatus.SENT and po.lines.get().quantity_ordered == 30
    page.get_by_test_id("document-state").filter(has_text="e-mailed to").wait_for()


def test_warehouse_opens_a_purchase_order_by_number_and_receives_it_with_a_scanner(
    live_server, browser_page, make_user
):
    # given
    make_user("warehouse", username="wim")
    ams = WarehouseFactory(code="AMS", name="Amsterdam")
    mug = ProductFactory(sku="MUG", name="Mug", barcode="8712345678906")
    cup = ProductFactory(sku="CUP", name="Cup")
    po = sent_purchase_order([(mug, 10, Decimal("1.00")), (cup, 4, Decimal("2.00"))], warehouse=ams)
    page = browser_page
    login(page, live_server, "wim")
    # when: the PO number from the delivery note, then three scans of the mug and 4 cups typed
    page.goto(f"{live_server.url}/purchasing/receive/")
    expect(page.locator("#id_q")).to_be_focused()  # autofocus lands just after load
    page.keyboard.type(po.number)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/purchasing/receive/{po.number}/")
    expect(page.locator("#id_scan")).to_be_focused()
    for _ in range(3):  # as fast as a scanner: nothing is lost between reads
        page.keyboard.type("8712345678906")
        page.keyboard.press("Enter")
    page.get_by_test_id("scanned").filter(has_text="MUG: 3").wait_for()
    page.keyboard.type("4006381333931")
    page.keyboard.press("Enter")
    page.get_by_test_id("scanned").filter(has_text="has the barcode or SKU “4006381333931”").wait_for()
    page.get_by_label("Received now of CUP").fill("4")
    page.keyboard.press("Alt+p")
    # then
    page.wait_for_url(f"**/purchasing/orders/{po.number}/")
    page.locator("[data-status=partially_received]").wait_for()
    levels = dict(StockLevel.objects.filter(warehouse=ams).values_list("product__sku", "on_hand"))
    assert levels == {"MUG": 3, "CUP": 4}
