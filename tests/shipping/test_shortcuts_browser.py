"""The pick and pack screens' shortcuts (issue 19): the same data-shortcut mechanism as every
screen; before, they relied on the browser's accesskey and Alt+L / Alt+P did nothing."""

import re

import pytest
from playwright.sync_api import expect

from shipping.models import Shipment
from shipping.services import packing
from tests.shipping.flow import place
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pick_queue_alt_a_selects_all_and_alt_l_makes_the_pick_list(
    live_server, browser_page, make_user, customer, mug, parcel_carrier
):
    order = place(customer, ("MUG-RED", 2))
    make_user("warehouse", username="wendy")
    page = browser_page
    login(page, live_server, "wendy")
    page.goto(f"{live_server.url}/shipping/pick/?warehouse=AMS")
    expect(page.get_by_test_id("shortcut-l")).to_have_text("Alt+L Make pick list")
    expect(page.get_by_test_id("shortcut-1")).to_have_text("Alt+1 Pick")
    page.keyboard.press("Alt+a")
    expect(page.get_by_label(order.number)).to_be_checked()
    page.keyboard.press("Alt+l")
    page.get_by_test_id("pick-row").first.wait_for()


def test_pack_screen_alt_w_weight_and_alt_p_packs(
    live_server, browser_page, make_user, customer, mug, ams, parcel_carrier, carrier_server
):
    order = place(customer, ("MUG-RED", 1))
    user = make_user("warehouse", username="wendy")
    shipment = packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=user)
    page = browser_page
    login(page, live_server, "wendy")
    page.goto(f"{live_server.url}/shipping/pack/{shipment.pk}/")
    expect(page.get_by_test_id("shortcut-p")).to_have_text("Alt+P Pack and hand off")
    page.keyboard.type("MUG-RED")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("pack-progress")).to_contain_text("1 / 1")
    page.keyboard.press("Alt+w")
    expect(page.get_by_test_id("weight")).to_be_focused()
    page.keyboard.type("0,6")
    page.keyboard.press("Alt+p")
    page.wait_for_url(re.compile(r".*/shipping/shipments/\d+/$"))
    assert Shipment.objects.get(pk=shipment.pk).status != "pending"
