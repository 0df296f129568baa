"""The customer's order page in a real browser: no login, the status and the parcel's tracking
link, and a return request that makes a return in OMS. ``OMS_SCREENSHOT_DIR`` set: the page is
also saved there as ``customer-page.png`` (the README's screenshot)."""

import os
from pathlib import Path

import pytest

from orders import selectors as order_selectors
from orders.models import OrderLine
from shipping.models import Return, Shipment
from tests.shipping.flow import hand_off, pack, place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_customer_sees_tracking_and_asks_for_a_return(
    live_server, browser_page, customer, mug, plate, ams, packer, parcel_carrier, carrier_server, settings
):
    # given an order of 3 mugs and 2 plates that went out with the carrier
    packed = pack(place(customer, ("MUG-RED", 3), ("PLATE-1", 2)), ams, packer)
    hand_off(packed)  # (or the worker queued after packing did already)
    shipment = Shipment.objects.get(pk=packed.pk)
    assert shipment.status == "handed_off"
    settings.OMS_SITE_URL = live_server.url
    order = order_selectors.order_get(shipment.order_id)
    page = browser_page
    page.set_viewport_size({"width": 1000, "height": 1150})
    # when the customer opens the link from their e-mail (not logged in)
    page.goto(order.status_url)
    # then they see the order's status in Dutch and the parcel with its tracking link
    assert order.number in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_test_id("order-status").inner_text() == "Verzonden"
    link = page.get_by_test_id("tracking-link")
    assert link.inner_text() == shipment.tracking_number
    assert link.get_attribute("href") == shipment.tracking_url
    if os.environ.get("OMS_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["OMS_SCREENSHOT_DIR"]) / "customer-page.png"), full_page=True)
    # when they ask to send 1 mug back because it arrived damaged
    mugs = OrderLine.objects.get(order_id=order.pk, sku="MUG-RED")
    page.locator(f"#qty-{mugs.pk}").fill("1")
    page.get_by_test_id("return-reason").select_option("damaged")
    page.get_by_test_id("return-submit").click()
    # then OMS has the return and the page confirms it
    page.get_by_test_id("return-registered").wait_for()
    ret = Return.objects.get(order_id=order.pk)
    assert [(line.order_line_id, line.quantity) for line in ret.lines.all()] == [(mugs.pk, 1)]
    assert ret.reason == "damaged" and ret.number in page.get_by_test_id("return-registered").inner_text()
