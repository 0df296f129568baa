"""Adding or changing a line on the phone screen costs the same whatever the draft's length:
the same queries, and only the changed row is rendered (with the totals out of band)."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, OrderLine
from orders.services import order_draft_create, order_draft_set_lines
from tests.factories.inventory import ProductFactory, stock

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def cs(role_client):
    return role_client("customer_service")


@pytest.fixture
def products(ams):
    made = [ProductFactory(sku=f"P-{n:02d}", list_price=Decimal("3.10") + n) for n in range(41)]
    for product in made:
        stock(product, ams, 50)
    return made


def _add(cs, draft, product, quantity=1):
    path = reverse("orders:draft_add_line", kwargs={"order_id": draft.pk})
    return cs.post(path, {"product_id": product.pk, "quantity": str(quantity)}, **HTMX)


def _draft_with(customer, products, lines: int) -> Order:
    draft = order_draft_create(channel="phone", customer=customer, user=None)
    if lines:
        order_draft_set_lines(
            order=draft, lines=[{"product_id": p.pk, "quantity": 2} for p in products[:lines]], user=None
        )
    return draft


def test_adding_the_1st_10th_or_40th_line_costs_the_same_queries(cs, customer, products):
    _add(cs, _draft_with(customer, products, 0), products[0])  # the process's caches (warehouses, VAT rates)
    counts = {}
    for existing in (0, 9, 39):
        draft = _draft_with(customer, products, existing)
        with CaptureQueriesContext(connection) as captured:
            response = _add(cs, draft, products[40])
        assert response.status_code == 200
        assert OrderLine.objects.filter(order=draft).count() == existing + 1
        counts[existing + 1] = len(captured)
    assert counts[1] == counts[10] == counts[40], counts


def test_an_added_line_answers_with_its_row_only_and_the_totals(cs, customer, products):
    draft = _draft_with(customer, products, 39)
    body = _add(cs, draft, products[40], quantity=3).content.decode()
    # the new row (number 40) appended to the table, no other row rendered
    assert body.count('data-testid="entry-line"') == 1 and 'hx-swap-oob="beforeend:#entry-lines-body"' in body
    assert re.search(r'data-sku="P-40"[^>]*>\s*<td>40</td>', body)
    # a fresh add form in the cursor's place, the count and the totals out of band
    assert re.search(r'id="add-code"[^>]*autofocus', body, re.S) and 'value="1"' in body
    assert re.search(r'id="entry-line-count"[^>]*hx-swap-oob="true">40<', body)
    assert 'id="entry-totals" aria-labelledby="entry-totals-heading" hx-swap-oob="true"' in body


def test_the_rendered_totals_match_the_order_after_each_step(cs, customer, products):
    from oms.templatetags.oms_tags import money  # the screen's own formatting

    draft = _draft_with(customer, products, 0)
    for n, quantity in enumerate((2, 1, 5), start=10):
        body = _add(cs, draft, products[n], quantity).content.decode()
        draft.refresh_from_db()
        assert draft.gross_amount > 0
        for testid, amount in (("entry-net", draft.net_amount), ("entry-vat", draft.vat_amount),
                               ("entry-gross", draft.gross_amount)):  # fmt: skip
            assert f'data-testid="{testid}">{money(amount)}<' in body, (testid, amount)
    line = OrderLine.objects.filter(order=draft).order_by("line_no")[1]
    path = reverse("orders:draft_line", kwargs={"order_id": draft.pk, "line_id": line.pk})
    changed = cs.post(path, {"quantity": "7"}, **HTMX)
    body = changed.content.decode()
    draft.refresh_from_db()
    assert changed["HX-Reswap"] == "none" and body.count('data-testid="entry-line"') == 1
    assert f'<tr id="entry-line-{line.pk}"' in body and 'value="7"' in body
    assert f'data-testid="entry-gross">{money(draft.gross_amount)}<' in body
    lines = list(OrderLine.objects.filter(order=draft))
    assert draft.net_amount > 0 and sum(x.line_total for x in lines) > 0
    assert OrderLine.objects.get(pk=line.pk).quantity == 7


def test_changing_a_quantity_costs_the_same_queries_in_a_short_or_long_draft(cs, customer, products):
    _add(cs, _draft_with(customer, products, 0), products[0])  # the process's caches (warehouses, VAT rates)
    counts = []
    for existing in (2, 40):
        draft = _draft_with(customer, products, existing)
        line = OrderLine.objects.filter(order=draft).order_by("line_no").first()
        path = reverse("orders:draft_line", kwargs={"order_id": draft.pk, "line_id": line.pk})
        with CaptureQueriesContext(connection) as captured:
            assert cs.post(path, {"quantity": "3"}, **HTMX).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_adding_a_line_reads_the_drafts_lines_and_products_once(cs, customer, products):
    _add(cs, _draft_with(customer, products, 0), products[0])  # the process's caches (warehouses, VAT rates)
    draft = _draft_with(customer, products, 9)
    with CaptureQueriesContext(connection) as captured:
        assert _add(cs, draft, products[40]).status_code == 200
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    # every line, once (the service totals them; the screen shows them as it left them)
    assert len([sql for sql in selects if '"orders_orderline"."sku"' in sql]) == 1
    # and the product added, not every product of the draft again: the quote reads only weights
    assert len([sql for sql in selects if '"inventory_product"."description"' in sql]) == 1
