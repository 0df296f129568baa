"""Pick -> pack -> hand-off in a real browser, with the keyboard: tick an order in the pick queue,
make the pick list, open the box, scan the barcode twice, give the weight, pack; the carrier
(a fake API on 127.0.0.1) is asked once and the shipment page shows the tracking number."""

import pytest

from shipping.models import Shipment
from tests.shipping.flow import place
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pick_pack_and_hand_off_with_the_keyboard(
    live_server, browser_page, make_user, customer, mug, ams, parcel_carrier, carrier_server
):
    # given an allocated order of 2 mugs and a warehouse worker
    order = place(customer, ("MUG-RED", 2))
    make_user("warehouse", username="wendy")
    page = browser_page
    login(page, live_server, "wendy")
    # when she ticks it in the pick queue and makes a pick list
    page.goto(f"{live_server.url}/shipping/pick/?warehouse=AMS")
    page.get_by_label(order.number).check()
    page.get_by_test_id("make-pick-list").click()
    page.get_by_test_id("pick-row").first.wait_for()
    assert "MUG-RED" in page.get_by_test_id("pick-row").first.inner_text()
    # and opens the box from the pick list
    page.get_by_test_id(f"pack-{order.number}").click()
    scan = page.get_by_test_id("scan")
    scan.wait_for()
    # and scans the barcode twice (the scanner types it and Enter)
    for expected in ("1/2", "2/2"):
        page.keyboard.type("8712345678906")
        page.keyboard.press("Enter")
        page.get_by_test_id("scan-feedback").filter(has_text=f"MUG-RED: {expected}").wait_for()
    assert page.get_by_test_id("pack-progress").inner_text().startswith("2 / 2")
    # and gives the weight and packs
    page.get_by_test_id("weight").fill("1,1")
    page.get_by_test_id("pack-button").click()
    # then the shipment page shows it handed off with the carrier's tracking number
    page.get_by_test_id("shipment-status").filter(has_text="Handed off").wait_for()
    shipment = Shipment.objects.get(order_id=order.pk)
    assert shipment.status == "handed_off" and shipment.weight_grams == 1100
    assert page.get_by_test_id("tracking-number").inner_text() == shipment.tracking_number
    assert len(carrier_server.requests) == 1 and carrier_server.keys == {str(shipment.handoff_key)}
    assert page.get_by_test_id("label-link").is_visible()
