"""order_place: pricing, VAT regimes, stock, backorder policy, credit, references, events."""

import re
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer
from inventory.models import StockLevel
from oms.errors import Conflict, InsufficientStock, ValidationFailed
from oms.models import OutboxEvent
from orders.models import Allocation, Order, OrderEvent, OrderLine
from orders.services import order_place
from tests.factories.customers import CustomerFactory
from tests.factories.inventory import ProductFactory, level, stock
from tests.factories.orders import ADDRESS, OrderFactory, place

pytestmark = pytest.mark.django_db
# A Tuesday before the cut-off: ships today, delivered Wednesday.
TUESDAY_MORNING = timezone.make_aware(datetime(2026, 11, 24, 10, 0))


def events_of(order):
    return list(OutboxEvent.objects.filter(payload__order_id=order.pk).order_by("id").values_list("name", flat=True))


@override_settings(OMS_FLAT_SHIPPING_AMOUNT="4.09")
def test_order_place_matches_the_api_example(customer, mug, agent):
    # when a consumer orders two mugs of 8.26 (9.99 incl. VAT) with 4.09 shipping (4.95 incl.)
    order = place(customer, ("MUG-RED", 2), user=agent, now=TUESDAY_MORNING)
    # then the amounts are those of API.md: 24.93 holds 24.93 x 21/121 = 4.33 VAT
    order.refresh_from_db()
    assert re.fullmatch(r"SO-\d{6}", order.number) and order.prices_include_vat
    assert (order.net_amount, order.shipping_amount, order.vat_amount, order.gross_amount) == (
        Decimal("16.51"),
        Decimal("4.09"),
        Decimal("4.33"),
        Decimal("24.93"),
    )
    assert order.status == "allocated" and order.vat_regime == "domestic" and order.currency == "EUR"
    line = order.lines.get()
    assert (line.sku, line.name, line.unit_price, line.vat_rate, line.line_total) == (
        "MUG-RED",
        "Red mug",
        Decimal("9.99"),
        Decimal("21.00"),
        Decimal("19.98"),
    )
    assert (line.quantity_allocated, line.quantity_backordered, line.quantity_shipped) == (2, 0, 0)
    # the promise: ships Tuesday before the 15:00 cut-off, arrives Wednesday
    assert (
        str(order.promised_delivery_date) == "2026-11-25" and order.first_delivery_date == order.promised_delivery_date
    )
    assert (order.supply_date.isoformat(), order.placed_at, order.entered_by) == ("2026-11-24", TUESDAY_MORNING, agent)


def test_order_place_reserves_stock_with_an_allocation_timeline_and_events(customer, mug, ams, agent):
    order = place(customer, ("MUG-RED", 3), user=agent)
    assert level(mug, ams).reserved == 3
    allocation = Allocation.objects.get(order_line__order=order)
    assert (allocation.quantity, allocation.status, allocation.warehouse_id) == (3, "reserved", ams.pk)
    assert allocation.stock_level_id == level(mug, ams).pk
    entry = OrderEvent.objects.get(order=order)
    assert entry.kind == "placed" and entry.user == agent
    assert entry.message.startswith("Placed via Webshop: 1 line,") and "everything reserved" in entry.message
    assert events_of(order) == ["order.placed", "order.allocated"]


def test_order_place_returns_the_order_with_lines_loaded(customer, mug, django_assert_num_queries):
    order = place(customer, ("MUG-RED", 1))
    with django_assert_num_queries(0):
        lines = list(order.lines.all())
        assert [a.quantity for a in lines[0].allocations.all()] == [1]
        assert order.customer.number == customer.number


def test_the_loaded_lines_still_filter_to_this_order(customer, mug, book):
    # The cached relations answer .all() from memory; anything further is a query on this
    # order's (this line's) rows only, not on the whole table.
    other = place(customer, ("BOOK-1", 1), ("MUG-RED", 1))
    order = place(customer, ("MUG-RED", 2), ("BOOK-1", 1))
    assert [line.sku for line in order.lines.filter(line_no=2)] == ["BOOK-1"]
    assert order.lines.count() == 2 and other.lines.order_by("line_no").first().sku == "BOOK-1"
    first = order.lines.all()[0]
    assert first.allocations.count() == 1 and first.allocations.filter(quantity=2).exists()
    assert not first.allocations.filter(quantity=1).exists()


