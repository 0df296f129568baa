"""References a role may not follow are text, and the error pages (403, 404, 500) have the site's
layout and a way back (issue 19)."""

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error
from playwright.sync_api import expect

from tests.factories.customers import AddressFactory, CustomerFactory
from tests.factories.inventory import ProductFactory, WarehouseFactory, stock
from tests.factories.orders import place
from tests.support.browser import login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_warehouse_sees_the_customer_as_text_and_a_styled_403_with_the_menu(
    live_server, browser_page, make_user, settings
):
    # given an order, and a warehouse worker (who may open orders, not customers)
    settings.OMS_DELIVERY_QUOTE_BACKEND = "orders.quotes.quote_delivery"  # no carriers needed
    stock(ProductFactory(sku="MUG-RED"), WarehouseFactory(code="AMS"), 5)
    customer = CustomerFactory(name="Jan de Vries")
    AddressFactory(customer=customer)
    order = place(customer, ("MUG-RED", 1))
    make_user("warehouse", username="wim")
    page = browser_page
    login(page, live_server, "wim")
    # when they look at the order list and the order page
    page.goto(f"{live_server.url}/orders/")
    row = page.locator("tr", has_text=order.number)
    # then the customer is named, but not a link; the order is
    expect(row).to_contain_text(customer.number)
    expect(row.get_by_role("link", name=customer.number)).to_have_count(0)
    expect(row.get_by_role("link", name=order.number)).to_have_count(1)
    page.goto(f"{live_server.url}/orders/{order.number}/")
    expect(page.get_by_test_id("order-customer")).to_contain_text(customer.number)
    expect(page.get_by_role("link", name=customer.number)).to_have_count(0)
    # and a customer page typed in by hand is a 403 in the site's layout, with the menu and a way back
    response = page.goto(f"{live_server.url}/customers/{customer.number}/")
    assert response.status == 403
    expect(page.get_by_test_id("error-page")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_contain_text("wim")
    page.get_by_test_id("error-back").click()
    page.wait_for_url(f"{live_server.url}/orders/{order.number}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_unknown_page_is_a_404_in_the_site_layout(live_server, browser_page, make_user):
    make_user("customer_service", username="carla")
    page = browser_page
    login(page, live_server, "carla")
    response = page.goto(f"{live_server.url}/orders/SO-999999/")
    assert response.status == 404
    expect(page.get_by_test_id("error-page")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    page.get_by_test_id("error-home").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.django_db
def test_the_500_page_has_the_layout_without_touching_the_database(django_assert_num_queries):
    request = RequestFactory().get("/orders/")
    with django_assert_num_queries(0):
        response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert 'data-testid="error-page"' in html and "css/oms.css" in html and 'href="/"' in html
