"""Adding, changing or removing a line on the phone screen costs the same whatever the draft's
length: the same queries, and only the changed row is rendered, or the removed one deleted (with
the totals out of band)."""

import json
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
    assert re.search(r'data-sku="P-40"[^>]*>\s*<td[^>]*>40</td>', body)
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


def _remove(cs, draft, line):
    path = reverse("orders:draft_line", kwargs={"order_id": draft.pk, "line_id": line.pk})
    return cs.post(path, {"quantity": "0"}, **HTMX)


def _lines(draft) -> list[OrderLine]:
    return list(OrderLine.objects.filter(order=draft).order_by("line_no"))


def test_removing_a_line_costs_the_same_queries_in_a_short_or_long_draft(cs, customer, products):
    warm = _draft_with(customer, products, 2)
    _remove(cs, warm, _lines(warm)[0])  # the process's caches (warehouses, VAT rates)
    counts = {}
    for existing in (3, 40):
        draft = _draft_with(customer, products, existing)
        with CaptureQueriesContext(connection) as captured:
            assert _remove(cs, draft, _lines(draft)[1]).status_code == 200
        assert OrderLine.objects.filter(order=draft).count() == existing - 1
        counts[existing] = len(captured)
    assert counts[3] == counts[40], counts


def test_a_removed_line_answers_with_its_deletion_and_the_new_numbers_only(cs, customer, products):
    from oms.templatetags.oms_tags import money

    draft = _draft_with(customer, products, 40)
    lines = _lines(draft)
    # when the second of forty lines is removed
    response = _remove(cs, draft, lines[1])
    body = response.content.decode()
    draft.refresh_from_db()
    # then the answer deletes that row where it stands and renders no row
    assert response["HX-Retarget"] == f"#entry-line-{lines[1].pk}" and response["HX-Reswap"] == "delete"
    assert 'data-testid="entry-line"' not in body and "entry-lines-body" not in body
    # and the 38 rows after it get their new number (3 -> 2 ... 40 -> 39), nothing more of them
    assert f'<span hx-swap-oob="innerHTML:#entry-line-{lines[2].pk}-no">2</span>' in body
    assert f'<span hx-swap-oob="innerHTML:#entry-line-{lines[39].pk}-no">39</span>' in body
    assert body.count('hx-swap-oob="innerHTML:#entry-line-') == 38 and f"#entry-line-{lines[0].pk}-no" not in body
    # and the count, the totals and the delivery card out of band
    assert re.search(r'id="entry-line-count"[^>]*hx-swap-oob="true">39<', body)
    assert f'data-testid="entry-gross">{money(draft.gross_amount)}<' in body
    assert 'id="entry-delivery"' in body
    # and the cursor goes to the quantity of the row now in its place
    assert json.loads(response["HX-Trigger-After-Settle"]) == {
        "oms:focus": {"target": "body", "field": f"#line-qty-{lines[2].pk}"}
    }


def test_a_removed_line_redraws_the_later_rows_of_its_product(cs, customer, products):
    # given a mug line, a plate line and a second mug line that is short (50 in stock)
    mug, plate = products[0], products[1]
    draft = order_draft_create(channel="phone", customer=customer, user=None)
    order_draft_set_lines(order=draft, lines=[{"product_id": mug.pk, "quantity": 30},
                                              {"product_id": plate.pk, "quantity": 1},
                                              {"product_id": mug.pk, "quantity": 30}], user=None)  # fmt: skip
    first, between, last = _lines(draft)
    # when the first mug line is removed
    body = _remove(cs, draft, first).content.decode()
    # then the later mug line is drawn again, no longer short, and the plate only renumbered
    assert body.count('data-testid="entry-line"') == 1 and f'<tr id="entry-line-{last.pk}"' in body
    assert 'data-testid="backorder-warning"' not in body
    assert re.search(rf'id="entry-line-{last.pk}-no">2</td>', body)
    assert f'<span hx-swap-oob="innerHTML:#entry-line-{between.pk}-no">1</span>' in body
    assert f'<tr id="entry-line-{between.pk}"' not in body


def test_removing_the_last_row_moves_the_cursor_up_and_the_only_row_takes_the_table(cs, customer, products):
    draft = _draft_with(customer, products, 2)
    first, second = _lines(draft)
    response = _remove(cs, draft, second)
    assert response["HX-Reswap"] == "delete" and f"#line-qty-{first.pk}" in response["HX-Trigger-After-Settle"]
    # the only line left: the table goes, the lines region answers as a whole (with the add field)
    response = _remove(cs, draft, first)
    body = response.content.decode()
    assert "HX-Reswap" not in response and "HX-Retarget" not in response
    assert '<section class="card" id="entry-lines"' in body
    assert "entry-lines-body" not in body and re.search(r'id="add-code"[^>]*autofocus', body, re.S)
    assert not OrderLine.objects.filter(order=draft).exists()


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