def test_order_place_backorders_what_is_short_with_allow(customer, mug, ams):
    order = place(customer, ("MUG-RED", 12))
    line = order.lines.get()
    assert (order.status, line.quantity_allocated, line.quantity_backordered) == ("backordered", 10, 2)
    assert level(mug, ams).reserved == 10
    assert events_of(order) == ["order.placed", "order.backordered"]
    assert "2 units backordered" in OrderEvent.objects.get(order=order).message


def test_order_place_backorders_a_line_with_no_stock_at_all(customer, mug, ams):
    ProductFactory(sku="NONE")
    order = place(customer, ("MUG-RED", 1), ("NONE", 4))
    assert [(ln.quantity_allocated, ln.quantity_backordered) for ln in order.lines.order_by("line_no")] == [
        (1, 0),
        (0, 4),
    ]
    assert order.status == "backordered"


def test_order_place_with_reject_places_nothing_when_a_line_is_short(customer, mug, book, ams):
    with pytest.raises(InsufficientStock) as caught:
        place(customer, ("BOOK-1", 1), ("MUG-RED", 11), backorder_policy="reject")
    assert [(e.field, e.code, e.extra["available"]) for e in caught.value.errors] == [
        ("lines.1", "insufficient_stock", 10)
    ]
    assert not Order.objects.exists() and not OutboxEvent.objects.filter(name__startswith="order.").exists()
    assert level(mug, ams).reserved == 0 and level(book, ams).reserved == 0


def test_order_place_with_reject_places_when_everything_is_in_stock(customer, mug):
    assert place(customer, ("MUG-RED", 10), backorder_policy="reject").status == "allocated"


def test_order_place_splits_a_line_over_warehouses_by_priority(customer, mug, ams):
    from tests.factories.inventory import WarehouseFactory

    rtm = WarehouseFactory(code="RTM", priority=20)
    stock(mug, rtm, 5)
    order = place(customer, ("MUG-RED", 13))
    parts = sorted(Allocation.objects.filter(order_line__order=order).values_list("warehouse__code", "quantity"))
    assert parts == [("AMS", 10), ("RTM", 3)] and order.status == "allocated"


def test_order_place_computes_vat_per_rate_over_the_order(b2b, mug, book):
    # a business order, excl. VAT: 3 x 8.26 = 24.78 at 21% with shipping 4.95 -> 29.73 * 21%
    # = 6.2433 -> 6.24; 1 x 20.00 at 9% -> 1.80
    order = place(b2b, ("MUG-RED", 3), ("BOOK-1", 1))
    assert (order.net_amount, order.shipping_amount, order.vat_amount, order.gross_amount) == (
        Decimal("44.78"),
        Decimal("4.95"),
        Decimal("8.04"),
        Decimal("57.77"),
    )


def test_order_place_takes_unit_price_and_discount_from_the_request(customer, mug):
    from orders.services import order_place

    order = order_place(
        channel="b2b",
        customer=customer,
        lines=[{"sku": "MUG-RED", "quantity": 3, "unit_price": "7.00", "discount_percent": "12.5"}],
        shipping_address=ADDRESS,
        user=None,
    )
    line = order.lines.get()
    # 3 x 7.00 less 12.5% = 18.375 -> 18.38 (half up)
    assert (line.unit_price, line.discount_percent, line.line_total) == (
        Decimal("7.00"),
        Decimal("12.50"),
        Decimal("18.38"),
    )


