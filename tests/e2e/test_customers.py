"""Customer service creates a customer without the mouse, then finds it by its postcode."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from tests.factories.customers import CustomerFactory
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_is_created_with_the_keyboard_and_found_by_postcode(live_server, browser_page, make_user):
    make_user("customer_service", username="carla")
    page = browser_page
    login(page, live_server, "carla")
    page.wait_for_url(f"{live_server.url}/")  # the login's own redirect, before navigating again
    page.goto(f"{live_server.url}/customers/")

    # Alt+N opens the form with the cursor in the name field.
    page.keyboard.press("Alt+n")
    page.wait_for_url(f"{live_server.url}/customers/new/")
    assert page.evaluate("document.activeElement.name") == "name"
    page.keyboard.type("Carla Keyboard")
    fields = {
        "language": None,
        "email": "carla@example.nl",
        "phone": "06 12345678",
        "preferred_payment_method": None,
        "payment_terms_days": None,
        "credit_limit": None,
        "billing-street": "Lange Nieuwstraat",
        "billing-house_number": "7b",
        "billing-house_number_addition": None,
        "billing-postal_code": "3512pa",  # lower case, no space: stored as 3512 PA
        "billing-city": "Utrecht",
    }
    for name, text in fields.items():
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name") == name
        if text:
            page.keyboard.type(text)
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r".*/customers/C-\d{6}/$"))
    customer = Customer.objects.get(email="carla@example.nl")
    assert customer.number in page.get_by_test_id("customer-title").inner_text()
    assert "Lange Nieuwstraat 7B, 3512 PA Utrecht" in page.locator("#customer-addresses").inner_text()

    # Back on the list, "/" focuses the search box; the postcode finds the customer as it is typed.
    other = CustomerFactory(name="Someone Else")
    page.goto(f"{live_server.url}/customers/")
    assert page.get_by_test_id("customer-row").count() == 2  # the newest customers, before searching
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "customer-search"
    page.keyboard.type("3512 pa")
    page.wait_for_url(re.compile(r".*/customers/\?q=3512"))  # the results replaced the list; a reload keeps them
    rows = page.get_by_test_id("customer-row")
    expect(rows).to_have_count(1)
    assert customer.number in rows.first.inner_text() and "Carla Keyboard" in rows.first.inner_text()
    assert other.number not in page.locator("#customer-results").inner_text()
