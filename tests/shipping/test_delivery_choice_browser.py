"""The delivery choice on the phone-order screen, in Chromium, with the keyboard: the options with
their price and promised date appear once there are lines and an address (the cheapest home
delivery preselected), the agent chooses the service-point delivery and a point near the
customer's postcode, places the order, and the parcel reaches the Sendcloud fake with the chosen
method and service point. ``OMS_SCREENSHOT_DIR`` set: the screen with the options is saved there
as ``delivery-options.png``."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oms.money import format_eur
from orders.models import Order
from orders.services.delivery_options import draft_offers
from shipping.models import Shipment
from tests.shipping.conftest import PICKUP_METHOD_ID
from tests.shipping.flow import hand_off, pack
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _eur(amount) -> str:
    return format_eur(amount).replace("\u00a0", " ")


def test_the_agent_chooses_a_service_point_and_the_parcel_goes_there(
    live_server,
    browser_page,
    make_user,
    customer,
    mug,
    ams,
    packer,
    sendcloud_pickup,
    sendcloud_server,
):
    make_user("customer_service", username="carla")
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 1100})
    login(page, live_server, "carla")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/orders/enter/")
    # given a draft for Jan with two mugs
    page.keyboard.type("Jan de V", delay=20)
    expect(page.get_by_test_id("customer-option")).to_have_count(1)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/orders/enter/\d+/$"))
    expect(page.locator("#add-code")).to_be_focused()
    page.keyboard.type("MUG-R", delay=20)
    page.keyboard.press("Enter")
    expect(page.locator("#add-quantity")).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("entry-line")).to_have_count(1)

    # then the delivery options show each service's price and promised date, home delivery chosen
    options = page.get_by_test_id("delivery-option")
    expect(options).to_have_count(2)
    draft = Order.objects.get(customer=customer, status="draft")
    offers = {offer.shipping_method: offer for offer in draft_offers(draft)}
    for method, offer in offers.items():
        option = page.locator(f'[data-testid=delivery-option][data-method="{method}"]')
        expect(option.get_by_test_id("option-price")).to_have_text(_eur(offer.price))
        expect(option.get_by_test_id("option-date")).to_contain_text(offer.quote.delivery_date.strftime("%a %-d %b"))
    expect(page.locator('input[name=shipping_method][value="sendcloud:standard"]')).to_be_checked()
    expect(page.get_by_test_id("pickup-step")).to_have_count(0)

    # when the agent moves to the service-point delivery with the keyboard (Alt+D, arrow up)
    page.keyboard.press("Alt+d")
    expect(page.locator('input[name=shipping_method][value="sendcloud:standard"]')).to_be_focused()
    page.keyboard.press("ArrowUp")
    # then that service is on the draft, its price in the totals, and the points near the postcode show
    expect(page.locator('input[name=shipping_method][value="sendcloud:pickup"]')).to_be_checked()
    expect(page.locator('input[name=shipping_method][value="sendcloud:pickup"]')).to_be_focused()
    expect(page.get_by_test_id("entry-shipping")).to_have_text(_eur(offers["sendcloud:pickup"].price_excl_vat))
    expect(page.get_by_test_id("pickup-point-missing")).to_be_visible()
    expect(page.get_by_test_id("pickup-postcode")).to_have_value("3511 AB")
    expect(page.get_by_test_id("pickup-point-option")).to_have_count(2)
    if os.environ.get("OMS_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["OMS_SCREENSHOT_DIR"]) / "delivery-options.png"), full_page=True)

    # when the agent goes to the points (Alt+U, Tab) and takes the nearest one (Space)
    page.keyboard.press("Alt+u")
    expect(page.get_by_test_id("pickup-postcode")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("chosen-pickup-point")).to_contain_text("DHL ServicePoint Bruna")
    expect(page.locator('[data-testid=pickup-point-option][data-point-id="10663801"] input')).to_be_checked()

    # and places the order (Alt+P)
    page.keyboard.press("Alt+p")
    page.wait_for_url(re.compile(r".*/orders/SO-\d{6}/$"))
    order = Order.objects.get(customer=customer)
    assert order.status == "allocated" and order.shipping_method == "sendcloud:pickup" and order.shipping_method_chosen
    assert order.pickup_point["id"] == "10663801" and order.pickup_point["carrier"] == "sendcloud:dhl"
    assert order.shipping_amount == offers["sendcloud:pickup"].price_excl_vat
    assert order.promised_delivery_date == offers["sendcloud:pickup"].quote.delivery_date
    # then the order page shows the choice
    expect(page.get_by_test_id("shipping-method")).to_contain_text("Sendcloud Service point")
    expect(page.get_by_test_id("pickup-point")).to_contain_text("DHL ServicePoint Bruna, Lange Elisabethstraat 2")

    # and the parcel reaches Sendcloud with the chosen method and service point
    packed = pack(order, ams, packer)
    hand_off(packed)  # (or the worker queued after packing did already)
    assert Shipment.objects.get(pk=packed.pk).status == "handed_off" and sendcloud_server.made == 1
    received = next(iter(sendcloud_server.parcels.values()))
    assert received["shipment"] == {"id": PICKUP_METHOD_ID} and received["to_service_point"] == 10663801