def test_order_place_reverse_charges_an_eu_business_shipping_abroad(mug):
    belgian = CustomerFactory(b2b=True, vat_id="BE0403019261", company_name="Brussel BV")
    address = {"street": "Rue Neuve", "house_number": "1", "postal_code": "1000", "city": "Brussel", "country": "BE"}
    order = place(belgian, ("MUG-RED", 2), shipping_address=address, payment_method="bank_transfer")
    assert order.vat_regime == "reverse_charge" and order.vat_amount == Decimal("0.00")
    assert order.lines.get().vat_rate == Decimal("0") and order.shipping_vat_rate == Decimal("0")
    assert order.gross_amount == order.net_amount + order.shipping_amount


def test_order_place_charges_dutch_vat_to_a_foreign_business_receiving_in_the_netherlands(mug):
    belgian = CustomerFactory(b2b=True, vat_id="BE0403019261", company_name="Brussel BV")
    order = place(belgian, ("MUG-RED", 1), payment_method="bank_transfer")
    assert order.vat_regime == "domestic" and order.lines.get().vat_rate == Decimal("21.00")


def test_order_place_zero_rates_an_export_outside_the_eu(customer, mug):
    address = {"street": "5th Avenue", "house_number": "1", "postal_code": "10001", "city": "New York", "country": "US"}
    order = place(customer, ("MUG-RED", 1), shipping_address=address)
    assert order.vat_regime == "export" and order.vat_amount == Decimal("0.00")
    assert order.shipping_address["country"] == "US"


def test_order_place_charges_dutch_vat_to_a_dutch_business(b2b, mug):
    order = place(b2b, ("MUG-RED", 1), payment_method="bank_transfer")
    assert order.vat_regime == "domestic" and order.vat_amount > 0


def test_order_place_refuses_a_customer_on_credit_hold(customer, mug, ams):
    Customer.objects.filter(pk=customer.pk).update(credit_hold=True, credit_hold_reason="unpaid invoices")
    customer.refresh_from_db()
    with pytest.raises(Conflict) as caught:
        place(customer, ("MUG-RED", 1))
    assert (caught.value.code, caught.value.field, caught.value.status) == ("customer_blocked", "customer", 409)
    assert "unpaid invoices" in caught.value.message
    assert not Order.objects.exists() and level(mug, ams).reserved == 0


def test_order_place_refuses_on_account_for_a_consumer(customer, mug):
    with pytest.raises(Conflict) as caught:
        place(customer, ("MUG-RED", 1), payment_method="on_account")
    assert (caught.value.code, caught.value.field) == ("on_account_not_allowed", "payment_method")


def test_order_place_on_account_within_the_credit_limit(b2b, mug):
    OrderFactory(
        customer=b2b,
        payment_method="on_account",
        gross_amount=Decimal("4950.00"),
        net_amount=Decimal("4950.00"),
        vat_amount=0,
    )
    order = place(b2b, ("MUG-RED", 2))  # 16.52 + 4.95 + 4.51 = 25.98: 4975.98 <= 5000
    assert order.payment_method == "on_account" and order.gross_amount == Decimal("25.98")


def test_order_place_on_account_past_the_credit_limit_is_refused(b2b, mug, ams):
    # given 4980 open on account (paid orders and other methods do not count)
    OrderFactory(
        customer=b2b,
        payment_method="on_account",
        gross_amount=Decimal("4990.00"),
        net_amount=Decimal("4990.00"),
        vat_amount=0,
        amount_paid=Decimal("10.00"),
    )
    OrderFactory(
        customer=b2b, payment_method="ideal", gross_amount=Decimal("900.00"), net_amount=Decimal("900.00"), vat_amount=0
    )
    OrderFactory(
        customer=b2b,
        payment_method="on_account",
        status="completed",
        gross_amount=Decimal("900.00"),
        net_amount=Decimal("900.00"),
        vat_amount=0,
    )
    # when an order of 25.98 on account comes in
    with pytest.raises(Conflict) as caught:
        place(b2b, ("MUG-RED", 2))
    # then it is refused and nothing is reserved
    assert caught.value.code == "credit_limit_exceeded" and caught.value.status == 409
    assert caught.value.extra == {"credit_limit": "5000.00", "open_amount": "4980.00", "order_amount": "25.98"}
    assert level(mug, ams).reserved == 0
    assert place(b2b, ("MUG-RED", 2), payment_method="bank_transfer").status == "allocated"


