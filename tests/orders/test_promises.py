"""The promise per line: stored at placement from the delivery quote, shown on the staff and
customer pages, in the confirmation and the API, and moved (timeline, one e-mail per order) when
the receipt a backordered line waits for moves."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format

from oms.delivery import QuoteLine, QuoteRequest
from oms.models import Notification, OutboxEvent
from oms.roles import Role
from orders.models import Order, OrderEvent, OrderLine
from orders.services import promises
from orders.status_links import status_path
from purchasing.services import goods_receipt_post, purchase_order_reschedule, purchase_order_send
from shipping.quotes import quote_delivery
from tests.factories.customers import AddressFactory, CustomerFactory
from tests.factories.inventory import ProductFactory
from tests.factories.orders import ADDRESS, place
from tests.factories.payments import dispatch_pending
from tests.factories.purchasing import draft_purchase_order
from tests.factories.shipping import parcel_service

pytestmark = pytest.mark.django_db
SHIPPING = "shipping.quotes.quote_delivery"
RECORDED: list = []


def recording_quote(request):
    """Shipping's quote, kept so that a test can compare what placement stored with it."""
    quote = quote_delivery(request)
    RECORDED.append(quote)
    return quote


@pytest.fixture(autouse=True)
def shipping_quotes(default_quotes):
    with override_settings(OMS_DELIVERY_QUOTE_BACKEND=SHIPPING):
        yield


@pytest.fixture
def run_events(django_capture_on_commit_callbacks):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_pending()

    return run


@pytest.fixture
def carrier(db):
    return parcel_service("postnl", rates={"nl": [(30000, "4.10")]})


@pytest.fixture
def lamp(ams):
    return ProductFactory(sku="LAMP", name="Desk lamp", weight_grams=800)


@pytest.fixture
def vase(ams):
    return ProductFactory(sku="VASE", name="Vase", weight_grams=500)


def sent_po(product, ams, quantity=20):
    po = draft_purchase_order([(product, quantity, "4.00")], warehouse=ams)
    return purchase_order_send(purchase_order_id=po.pk, user=None)


def buyer(email):
    customer = CustomerFactory(email=email, language="nl")
    AddressFactory(customer=customer, kind="shipping", house_number="7", postal_code="3511 AB")
    return customer


def line_of(order, sku) -> OrderLine:
    return OrderLine.objects.get(order=order, sku=sku)


def fresh_quote(product, quantity) -> date:
    """What shipping promises ``quantity`` waiting units of ``product`` now."""
    request = QuoteRequest(lines=(QuoteLine(product.pk, quantity),), country="NL", postal_code="3511 AB")
    return quote_delivery(request).delivery_date


# --- placement -------------------------------------------------------------------------------------


def test_order_place_stores_each_lines_promise_equal_to_the_quote(customer, mug, lamp, ams, carrier):
    # given a mug in stock and a lamp expected from a purchase order in a week or so
    sent_po(lamp, ams)
    RECORDED.clear()
    # when an order of both is placed
    with override_settings(OMS_DELIVERY_QUOTE_BACKEND="tests.orders.test_promises.recording_quote"):
        order = place(customer, ("MUG-RED", 1), ("LAMP", 2))
    # then each line keeps the quote's date for it, and the order the latest and the first
    (quote,) = RECORDED
    stored = list(
        OrderLine.objects.filter(order=order).order_by("line_no").values_list("promised_delivery_date", flat=True)
    )
    assert stored == [line.delivery_date for line in quote.lines]
    assert stored[0] < stored[1], "the lamp waits for its purchase order"
    order.refresh_from_db()
    assert (order.first_delivery_date, order.promised_delivery_date) == (stored[0], stored[1])


def test_lines_promise_is_in_the_api_the_staff_page_and_the_customer_page(
    api_client_for, role_client, client, customer, mug, lamp, ams, carrier
):
    sent_po(lamp, ams)
    body = {
        "channel": "web",
        "customer": {"number": customer.number},
        "shipping_address": ADDRESS,
        "lines": [{"sku": "MUG-RED", "quantity": 1}, {"sku": "LAMP", "quantity": 2}],
        "payment_method": "ideal",
    }
    response = api_client_for("api_client").post("/api/v1/orders/", body, format="json")
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    mug_date, lamp_date = (
        line_of(order, "MUG-RED").promised_delivery_date,
        line_of(order, "LAMP").promised_delivery_date,
    )
    # the API answer, per line
    assert [line["promised_delivery_date"] for line in response.json()["lines"]] == [
        mug_date.isoformat(),
        lamp_date.isoformat(),
    ]
    fetched = api_client_for("api_client").get(f"/api/v1/orders/{order.number}/").json()
    assert fetched["lines"][1]["promised_delivery_date"] == lamp_date.isoformat()
    # the staff order page, per line
    page = role_client(Role.CUSTOMER_SERVICE).get(f"/orders/{order.number}/").content.decode()
    cells = re.findall(r'data-testid="line-promised">([^<]*)<', page)
    with translation.override("en"):
        assert cells == [date_format(mug_date, "D j M"), date_format(lamp_date, "D j M")]
    # the customer's page, per line
    public = client.get(status_path(order)).content.decode()
    assert f"{mug_date:%d-%m-%Y}" in public and f"{lamp_date:%d-%m-%Y}" in public


