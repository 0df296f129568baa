"""Order reads: filters, search, customer volume, timeline, query budgets."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.search import build_search_document
from oms.errors import NotFound
from orders import selectors
from orders.models import Order
from orders.services import order_cancel, order_hold
from tests.factories.customers import CustomerFactory
from tests.factories.orders import OrderFactory, place

pytestmark = pytest.mark.django_db


def numbers(qs):
    return [order.number for order in qs]


def test_order_get_loads_lines_and_allocations_in_three_queries(customer, mug, book, django_assert_num_queries):
    order = place(customer, ("MUG-RED", 12), ("BOOK-1", 1))
    with django_assert_num_queries(3):
        loaded = selectors.order_get(order.pk)
        rows = [(ln.sku, [(a.warehouse.code, a.quantity) for a in ln.allocations.all()]) for ln in loaded.lines.all()]
        assert loaded.customer.number == customer.number
    assert rows == [("MUG-RED", [("AMS", 10)]), ("BOOK-1", [("AMS", 1)])]
    with django_assert_num_queries(0):
        breakdown = selectors.order_vat_breakdown(loaded)
    # a consumer's order: 12 x 9.99 + 5.99 shipping (4.95 net) holds 21.85 VAT; 21.80 at 9% 1.80
    assert breakdown == {
        Decimal("21"): {"net": Decimal("104.02"), "vat": Decimal("21.85"), "gross": Decimal("125.87")},
        Decimal("9"): {"net": Decimal("20.00"), "vat": Decimal("1.80"), "gross": Decimal("21.80")},
    }
    assert loaded.vat_amount == Decimal("23.65")


def test_order_get_by_number_accepts_what_people_type(customer, mug):
    order = place(customer, ("MUG-RED", 1))
    digits = order.number.removeprefix("SO-").lstrip("0")
    for typed in (order.number, order.number.lower(), digits, f" so-{digits} "):
        assert selectors.order_get_by_number(typed).pk == order.pk
    with pytest.raises(NotFound):
        selectors.order_get_by_number("SO-999999")


def test_order_list_filters(customer, mug):
    today = timezone.localdate()
    web = place(customer, ("MUG-RED", 1), external_reference="WEB-7")
    late = OrderFactory(status="allocated", promised_delivery_date=today - timedelta(days=2))
    shipped_late = OrderFactory(status="shipped", promised_delivery_date=today - timedelta(days=2))
    backordered = OrderFactory(status="backordered", channel="phone")
    old = OrderFactory(status="completed", created_at=timezone.now() - timedelta(days=40))
    assert numbers(selectors.order_list()) == numbers(Order.objects.order_by("-id"))
    assert numbers(selectors.order_list(status="backordered")) == [backordered.number]
    assert numbers(selectors.order_list(status=["completed", "shipped"])) == [old.number, shipped_late.number]
    assert numbers(selectors.order_list(channel="phone")) == [backordered.number]
    assert numbers(selectors.order_list(customer_id=customer.pk)) == [web.number]
    assert numbers(selectors.order_list(customer_number=customer.number.lower())) == [web.number]
    assert numbers(selectors.order_list(late=True)) == [late.number]
    assert numbers(selectors.order_list(backordered=True)) == [backordered.number]
    assert old.number not in numbers(selectors.order_list(created_from=today - timedelta(days=7)))
    assert numbers(selectors.order_list(created_to=today - timedelta(days=30))) == [old.number]


def test_order_list_search(customer, mug):
    other = CustomerFactory(name="Pieter Jansen", email="pieter@jansen.nl")
    mine = place(customer, ("MUG-RED", 1), external_reference="WEB-10023")
    his = OrderFactory(customer=other, shipping_address={"postal_code": "1012 LG", "country": "NL"})
    assert numbers(selectors.order_list(search=mine.number.lower())) == [mine.number]
    assert numbers(selectors.order_list(search="WEB-10023")) == [mine.number]
    assert numbers(selectors.order_list(search="1012lg")) == [his.number]
    assert numbers(selectors.order_list(search="pieter jansen")) == [his.number]
    assert numbers(selectors.order_list(search="pieter@jansen.nl")) == [his.number]


def test_order_list_page_is_one_query(customer, mug, django_assert_num_queries):
    for _ in range(3):
        place(customer, ("MUG-RED", 1))
    with django_assert_num_queries(1):
        assert len([o.customer.number for o in selectors.order_list(status="allocated")[:50]]) == 3


@pytest.fixture
def searched():
    """Orders a search finds by their customer, by their own fields, or both (the customer's
    postcode and the order's), with totals and dates that tie, among orders it must not find."""
    now = timezone.now()
    pieter = CustomerFactory(
        name="Pieter Jansen",
        search_document=build_search_document(number="C-900001", name="Pieter Jansen", postcodes=["1012 LG"]),
    )
    there = {"postal_code": "1012 LG", "city": "Amsterdam", "country": "NL"}
    elsewhere = {"postal_code": "3511 AB", "city": "Utrecht", "country": "NL"}
    rows = [
        (pieter, there, "completed", 30),
        (pieter, elsewhere, "completed", 10),
        (pieter, elsewhere, "cancelled", 30),
        (pieter, there, "completed", 20),
        (CustomerFactory(), there, "completed", 30),  # shipped to the postcode, another customer
        (CustomerFactory(), there, "allocated", 5),
        (CustomerFactory(name="Piet Jansma"), elsewhere, "completed", 30),
        (pieter, elsewhere, "completed", 20),
    ]
    for i, (who, address, status, total) in enumerate(rows):
        OrderFactory(
            customer=who,
            shipping_address=address,
            status=status,
            net_amount=total,
            vat_amount=0,
            gross_amount=total,
            created_at=now - timedelta(hours=i % 3),
        )


SORT_KEYS = {
    "date": lambda o: (o.created_at, o.pk),
    "number": lambda o: (o.number,),
    "total": lambda o: (o.gross_amount, o.pk),
}


def _walk(queryset, search, sort):
    """Every page forwards (two orders each), then back from the last page to the first."""
    page = selectors.order_list_page(queryset, search=search, sort=sort, size=2)
    pages = [page]
    while page.has_next:
        page = selectors.order_list_page(queryset, search=search, sort=sort, after=page.next_after, size=2)
        pages.append(page)
    forwards = [numbers(p.rows) for p in pages]
    backwards = [forwards[-1]]
    while page.has_previous:
        page = selectors.order_list_page(queryset, search=search, sort=sort, before=page.previous_before, size=2)
        backwards.insert(0, numbers(page.rows))
    return forwards, backwards


@pytest.mark.parametrize(
    ("search", "status", "found"),
    [
        ("1012lg", None, 7),  # the customer's postcode and the orders', each order once
        ("pieter jansen", None, 5),  # the customer's orders only
        ("1012 LG", "completed", 5),
        ("jans", "completed", 5),  # two customers
        ("nobody", None, 0),
    ],
)
def test_order_list_page_search_pages_through_every_match_in_every_sort(searched, search, status, found):
    matches = list(selectors.order_list(search=search, status=status))
    assert len(matches) == found
    for sort in [s for key in SORT_KEYS for s in (key, f"-{key}")]:
        expected = numbers(sorted(matches, key=SORT_KEYS[sort.lstrip("-")], reverse=sort.startswith("-")))
        forwards, backwards = _walk(selectors.order_list(status=status), search, sort)
        assert sum(forwards, []) == expected, sort
        assert backwards == forwards, sort


def test_order_list_page_with_a_search_is_two_queries(searched, django_assert_num_queries):
    queryset = selectors.order_list(exclude_drafts=True)
    with django_assert_num_queries(2):  # the matching customers' ids, the page of orders with customers
        page = selectors.order_list_page(queryset, search="1012LG", sort="-total", size=3)
        assert [o.customer.name for o in page.rows] and page.has_next
    with django_assert_num_queries(1):
        assert len(selectors.order_list_page(queryset, sort="-total", size=3).rows) == 3


def test_customer_order_stats(customer, mug):
    place(customer, ("MUG-RED", 1))  # 9.99 + 5.99 shipping incl. VAT: 8.26 + 4.95 net
    place(customer, ("MUG-RED", 2))  # 19.98 + 5.99 incl. VAT: 16.51 + 4.95 net
    cancelled = place(customer, ("MUG-RED", 1))
    order_cancel(order=cancelled, user=None)
    OrderFactory(
        customer=customer,
        status="completed",
        net_amount=Decimal("100.00"),
        vat_amount=0,
        gross_amount=Decimal("100.00"),
        created_at=timezone.now() - timedelta(days=400),
    )
    stats = selectors.customer_order_stats(customer.pk)
    assert (stats.orders, stats.orders_12m, stats.open_orders) == (3, 2, 2)
    assert (stats.revenue_12m, stats.average_order, stats.open_on_account) == (
        Decimal("34.67"),
        Decimal("17.34"),
        Decimal("0"),
    )
    assert stats.last_order_at is not None
    empty = selectors.customer_order_stats(CustomerFactory().pk)
    assert (empty.orders, empty.revenue_12m, empty.average_order, empty.last_order_at) == (
        0,
        Decimal("0"),
        Decimal("0"),
        None,
    )


def test_customer_open_on_account_amount(b2b, mug):
    order = place(b2b, ("MUG-RED", 1))
    assert selectors.customer_open_on_account_amount(b2b.pk) == order.gross_amount
    assert selectors.customer_open_on_account_amount(b2b.pk, exclude_order_id=order.pk) == Decimal("0")


def test_orders_for_customer_and_the_timeline(customer, mug, agent, django_assert_num_queries):
    order = place(customer, ("MUG-RED", 1), user=agent)
    order_hold(order=order, user=agent, reason="check")
    assert numbers(selectors.orders_for_customer(customer.pk)) == [order.number]
    with django_assert_num_queries(1):
        entries = [(e.kind, e.user.username) for e in selectors.order_timeline(order)]
    assert entries == [("placed", agent.username), ("held", agent.username)]


def test_backordered_quantities_counts_only_waiting_orders(customer, mug):
    place(customer, ("MUG-RED", 12))
    cancelled = place(customer, ("MUG-RED", 5))
    order_cancel(order=cancelled, user=None)
    assert selectors.backordered_quantities([mug.pk]) == {mug.pk: 2}