def test_order_place_refuses_a_duplicate_external_reference_on_the_same_channel(customer, mug, ams):
    first = place(customer, ("MUG-RED", 1), external_reference="WEB-10023")
    with pytest.raises(Conflict) as caught:
        place(customer, ("MUG-RED", 1), external_reference="WEB-10023")
    assert (caught.value.code, caught.value.extra["number"]) == ("duplicate_external_reference", first.number)
    assert level(mug, ams).reserved == 1  # the refused order's reservation was rolled back
    assert (
        place(customer, ("MUG-RED", 1), external_reference="WEB-10023", channel="phone").external_reference
        == "WEB-10023"
    )


def test_order_place_reports_every_bad_line_with_its_field(customer, mug):
    with pytest.raises(ValidationFailed) as caught:
        order_place(
            channel="web",
            customer=customer,
            shipping_address=ADDRESS,
            lines=[{"sku": "MUG-RED", "quantity": 0}, {"sku": "NOPE", "quantity": 1}, {"quantity": 1}, "x"],
            user=None,
        )
    found = {(e.field, e.code) for e in caught.value.errors}
    assert found == {("lines.0.quantity", "invalid_quantity"), ("lines.2.sku", "required"), ("lines.3", "invalid")}
    with pytest.raises(ValidationFailed) as caught:
        place(customer, ("MUG-RED", 1), ("NOPE", 1))
    assert (caught.value.field, caught.value.code) == ("lines.1.sku", "unknown_sku")


@pytest.mark.parametrize(
    "kwargs,field,code",
    [
        ({"channel": "fax"}, "channel", "invalid_choice"),
        ({"payment_method": "bitcoin"}, "payment_method", "invalid_choice"),
        ({"backorder_policy": "maybe"}, "backorder_policy", "invalid_choice"),
        ({"ship_complete": "yes"}, "ship_complete", "invalid"),
        ({"external_reference": "x" * 101}, "external_reference", "max_length"),
        ({"lines": []}, "lines", "required"),
        ({"lines": [{"sku": "MUG-RED", "quantity": 1}] * 501}, "lines", "too_many_lines"),
        ({"lines": [{"sku": "MUG-RED", "quantity": 1, "unit_price": 1.5}]}, "lines.0.unit_price", "invalid_price"),
        ({"lines": [{"sku": "MUG-RED", "quantity": 1, "unit_price": "1.555"}]}, "lines.0.unit_price", "invalid_price"),
        (
            {"lines": [{"sku": "MUG-RED", "quantity": 1, "discount_percent": "101"}]},
            "lines.0.discount_percent",
            "invalid_discount",
        ),
        ({"lines": [{"sku": "MUG-RED", "quantity": True}]}, "lines.0.quantity", "invalid_quantity"),
        (
            {"shipping_address": {"street": "X", "house_number": "1", "postal_code": "12", "city": "U"}},
            "shipping_address.postal_code",
            "invalid_postal_code",
        ),
    ],
)
def test_order_place_refuses_bad_input_before_touching_anything(customer, mug, kwargs, field, code):
    values = {
        "channel": "web",
        "customer": customer,
        "shipping_address": ADDRESS,
        "lines": [{"sku": "MUG-RED", "quantity": 1}],
        "user": None,
    }
    with pytest.raises(ValidationFailed) as caught:
        order_place(**(values | kwargs))
    assert (caught.value.field, caught.value.code) == (field, code)
    assert not Order.objects.exists()