def test_the_confirmation_gives_each_lines_promise(mug, lamp, ams, carrier, run_events):
    sent_po(lamp, ams)
    customer = buyer("ann@example.com")
    order = place(customer, ("MUG-RED", 1), ("LAMP", 2))
    run_events()
    (message,) = [m for m in mail.outbox if m.to == ["ann@example.com"]]
    lamp_date = line_of(order, "LAMP").promised_delivery_date
    mug_date = line_of(order, "MUG-RED").promised_delivery_date
    assert re.search(rf"x Desk lamp \(LAMP\).*\n\s+verwachte bezorging: {lamp_date:%d-%m-%Y}", message.body)
    assert re.search(rf"x Red mug \(MUG-RED\).*\n\s+verwachte bezorging: {mug_date:%d-%m-%Y}", message.body)


# --- moving ----------------------------------------------------------------------------------------


@pytest.fixture
def three_orders(mug, lamp, vase, ams, carrier, run_events):
    """Two orders waiting for the lamp's purchase order (one with a mug in stock too) and one
    waiting for the vase's; their confirmations already sent."""
    lamps, vases = sent_po(lamp, ams), sent_po(vase, ams)
    a = place(buyer("a@example.com"), ("MUG-RED", 1), ("LAMP", 2))
    b = place(buyer("b@example.com"), ("LAMP", 1))
    c = place(buyer("c@example.com"), ("VASE", 1))
    run_events()
    mail.outbox.clear()
    return lamps, vases, a, b, c


def snapshot(*orders):
    return {(o.pk, line.sku): line.promised_delivery_date for o in orders for line in OrderLine.objects.filter(order=o)}


def test_moving_a_purchase_orders_date_moves_exactly_the_waiting_lines(three_orders, lamp, run_events):
    lamps, _, a, b, c = three_orders
    before = snapshot(a, b, c)
    c_updated = Order.objects.get(pk=c.pk).updated_at
    # when the supplier says the lamps come three weeks later
    new_day = lamps.expected_date + timedelta(days=21)
    purchase_order_reschedule(purchase_order_id=lamps.pk, expected_date=new_day, user=None)
    run_events()
    # then the lamp lines move to what shipping now promises; nothing else moves
    after = snapshot(a, b, c)
    moved = {key for key in before if before[key] != after[key]}
    assert moved == {(a.pk, "LAMP"), (b.pk, "LAMP")}
    assert after[(a.pk, "LAMP")] == fresh_quote(lamp, 2) > before[(a.pk, "LAMP")]
    assert after[(b.pk, "LAMP")] == fresh_quote(lamp, 1)
    # the orders follow their lines: a's mug still comes first
    a.refresh_from_db()
    assert (a.promised_delivery_date, a.first_delivery_date) == (after[(a.pk, "LAMP")], after[(a.pk, "MUG-RED")])
    assert Order.objects.get(pk=c.pk).updated_at == c_updated
    # a timeline row on each order, in English and (shown) in Dutch
    (row,) = OrderEvent.objects.filter(order=a, kind="promise_moved")
    old, new = before[(a.pk, "LAMP")], after[(a.pk, "LAMP")]
    assert row.message == f"Promised delivery moved from {old:%d-%m-%Y} to {new:%d-%m-%Y} for line 2 (LAMP)."
    with translation.override("nl"):
        assert row.display_message == (
            f"Beloofde bezorging verschoven van {old:%d-%m-%Y} naar {new:%d-%m-%Y} voor regel 2 (LAMP)."
        )
    assert not OrderEvent.objects.filter(order=c, kind="promise_moved").exists()
    # one e-mail per affected order, listing the lamp, none for c
    by_address = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_address) == ["a@example.com", "b@example.com"] and len(mail.outbox) == 2
    message = by_address["a@example.com"]
    assert message.subject == f"Uw bestelling {a.number}: leverdatum gewijzigd"
    assert f"2 x Desk lamp (LAMP): was {old:%d-%m-%Y}, nu {new:%d-%m-%Y}" in message.body
    assert "Red mug" not in message.body


def test_the_same_date_again_or_the_same_event_again_sends_nothing(three_orders, run_events):
    lamps, _, a, b, _c = three_orders
    new_day = lamps.expected_date + timedelta(days=21)
    purchase_order_reschedule(purchase_order_id=lamps.pk, expected_date=new_day, user=None)
    run_events()
    assert len(mail.outbox) == 2
    events_before = OutboxEvent.objects.count()
    # the same date again: no event, no e-mail
    purchase_order_reschedule(purchase_order_id=lamps.pk, expected_date=new_day, user=None)
    run_events()
    assert OutboxEvent.objects.count() == events_before and len(mail.outbox) == 2
    # the handler run again for the same event: nothing moves
    event = OutboxEvent.objects.filter(name="stock.expected_changed").latest("id")
    assert promises.order_promises_refresh(product_ids=event.payload["product_ids"], event_id=event.id) == {}
    assert Notification.objects.filter(kind=promises.PROMISE_MOVED).count() == 2
    assert OrderEvent.objects.filter(kind="promise_moved").count() == 2


