"""The pack screen at scanner speed: a scanner types the code and Enter in a few milliseconds,
one item after the other. Every scan counts, in order, however fast they come (issue 19)."""

import pytest
from playwright.sync_api import expect

from shipping.models import Shipment
from shipping.services import packing
from tests.factories.inventory import ProductFactory, stock
from tests.shipping.flow import place
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_thirty_scans_typed_without_delay_all_count(
    live_server, browser_page, make_user, customer, ams, parcel_carrier
):
    # given a box of 30 plates to pack
    plate = ProductFactory(sku="PLATE-30", name="Plate", barcode="8712345000011", weight_grams=300)
    stock(plate, ams, 30)
    order = place(customer, ("PLATE-30", 30))
    user = make_user("warehouse", username="wendy")
    shipment = packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=user)
    page = browser_page
    login(page, live_server, "wendy")
    page.goto(f"{live_server.url}/shipping/pack/{shipment.pk}/")
    expect(page.get_by_test_id("scan")).to_be_focused()
    # when the scanner reads 30 items with no pause between them
    for _ in range(30):
        page.keyboard.type("8712345000011")
        page.keyboard.press("Enter")
    # then every scan counted, and the last answer is the 30th
    expect(page.get_by_test_id("pack-progress")).to_contain_text("30 / 30", timeout=20_000)
    expect(page.get_by_test_id("scan-feedback")).to_have_text("PLATE-30: 30/30")
    assert Shipment.objects.get(pk=shipment.pk).lines.get().quantity == 30
    expect(page.get_by_test_id("scan")).to_have_value("")
