"""The phone-order screen's discount and price override (issue 19): from the keyboard, with the
reason required (a form error otherwise); hidden from, and refused to, staff without the
permission; and the note for the warehouse saved as it is typed."""

import pytest
from playwright.sync_api import expect

from orders.models import Order, OrderLine
from tests.factories.orders import draft_with_line
from tests.support.browser import login


@pytest.mark.django_db
def test_without_the_permission_the_form_is_hidden_and_a_post_is_refused_as_a_form_error(client, make_user):
    agent = make_user("customer_service", username="carla")
    line = draft_with_line(user=agent)
    client.force_login(agent)
    page = client.get(f"/orders/enter/{line.order_id}/").content.decode()
    assert 'data-testid="line-price-form"' not in page
    response = client.post(
        f"/orders/enter/{line.order_id}/lines/{line.pk}/price/",
        {"discount_percent": "50", "reason": "friend"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "You may not give discounts or change prices." in response.content.decode()
    assert OrderLine.objects.get(pk=line.pk).discount_percent == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_gives_a_discount_with_a_reason_from_the_keyboard(live_server, browser_page, make_user):
    manager = make_user("manager", username="max")
    line = draft_with_line(user=manager, quantity=2)
    page = browser_page
    login(page, live_server, "max")
    page.goto(f"{live_server.url}/orders/enter/{line.order_id}/")
    # the line's "Discount or price" opens with Enter; the discount without a reason is refused
    page.get_by_test_id("line-price-toggle").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("line-discount_percent")).to_be_focused()
    page.keyboard.type("12,5")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("line-price-error")).to_have_text("This field is required.")
    expect(page.get_by_test_id("line-discount_percent")).to_have_value("12,5")
    # with the reason it applies: the line shows the discount and why
    page.get_by_test_id("line-reason").focus()
    page.keyboard.type("trouwe klant")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("line-discount")).to_have_text("−12.50%")
    expect(page.get_by_test_id("line-price-reason")).to_have_text("trouwe klant")
    saved = OrderLine.objects.get(pk=line.pk)
    assert (str(saved.discount_percent), saved.price_reason) == ("12.50", "trouwe klant")
    # and the note for the warehouse is kept once the field is left
    page.get_by_test_id("warehouse-note").fill("Breekbaar")
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("warehouse-note-saved")).to_be_visible()
    assert Order.objects.get(pk=line.order_id).notes == "Breekbaar"
