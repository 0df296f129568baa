"""Amounts in forms the Dutch way in a Dutch browser (issue 19): the product form shows the list
price as "107,85" and reads "99,95" back as 99.95."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import Product
from tests.factories.inventory import ProductFactory
from tests.support.browser import login_any_language

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_product_price_shows_and_reads_a_decimal_comma(live_server, dutch_page, make_user):
    ProductFactory(sku="LAMP-1", name="Lamp", list_price=Decimal("107.85"))
    make_user("warehouse", username="wim")
    page = dutch_page
    login_any_language(page, live_server, "wim")
    page.goto(f"{live_server.url}/inventory/products/LAMP-1/edit/")
    price = page.locator("#id_list_price")
    expect(price).to_have_value("107,85")
    price.fill("99,95")
    price.press("Enter")
    page.wait_for_url("**/inventory/products/LAMP-1/")
    assert Product.objects.get(sku="LAMP-1").list_price == Decimal("99.95")
