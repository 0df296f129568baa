"""One rule for a line's own price terms (issue 19, ``orders.services.line_prices``): on every
staff path (a draft's lines, "Change lines" on a placed order, a staff token on the API) a price
other than the catalogue's, or a discount, needs ``orders.change_line_price`` and a reason; the
whole change is refused otherwise; the reason is kept on the line and on the timeline. An API
client's own prices follow the API contract (no permission, no reason)."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from oms.errors import NotPermitted, ValidationFailed
from orders.models import Order, OrderEvent, OrderLine
from orders.services import (
    order_draft_add_line,
    order_draft_create,
    order_draft_set_lines,
    order_draft_update_line,
    order_lines_change,
)
from tests.factories.inventory import level
from tests.factories.orders import place
from tests.orders.test_api import body_for, errors

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def granted(user):
    user.user_permissions.add(Permission.objects.get(codename="change_line_price"))
    return type(user).objects.get(pk=user.pk)  # a fresh object: Django caches permissions


def price_events(order) -> list[str]:
    return list(
        OrderEvent.objects.filter(order=order, kind="lines_changed", message__contains="price")
        .order_by("id")
        .values_list("message", flat=True)
    )


@pytest.fixture
def draft_line(customer, mug, agent):
    draft = order_draft_create(channel="phone", customer=customer, user=agent)
    return draft, order_draft_add_line(order=draft, sku="MUG-RED", quantity=2, user=agent)


def test_a_draft_line_update_needs_the_permission_and_a_reason(draft_line, agent):
    draft, line = draft_line
    # without the permission: refused, the quantity in the same call is not written either
    with pytest.raises(NotPermitted):
        order_draft_update_line(order=draft, line_id=line.pk, quantity=5, unit_price="7.00", user=agent, reason="x")
    with pytest.raises(NotPermitted):
        order_draft_update_line(order=draft, line_id=line.pk, discount_percent="10", user=agent, reason="x")
    assert OrderLine.objects.filter(pk=line.pk).values_list("quantity", "unit_price", "discount_percent").get() == (
        2,
        Decimal("9.99"),
        Decimal("0.00"),
    )
    # with it, still not without a reason
    agent = granted(agent)
    with pytest.raises(ValidationFailed) as refused:
        order_draft_update_line(order=draft, line_id=line.pk, unit_price="7.00", user=agent, reason="  ")
    assert (refused.value.field, refused.value.code) == ("reason", "required")
    assert OrderLine.objects.get(pk=line.pk).unit_price == Decimal("9.99")
    # with both: the price, the reason on the line and on the timeline
    order_draft_update_line(order=draft, line_id=line.pk, unit_price="7.00", user=agent, reason="beschadigd")
    saved = OrderLine.objects.get(pk=line.pk)
    assert (saved.unit_price, saved.price_reason, saved.line_total) == (Decimal("7.00"), "beschadigd", Decimal("14.00"))
    assert price_events(draft) == ["MUG-RED price € 7,00 instead of € 9,99: beschadigd."]


def test_back_to_the_catalogue_price_needs_nothing_and_clears_the_reason(draft_line, agent, make_user):
    draft, line = draft_line
    order_draft_update_line(order=draft, line_id=line.pk, unit_price="7.00", user=make_user("manager"), reason="deal")
    order_draft_update_line(order=draft, line_id=line.pk, unit_price=None, user=agent)
    saved = OrderLine.objects.get(pk=line.pk)
    assert (saved.unit_price, saved.price_reason) == (Decimal("9.99"), "")
    # and typing the catalogue price itself is no override either
    order_draft_update_line(order=draft, line_id=line.pk, unit_price="9.99", quantity=3, user=agent)
    assert OrderLine.objects.get(pk=line.pk).quantity == 3


def test_new_draft_lines_with_own_terms_need_the_permission_and_a_reason(draft_line, agent, book):
    draft, line = draft_line
    with pytest.raises(NotPermitted):
        order_draft_add_line(order=draft, sku="BOOK-1", quantity=1, discount_percent="5", user=agent, reason="x")
    with pytest.raises(NotPermitted):
        order_draft_set_lines(order=draft, lines=[{"sku": "MUG-RED", "quantity": 1, "unit_price": "1.00"}], user=agent)
    assert list(OrderLine.objects.filter(order=draft).values_list("sku", flat=True)) == ["MUG-RED"]
    agent = granted(agent)
    with pytest.raises(ValidationFailed) as refused:
        order_draft_set_lines(order=draft, lines=[{"sku": "MUG-RED", "quantity": 1, "unit_price": "1.00"}], user=agent)
    assert (refused.value.field, refused.value.code) == ("lines.0.reason", "required")
    assert OrderLine.objects.filter(order=draft).count() == 1
    added = order_draft_add_line(order=draft, sku="BOOK-1", quantity=1, discount_percent="5", user=agent, reason="pers")
    assert (added.discount_percent, added.price_reason) == (Decimal("5.00"), "pers")
    assert price_events(draft) == [] and OrderEvent.objects.filter(message="BOOK-1 discount 5%: pers.").exists()


def test_change_lines_on_a_placed_order_needs_the_permission_and_a_reason(customer, mug, book, ams, agent):
    order = place(customer, ("MUG-RED", 2))
    line = order.lines.get()
    changes = [
        {"line_id": line.pk, "quantity": 4},
        {"sku": "BOOK-1", "quantity": 1, "unit_price": "15.00", "reason": "vaste klant"},
    ]
    # without the permission the whole change is refused: the quantity, the new line, the stock
    with pytest.raises(NotPermitted) as refused:
        order_lines_change(order=order, changes=changes, user=agent)
    assert refused.value.field == "changes.1.unit_price"
    assert list(OrderLine.objects.filter(order=order).values_list("sku", "quantity")) == [("MUG-RED", 2)]
    assert level(mug, ams).reserved == 2
    # with the permission but no reason: refused on the line's reason
    agent = granted(agent)
    with pytest.raises(ValidationFailed) as refused:
        order_lines_change(order=order, changes=[changes[0], {**changes[1], "reason": ""}], user=agent)
    assert (refused.value.field, refused.value.code) == ("changes.1.reason", "required")
    assert OrderLine.objects.filter(order=order).count() == 1
    # with both: applied, the reason on the line and the timeline
    order_lines_change(order=order, changes=changes, user=agent)
    book_line = OrderLine.objects.get(order=order, sku="BOOK-1")
    assert (book_line.unit_price, book_line.price_reason) == (Decimal("15.00"), "vaste klant")
    assert price_events(order) == ["BOOK-1 price € 15,00 instead of € 21,80: vaste klant."]
    # a new line at the catalogue price needs neither
    order_lines_change(order=order, changes=[{"sku": "MUG-RED", "quantity": 1}], user=agent)


def test_a_staff_token_on_the_api_follows_the_same_rule(api_client_for, customer, mug):
    cs = api_client_for("customer_service")
    line = {"sku": "MUG-RED", "quantity": 2, "discount_percent": "10"}
    response = cs.post(URL, body_for(customer, lines=[line]), format="json")
    assert response.status_code == 403 and errors(response) == {("lines.0.unit_price", "not_permitted")}
    granted(cs.user)
    response = cs.post(URL, body_for(customer, lines=[line]), format="json")
    assert response.status_code == 400 and errors(response) == {("lines.0.reason", "required")}
    assert Order.objects.count() == 0
    response = cs.post(URL, body_for(customer, lines=[{**line, "reason": "beurs"}]), format="json")
    assert response.status_code == 201
    saved = OrderLine.objects.get(order__number=response.json()["number"])
    assert (saved.discount_percent, saved.price_reason) == (Decimal("10.00"), "beurs")


def test_an_api_client_sends_its_shops_own_prices_without_a_reason(api_client_for, customer, mug):
    shop = api_client_for(scopes=["orders:write"], channel="web")
    line = {"sku": "MUG-RED", "quantity": 2, "unit_price": "8.50", "discount_percent": "10"}
    response = shop.post(URL, body_for(customer, lines=[line]), format="json")
    assert response.status_code == 201
    saved = OrderLine.objects.get(order__number=response.json()["number"])
    assert (saved.unit_price, saved.discount_percent, saved.price_reason) == (Decimal("8.50"), Decimal("10.00"), "")


def test_the_change_lines_screen_applies_the_rule_as_form_errors(client, make_user, customer, mug, book, ams):
    order = place(customer, ("MUG-RED", 2))
    url = reverse("orders:change_lines", args=[order.number])
    line = OrderLine.objects.get(order=order)
    posted = {f"qty-{line.pk}": "3", "add-code": "BOOK-1", "add-quantity": "1", "add-discount": "12,5"}
    # customer service sees no price inputs, and a posted discount is refused as a form error
    client.force_login(make_user("customer_service"))
    assert 'data-testid="add-price"' not in client.get(url, **HTMX).content.decode()
    response = client.post(url, posted, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == "#order-lines"
    assert re.search(r'data-testid="add-terms-error">You may not give discounts or change prices.<', html)
    assert list(OrderLine.objects.filter(order=order).values_list("sku", "quantity")) == [("MUG-RED", 2)]
    # a manager sees them; without a reason the form says so and keeps what was typed
    client.force_login(make_user("manager"))
    assert 'data-testid="add-price"' in client.get(url, **HTMX).content.decode()
    html = client.post(url, posted, **HTMX).content.decode()
    assert 'data-testid="add-terms-error">Say why the price changes.<' in html and 'value="12,5"' in html
    assert OrderLine.objects.filter(order=order).count() == 1
    # with the reason the change is made, and the timeline shows it
    response = client.post(url, {**posted, "add-reason": "beursdeal"}, **HTMX)
    assert "Lines changed." in response.content.decode()
    book_line = OrderLine.objects.get(order=order, sku="BOOK-1")
    assert (book_line.discount_percent, book_line.price_reason) == (Decimal("12.50"), "beursdeal")
    assert OrderLine.objects.get(pk=line.pk).quantity == 3
    assert "BOOK-1 discount 12.5%: beursdeal." in client.get(f"/orders/{order.number}/").content.decode()
