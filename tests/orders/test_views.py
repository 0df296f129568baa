"""The order list, the order page with its actions, and the orders panel of the customer page.
(The phone-order screen: test_entry_views.py; who may see what: tests/test_permissions.py.)"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, OrderEvent, OrderLine
from orders.views import pages
from tests.factories.customers import CustomerFactory
from tests.factories.orders import OrderFactory, place

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("orders:list")


@pytest.fixture
def cs(role_client):
    return role_client("customer_service")


def numbers(response) -> list[str]:
    return re.findall(r'data-testid="order-row" data-number="([^"]+)"', response.content.decode())


def _detail(order) -> str:
    return reverse("orders:detail", kwargs={"number": order.number})


def _queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **extra).status_code == 200
    return len(captured)


# --- the list -----------------------------------------------------------------------------------


def test_order_list_full_page_and_htmx_table(cs):
    order = OrderFactory()
    page = cs.get(LIST)
    assert page.status_code == 200 and b"<html" in page.content and b'id="order-table"' in page.content
    table = cs.get(LIST, {"status": "allocated"}, **HTMX)
    assert b"<html" not in table.content and b'id="order-table"' in table.content
    assert numbers(table) == [order.number] and "HX-Request" in table["Vary"]
    # the sort the table is in travels back to the filter form, out of band
    assert 'id="sort-input" value="-date" form="order-filter" hx-swap-oob="true"' in table.content.decode()


def test_order_list_filters_and_searches(cs, customer, mug):
    today = timezone.localdate()
    web = place(customer, ("MUG-RED", 1), external_reference="WEB-7")
    late = OrderFactory(status="allocated", promised_delivery_date=today - timedelta(days=2))
    OrderFactory(status="shipped", promised_delivery_date=today - timedelta(days=2))
    waiting = OrderFactory(status="backordered", channel="phone")
    old = OrderFactory(status="completed", created_at=timezone.now() - timedelta(days=40))
    other = CustomerFactory(name="Pieter Jansen", email="pieter@jansen.nl")
    his = OrderFactory(customer=other, shipping_address={"postal_code": "1012 LG", "city": "Amsterdam"})

    def get(**params):
        return numbers(cs.get(LIST, params, **HTMX))

    assert get(status="backordered") == get(backordered="on") == [waiting.number]
    assert get(channel="phone") == [waiting.number]
    assert get(late="on") == [late.number]
    assert get(customer=customer.number.lower()) == [web.number]
    assert get(date_to=str(today - timedelta(days=30))) == [old.number]
    assert old.number not in get(date_from=str(today - timedelta(days=7)))
    assert get(q="WEB-7") == get(q=web.number.lower()) == [web.number]
    assert get(q="1012lg") == get(q="pieter jansen") == get(q="pieter@jansen.nl") == [his.number]
    # a bad filter value is ignored, not an error; drafts show only when asked for
    draft = OrderFactory(status="draft")
    assert len(get(date_from="yesterday", status="nonsense")) == 6
    assert get(status="draft") == [draft.number]
    late_row = cs.get(LIST, {"late": "on"}, **HTMX).content.decode()
    assert 'data-testid="late"' in late_row


def test_order_list_sorts_by_total_and_number_both_ways(cs):
    small, big, middle = (OrderFactory(net_amount=n, vat_amount=0, gross_amount=n) for n in (5, 50, 20))
    assert numbers(cs.get(LIST, {"sort": "-total"}, **HTMX)) == [big.number, middle.number, small.number]
    assert numbers(cs.get(LIST, {"sort": "total"}, **HTMX)) == [small.number, middle.number, big.number]
    assert numbers(cs.get(LIST, {"sort": "number"}, **HTMX)) == [small.number, big.number, middle.number]
    header = cs.get(LIST, {"sort": "-total"}, **HTMX).content.decode()
    assert 'aria-sort="descending"' in header and "sort=total" in header  # a second click reverses


def test_order_list_pages_by_keyset_forwards_and_back(cs, monkeypatch):
    monkeypatch.setattr(pages, "PER_PAGE", 2)
    orders = [OrderFactory(net_amount=n, vat_amount=0, gross_amount=n) for n in (10, 40, 30, 20, 50)]
    by_total = sorted(orders, key=lambda o: -o.gross_amount)
    first = cs.get(LIST, {"sort": "-total", "status": "allocated"}, **HTMX)
    assert numbers(first) == [o.number for o in by_total[:2]]
    next_url = re.search(r'rel="next" href="\?([^"]+)"', first.content.decode()).group(1).replace("&amp;", "&")
    assert "status=allocated" in next_url and "sort=-total" in next_url  # the filters stay in the URL
    second = cs.get(f"{LIST}?{next_url}", **HTMX)
    assert numbers(second) == [o.number for o in by_total[2:4]]
    back = re.search(r'rel="prev" href="\?([^"]+)"', second.content.decode()).group(1).replace("&amp;", "&")
    assert numbers(cs.get(f"{LIST}?{back}", **HTMX)) == [o.number for o in by_total[:2]]
    third = re.search(r'rel="next" href="\?([^"]+)"', second.content.decode()).group(1).replace("&amp;", "&")
    last = cs.get(f"{LIST}?{third}", **HTMX)
    assert numbers(last) == [by_total[4].number] and 'rel="next"' not in last.content.decode()


def test_order_list_queries_do_not_grow_with_rows(cs, django_assert_max_num_queries):
    OrderFactory.create_batch(3)
    few = _queries(cs, LIST, **HTMX)
    OrderFactory.create_batch(30, customer=CustomerFactory())
    for sort in ("-date", "total", "-number"):
        assert _queries(cs, f"{LIST}?sort={sort}&q=klant", **HTMX) == few + 1  # the search reads customer ids
    assert _queries(cs, LIST, **HTMX) == few
    with django_assert_max_num_queries(6):  # session, user, roles, the page of orders with customers
        cs.get(LIST)


# --- the order page -----------------------------------------------------------------------------


def test_order_detail_shows_lines_quantities_warehouses_totals_and_timeline(cs, customer, mug, book, agent):
    order = place(customer, ("MUG-RED", 12), ("BOOK-1", 1), user=agent)
    html = cs.get(_detail(order)).content.decode()
    assert order.number in html and customer.number in html and 'data-status="backordered"' in html
    mug_row = html[html.index('data-sku="MUG-RED"') :]
    assert re.search(r'data-testid="allocated">10<', mug_row) and re.search(r'data-testid="backordered">2<', mug_row)
    assert "AMS 10" in mug_row
    assert 'data-testid="total-gross">€\xa0' + f"{order.gross_amount:.2f}".replace(".", ",") in html
    assert 'data-rate="21"' in html and 'data-rate="9"' in html  # VAT per rate
    assert "Placed via Webshop: 2 lines" in html and agent.username in html
    assert 'data-testid="hold-form"' in html and 'data-testid="cancel-form"' in html and "Change lines" in html


def test_order_detail_fragment_and_unknown_number(cs, customer, mug):
    order = place(customer, ("MUG-RED", 1))
    fragment = cs.get(_detail(order), **HTMX)
    assert b"<html" not in fragment.content and b'id="order-main"' in fragment.content
    assert cs.get("/orders/SO-999999/").status_code == 404


def test_order_detail_queries_do_not_grow_with_lines(cs, customer, ams, django_assert_max_num_queries):
    from tests.factories.inventory import ProductFactory, stock

    for n in range(12):
        stock(ProductFactory(sku=f"P-{n}"), ams, 5)
    small = place(customer, ("P-0", 1))
    big = place(customer, *[(f"P-{n}", 2) for n in range(12)])
    from orders.services import order_hold

    order_hold(order=big, user=None, reason="check")
    assert _queries(cs, _detail(small)) == _queries(cs, _detail(big))
    with django_assert_max_num_queries(8):  # session, user, roles, order+customer, lines, allocations, timeline
        cs.get(_detail(big))


def test_order_detail_shows_only_the_actions_the_status_and_role_allow(cs, role_client, customer, mug):
    shipped = OrderFactory(status="shipped")
    html = cs.get(_detail(shipped)).content.decode()
    assert "cancel-form" not in html and "hold-form" not in html
    # what customer service can still do to a shipped order: revoke the customer's page link
    assert 'data-testid="status-link-revoke"' in html and "No actions for you" not in html
    held = OrderFactory(status="on_hold")
    assert 'data-testid="release"' in cs.get(_detail(held)).content.decode()
    allocated = place(customer, ("MUG-RED", 1))
    warehouse_view = role_client("warehouse").get(_detail(allocated)).content.decode()
    assert "cancel-form" not in warehouse_view and "Change lines" not in warehouse_view
    accounting_view = role_client("accounting").get(_detail(allocated)).content.decode()
    assert "hold-form" in accounting_view and "cancel-form" not in accounting_view


def test_order_panels_are_loaded_by_url_name_and_missing_ones_skipped(cs, customer, mug, monkeypatch):
    order = place(customer, ("MUG-RED", 1))
    monkeypatch.setattr(pages, "ORDER_PANELS", ["orders:customer_panel_missing", "orders:draft"])
    html = cs.get(_detail(order)).content.decode()
    url = reverse("orders:draft", kwargs={"order_id": order.pk})
    assert f'hx-get="{url}" hx-trigger="load, order-changed from:body"' in html
    assert "customer_panel_missing" not in html


def test_order_cancel_with_htmx_releases_stock_and_refreshes_the_order(cs, customer, mug, ams):
    from tests.factories.inventory import level

    order = place(customer, ("MUG-RED", 3))
    response = cs.post(reverse("orders:cancel", args=[order.number]), {"cancel-reason": "klant belde"}, **HTMX)
    assert response.status_code == 200 and b'id="order-main"' in response.content
    assert "order-changed" in response["HX-Trigger"] and "cancelled" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "cancelled" and level(mug, ams).reserved == 0
    assert OrderEvent.objects.filter(order=order, kind="cancelled", message__contains="klant belde").exists()


def test_order_cancel_without_htmx_redirects_and_refuses_a_shipped_order(cs, customer, mug):
    order = place(customer, ("MUG-RED", 1))
    response = cs.post(reverse("orders:cancel", args=[order.number]), {})
    assert response.status_code == 302 and response["Location"] == _detail(order)
    shipped = OrderFactory(status="shipped")
    refused = cs.post(reverse("orders:cancel", args=[shipped.number]), {}, **HTMX)
    assert refused.status_code == 200 and refused["HX-Retarget"] == "#order-actions"
    assert "Cannot go from" in refused.content.decode()
    assert Order.objects.get(pk=shipped.pk).status == "shipped"


def test_order_hold_needs_a_reason_then_release(cs, customer, mug):
    order = place(customer, ("MUG-RED", 1))
    url = reverse("orders:hold", args=[order.number])
    refused = cs.post(url, {"hold-reason": "  "}, **HTMX)
    assert refused.status_code == 200 and refused["HX-Retarget"] == "#order-actions"
    assert "Say why the order goes on hold." in refused.content.decode() and "is-invalid" in refused.content.decode()
    assert Order.objects.get(pk=order.pk).status == "allocated"
    cs.post(url, {"hold-reason": "betaling controleren"}, **HTMX)
    assert Order.objects.get(pk=order.pk).status == "on_hold"
    released = cs.post(reverse("orders:release", args=[order.number]), **HTMX)
    assert "Hold released." in released.content.decode() and Order.objects.get(pk=order.pk).status == "allocated"
    again = cs.post(reverse("orders:release", args=[order.number]), **HTMX)
    assert 'data-testid="action-errors"' in again.content.decode()


def test_order_change_lines_form_changes_quantities_and_adds_a_line(cs, customer, mug, book, ams):
    order = place(customer, ("MUG-RED", 2))
    url = reverse("orders:change_lines", args=[order.number])
    form = cs.get(url, **HTMX).content.decode()
    line = OrderLine.objects.get(order=order)
    assert f'name="qty-{line.pk}"' in form and 'name="add-code"' in form and b"<html" not in form.encode()
    response = cs.post(url, {f"qty-{line.pk}": "5", "add-code": "BOOK-1", "add-quantity": "2"}, **HTMX)
    assert response.status_code == 200 and "Lines changed." in response.content.decode()
    quantities = dict(OrderLine.objects.filter(order=order).values_list("sku", "quantity"))
    assert quantities == {"MUG-RED": 5, "BOOK-1": 2}
    # shelf prices: 5 x 9.99 + 5.99 shipping holds 9.71 VAT, 2 x 21.80 holds 3.60; less 4.95 shipping
    assert Order.objects.get(pk=order.pk).net_amount == Decimal("81.28")


def test_order_change_lines_shows_errors_on_the_inputs(cs, customer, mug):
    order = place(customer, ("MUG-RED", 2))
    url = reverse("orders:change_lines", args=[order.number])
    line = OrderLine.objects.get(order=order)
    response = cs.post(url, {f"qty-{line.pk}": "2", "add-code": "NO-SUCH", "add-quantity": "1"}, **HTMX)
    html = response.content.decode()
    assert response["HX-Retarget"] == "#order-lines" and "No product with SKU" in html
    assert 'value="NO-SUCH"' in html
    nothing = cs.post(url, {f"qty-{line.pk}": "2"}, **HTMX)
    assert "Change a quantity or add a line first." in nothing.content.decode()
    picking = OrderFactory(status="picking")
    assert (
        "until picking starts"
        in cs.post(
            reverse("orders:change_lines", args=[picking.number]), {"add-code": "MUG-RED"}, **HTMX
        ).content.decode()
    )


# --- the customer panel ---------------------------------------------------------------------------


def test_customer_panel_shows_volume_and_recent_orders(cs, customer, mug, django_assert_max_num_queries):
    first = place(customer, ("MUG-RED", 1))
    second = place(customer, ("MUG-RED", 2))
    OrderFactory(customer=customer, status="draft")  # not an order yet
    url = reverse("orders:customer_panel", kwargs={"customer_id": customer.pk})
    with django_assert_max_num_queries(6):
        html = cs.get(url, **HTMX).content.decode()
    assert html.count('data-testid="panel-order"') == 2 and html.index(second.number) < html.index(first.number)
    assert re.search(r'data-testid="orders-count">2', html)
    revenue = first.net_amount + first.shipping_amount + second.net_amount + second.shipping_amount
    assert f"{revenue:.2f}".replace(".", ",") in html and f"?customer={customer.number}" in html
    assert cs.get(reverse("orders:customer_panel", kwargs={"customer_id": 999999})).status_code == 404


def test_the_customer_page_loads_the_orders_panel(cs, customer):
    html = cs.get(reverse("customers:detail", kwargs={"number": customer.number})).content.decode()
    url = reverse("orders:customer_panel", kwargs={"customer_id": customer.pk})
    assert f'hx-get="{url}" hx-trigger="load"' in html


def test_order_change_lines_negative_quantity_is_a_form_error(cs, customer, mug):
    order = place(customer, ("MUG-RED", 2))
    line = OrderLine.objects.get(order=order)
    url = reverse("orders:change_lines", args=[order.number])
    for raw in ("-5", "2.5", "9" * 40):
        response = cs.post(url, {f"qty-{line.pk}": raw}, **HTMX)
        assert response.status_code == 200 and response["HX-Retarget"] == "#order-lines", raw
        assert "is-invalid" in response.content.decode()
    assert OrderLine.objects.get(pk=line.pk).quantity == 2