def test_order_place_finds_the_customer_by_number_or_email_or_creates_one(customer, mug):
    by_number = order_place(
        channel="web",
        customer_ref={"number": customer.number.lower()},
        lines=[{"sku": "MUG-RED", "quantity": 1}],
        user=None,
    )
    assert by_number.customer == customer
    assert by_number.shipping_address["house_number"] == "7"  # the default shipping address
    assert by_number.billing_address["street"] == "Damrak"  # the default billing address
    by_email = order_place(
        channel="web",
        customer_ref={"email": customer.email.upper(), "name": "X"},
        lines=[{"sku": "MUG-RED", "quantity": 1}],
        user=None,
    )
    assert by_email.customer == customer
    new = order_place(
        channel="web",
        customer_ref={"email": "nieuw@example.nl", "name": "Nieuwe Klant", "phone": "0612345678"},
        shipping_address=ADDRESS,
        lines=[{"sku": "MUG-RED", "quantity": 1}],
        user=None,
    )
    assert (new.customer.email, new.customer.kind, new.billing_address) == (
        "nieuw@example.nl",
        "b2c",
        new.shipping_address,
    )


def test_order_place_unknown_customer_number_is_a_field_error(mug):
    with pytest.raises(ValidationFailed) as caught:
        order_place(
            channel="web", customer_ref={"number": "C-999999"}, lines=[{"sku": "MUG-RED", "quantity": 1}], user=None
        )
    assert (caught.value.field, caught.value.code) == ("customer.number", "unknown_customer")


def test_order_place_new_customer_needs_a_name_and_nothing_stays_behind(mug):
    with pytest.raises(ValidationFailed) as caught:
        order_place(
            channel="web",
            customer_ref={"email": "x@example.nl"},
            shipping_address=ADDRESS,
            lines=[{"sku": "NOPE", "quantity": 1}],
            user=None,
        )
    assert caught.value.field == "lines.0.sku"
    with pytest.raises(ValidationFailed) as caught:
        order_place(
            channel="web",
            customer_ref={"email": "x@example.nl"},
            shipping_address=ADDRESS,
            lines=[{"sku": "MUG-RED", "quantity": 1}],
            user=None,
        )
    assert (caught.value.field, caught.value.code) == ("customer.name", "required")
    assert not Customer.objects.filter(email="x@example.nl").exists()


def test_order_place_needs_an_address_when_the_customer_has_none(mug):
    bare = CustomerFactory()
    with pytest.raises(ValidationFailed) as caught:
        place(bare, ("MUG-RED", 1), shipping_address=None)
    assert (caught.value.field, caught.value.code) == ("shipping_address", "address_required")
    store = place(bare, ("MUG-RED", 1), shipping_address=None, channel="store", payment_method="pin")
    assert (store.shipping_amount, store.promised_delivery_date) == (Decimal("0.00"), store.supply_date)


def test_order_place_query_count_does_not_grow_with_lines(customer, ams):
    # given 20 products in stock, and the VAT rates cached by a first order
    products = [ProductFactory(sku=f"Q-{i:02d}") for i in range(20)]
    for product in products:
        stock(product, ams, 5)
    place(customer, (products[0].sku, 1))
    counts = []
    for size in (1, 20):
        with CaptureQueriesContext(connection) as captured:
            place(customer, *[(p.sku, 1) for p in products[:size]])
        counts.append(len(captured))
    # then one line and twenty lines cost the same number of queries
    assert counts[0] == counts[1], counts
    assert counts[0] <= 10, [q["sql"][:90] for q in captured.captured_queries]


def test_order_place_lines_keep_their_snapshot_when_the_catalogue_changes(customer, mug):
    order = place(customer, ("MUG-RED", 1))
    mug.list_price, mug.name = Decimal("99.00"), "Renamed"
    mug.save()
    line = OrderLine.objects.get(order=order)
    assert (line.unit_price, line.name) == (Decimal("9.99"), "Red mug")  # the consumer price then


def test_order_place_inactive_product_is_refused(customer, mug):
    ProductFactory(sku="OLD", active=False)
    with pytest.raises(ValidationFailed) as caught:
        place(customer, ("OLD", 1))
    assert (caught.value.field, caught.value.code) == ("lines.0.sku", "inactive_product")


def test_order_place_stock_levels_never_exceed_on_hand(customer, mug, ams):
    place(customer, ("MUG-RED", 25))
    lv = StockLevel.objects.get(pk=level(mug, ams).pk)
    assert (lv.on_hand, lv.reserved) == (10, 10)