def test_stock_arriving_early_moves_the_promise_earlier(three_orders, lamp, run_events):
    lamps, _, a, b, _c = three_orders
    before = line_of(a, "LAMP").promised_delivery_date
    # when the lamps arrive today, a week before they were expected
    line = lamps.lines.get()
    goods_receipt_post(purchase_order_id=lamps.pk, quantities={line.pk: 20}, user=None)
    run_events()
    # then both lamp lines are reserved and promised as stock in hand, earlier; one e-mail each
    after = line_of(a, "LAMP")
    assert after.quantity_backordered == 0
    assert after.promised_delivery_date < before
    assert after.promised_delivery_date == line_of(a, "MUG-RED").promised_delivery_date
    assert sorted(m.to[0] for m in mail.outbox if "leverdatum gewijzigd" in m.subject) == [
        "a@example.com",
        "b@example.com",
    ]


def test_refreshing_many_orders_costs_the_same_queries_as_few(mug, ams, carrier):
    def refresh_queries(count):
        product = ProductFactory(sku=f"WAIT-{count}", weight_grams=100)
        sent_po(product, ams)
        orders = [place(buyer(f"q{count}-{n}@example.com"), (product.sku, 1)) for n in range(count)]
        OrderLine.objects.filter(order__in=orders).update(promised_delivery_date=timezone.localdate())
        with CaptureQueriesContext(connection) as captured:
            moved = promises.order_promises_refresh(product_ids=[product.pk])
        assert len(moved) == count
        return len(captured)

    assert refresh_queries(2) == refresh_queries(6)


def test_purchasing_moves_the_date_on_the_purchase_order_page(three_orders, role_client, run_events):
    lamps, _, a, _b, _c = three_orders
    new_day = lamps.expected_date + timedelta(days=14)
    client = role_client(Role.PURCHASING)
    url = f"/purchasing/orders/{lamps.number}/reschedule/"
    response = client.post(url, {"expected_date": new_day.isoformat(), "reason": "supplier delayed"})
    assert response.status_code == 302
    lamps.refresh_from_db()
    assert lamps.expected_date == new_day
    assert lamps.timeline.filter(kind="rescheduled").get().message.endswith("supplier delayed.")
    run_events()
    assert OrderEvent.objects.filter(order=a, kind="promise_moved").count() == 1
    # a bad date is a message, not a 500, and changes nothing
    assert client.post(url, {"expected_date": "someday"}).status_code == 302
    lamps.refresh_from_db()
    assert lamps.expected_date == new_day


def test_stock_arriving_on_the_day_it_was_expected_moves_nothing(mug, lamp, ams, carrier, run_events):
    # given lamps expected today and an order waiting for them
    lamps = sent_po(lamp, ams)
    purchase_order_reschedule(purchase_order_id=lamps.pk, expected_date=timezone.localdate(), user=None)
    order = place(buyer("d@example.com"), ("LAMP", 1))
    run_events()
    promised = line_of(order, "LAMP").promised_delivery_date
    mail.outbox.clear()
    # when they arrive today
    goods_receipt_post(purchase_order_id=lamps.pk, quantities={lamps.lines.get().pk: 20}, user=None)
    run_events()
    # then the line is reserved, and the promise (which allowed for putting the goods away) stands
    line = line_of(order, "LAMP")
    assert line.quantity_backordered == 0 and line.promised_delivery_date == promised
    assert not OrderEvent.objects.filter(order=order, kind="promise_moved").exists()
    assert not [m for m in mail.outbox if "gewijzigd" in m.subject]


def test_stock_arriving_late_moves_the_promise_later(three_orders, lamp, run_events):
    lamps, _, a, b, _c = three_orders
    # the lamps were promised for today (their receipt was due days ago) ...
    today = timezone.localdate()
    OrderLine.objects.filter(order__in=[a, b], sku="LAMP").update(promised_delivery_date=today)
    # ... and arrive only now
    goods_receipt_post(purchase_order_id=lamps.pk, quantities={lamps.lines.get().pk: 20}, user=None)
    run_events()
    moved = line_of(a, "LAMP")
    assert moved.quantity_backordered == 0 and moved.promised_delivery_date > today
    row = OrderEvent.objects.get(order=a, kind="promise_moved")
    assert row.message.startswith(f"Promised delivery moved from {today:%d-%m-%Y} to ")
    assert sorted(m.to[0] for m in mail.outbox if "gewijzigd" in m.subject) == ["a@example.com", "b@example.com"]
