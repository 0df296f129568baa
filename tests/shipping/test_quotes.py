"""The delivery-quote backend on real tables: inventory's warehouses, stock and expected receipts,
and the demo carriers, rates and holidays. "Now" is passed in the request (Thursday 26 November
2026 unless a test says otherwise); AMS packs until 15:00, TIL until 17:00.

The parcels go to Groningen (9711 AB), outside the own van's Randstad region, so the parcel
carrier's standard service (one working day) carries them unless a test says otherwise.
"""

import re
from datetime import date, datetime, time
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services as inventory_services
from oms.delivery import QuoteLine, QuoteRequest
from oms.delivery import quote_delivery as quote_through_the_seam
from shipping.promise import ShippingUnavailable
from shipping.quotes import CARRIER_TABLES, WAREHOUSE_TABLE, quote_delivery

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
TABLE_NAME = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)', re.IGNORECASE)


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=AMS)


def d(day: str) -> date:
    return date.fromisoformat(day)


class Shop:
    """Two Dutch warehouses, three products, the demo carriers and holidays."""

    def __init__(self):
        call_command("demo_shipping", stdout=StringIO())
        self.ams, _ = inventory_services.warehouse_upsert(
            code="AMS", name="Amsterdam", cutoff_time=time(15, 0), priority=10
        )
        self.til, _ = inventory_services.warehouse_upsert(
            code="TIL", name="Tilburg", cutoff_time=time(17, 0), priority=20
        )
        self.mug = self._product("MUG", 350)
        self.plate = self._product("PLATE", 500)
        self.teapot = self._product("TEAPOT", 1200)

    @staticmethod
    def _product(sku, grams):
        product, _ = inventory_services.product_upsert(
            sku=sku, name=sku.title(), list_price=Decimal("9.95"), vat_category="high", weight_grams=grams
        )
        return product

    def receive(self, product, warehouse, quantity):
        inventory_services.stock_receive(
            product_id=product.pk, warehouse_id=warehouse.pk, quantity=quantity, reference="test"
        )

    def expect(self, product, warehouse, quantity, day):
        inventory_services.expected_receipt_set(
            reference=f"PO-{product.sku}",
            product_id=product.pk,
            warehouse_id=warehouse.pk,
            quantity=quantity,
            expected_date=d(day),
        )


@pytest.fixture
def shop():
    return Shop()


def ask(*lines, now, **fields):
    fields.setdefault("postal_code", "9711 AB")
    built = tuple(line if isinstance(line, QuoteLine) else QuoteLine(line[0].pk, line[1]) for line in lines)
    return quote_delivery(QuoteRequest(lines=built, now=now, **fields))


# --- Promise cases (issue 7) ---------------------------------------------------------------------


def test_quote_delivery_in_stock_before_the_cutoff_ships_today(shop):
    shop.receive(shop.mug, shop.ams, 10)

    quote = ask((shop.mug, 2), now=at("2026-11-26", "14:30"))

    assert (quote.carrier_code, quote.service_code, quote.shipping_net) == ("pakketpost", "standard", Decimal("4.10"))
    assert (quote.ship_date, quote.delivery_date) == (d("2026-11-26"), d("2026-11-27"))
    assert (quote.lines[0].quantity_in_stock, quote.lines[0].quantity_backordered) == (2, 0)


def test_quote_delivery_in_stock_after_the_cutoff_ships_the_next_working_day(shop):
    shop.receive(shop.mug, shop.ams, 10)

    quote = ask((shop.mug, 2), now=at("2026-11-26", "15:30"))

    assert (quote.ship_date, quote.delivery_date) == (d("2026-11-27"), d("2026-11-30"))


def test_quote_delivery_after_one_cutoff_ships_today_from_the_warehouse_that_packs_later(shop):
    shop.receive(shop.mug, shop.til, 10)

    quote = ask((shop.mug, 2), now=at("2026-11-26", "16:30"))

    assert quote.ship_date == d("2026-11-26")


def test_quote_delivery_friday_evening_order_arrives_tuesday(shop):
    shop.receive(shop.mug, shop.ams, 10)

    quote = ask((shop.mug, 1), now=at("2026-11-27", "20:15"))

    assert (quote.ship_date, quote.delivery_date) == (d("2026-11-30"), d("2026-12-01"))


def test_quote_delivery_skips_the_christmas_holidays(shop):
    shop.receive(shop.mug, shop.ams, 10)

    quote = ask((shop.mug, 1), now=at("2026-12-24", "16:00"))

    assert (quote.ship_date, quote.delivery_date) == (d("2026-12-28"), d("2026-12-29"))


def test_quote_delivery_skips_a_holiday_added_on_the_calendar_screen(shop, make_user):
    from shipping import services

    shop.receive(shop.mug, shop.ams, 10)
    services.holiday_add(user=make_user("warehouse"), country="NL", day=d("2026-11-27"), name="Stocktaking")

    quote = ask((shop.mug, 1), now=at("2026-11-26", "16:00"))

    assert (quote.ship_date, quote.delivery_date) == (d("2026-11-30"), d("2026-12-01"))


def test_quote_delivery_backordered_with_an_expected_receipt(shop):
    shop.expect(shop.mug, shop.ams, 10, "2026-12-02")

    quote = ask((shop.mug, 4), now=at("2026-11-26"))

    line = quote.lines[0]
    assert (line.quantity_in_stock, line.quantity_backordered) == (0, 4)
    assert line.expected_receipt_date == d("2026-12-02")
    assert (quote.ship_date, quote.delivery_date) == (d("2026-12-03"), d("2026-12-04"))


def test_quote_delivery_ship_as_available_against_ship_complete(shop):
    shop.receive(shop.mug, shop.ams, 3)
    shop.receive(shop.plate, shop.ams, 5)
    shop.expect(shop.mug, shop.ams, 10, "2026-12-02")
    lines = ((shop.mug, 5), (shop.plate, 1))

    available = ask(*lines, now=at("2026-11-26"))
    complete = ask(*lines, now=at("2026-11-26"), ship_complete=True)

    assert (available.ship_date, available.first_delivery_date, available.delivery_date) == (
        d("2026-11-26"),
        d("2026-11-27"),
        d("2026-12-04"),
    )
    assert [(line.ship_date, line.delivery_date) for line in available.lines] == [
        (d("2026-12-03"), d("2026-12-04")),
        (d("2026-11-26"), d("2026-11-27")),
    ]
    assert (complete.ship_date, complete.first_delivery_date, complete.delivery_date) == (
        d("2026-12-03"),
        d("2026-12-04"),
        d("2026-12-04"),
    )


# --- the wrapper's own duties --------------------------------------------------------------------


def test_quote_delivery_is_what_the_seam_answers(shop):
    shop.receive(shop.mug, shop.ams, 1)
    request = QuoteRequest(lines=(QuoteLine(shop.mug.pk, 1),), postal_code="9711 AB", now=at("2026-11-26"))

    assert quote_through_the_seam(request) == quote_delivery(request)


def test_quote_delivery_uses_allocations_after_placement(shop):
    shop.receive(shop.mug, shop.ams, 10)  # available, but the order's unit was reserved in TIL
    line = QuoteLine(shop.mug.pk, 1, allocations=((shop.til.pk, 1),))

    quote = ask(line, now=at("2026-11-26", "16:00"))

    assert quote.ship_date == d("2026-11-26")


def test_quote_delivery_takes_weights_from_the_products_and_picks_by_zone(shop):
    shop.receive(shop.teapot, shop.ams, 30)

    heavy = ask((shop.teapot, 20), now=at("2026-11-26"))  # 24 kg: beyond the parcel's 23 kg
    randstad = ask((shop.teapot, 1), now=at("2026-11-26"), postal_code="3511 AB")
    belgium = ask((shop.teapot, 1), now=at("2026-11-26"), country="BE", postal_code="2000")

    assert (heavy.carrier_code, heavy.service_code, heavy.shipping_net) == ("euroexpress", "freight", Decimal("45.00"))
    assert (randstad.carrier_code, randstad.shipping_net) == ("own-fleet", Decimal("3.95"))
    assert (belgium.carrier_code, belgium.service_code, belgium.delivery_date) == (
        "pakketpost",
        "benelux",
        d("2026-11-30"),
    )


def test_quote_delivery_is_free_from_the_threshold(shop):
    shop.receive(shop.mug, shop.ams, 10)

    assert ask((shop.mug, 1), now=at("2026-11-26"), order_net=Decimal("50.00")).shipping_net == Decimal("0.00")
    assert ask((shop.mug, 1), now=at("2026-11-26"), order_net=Decimal("49.99")).shipping_net == Decimal("4.10")


def test_quote_delivery_charges_pallet_freight_above_the_threshold(shop):
    """Issue 15 defect 6: 48 kg goes by pallet freight, which the demo marks as never free."""
    shop.receive(shop.teapot, shop.ams, 40)

    heavy = ask((shop.teapot, 40), now=at("2026-11-26"), order_net=Decimal("398.00"))  # 48 kg
    parcel = ask((shop.teapot, 10), now=at("2026-11-26"), order_net=Decimal("99.50"))  # 12 kg

    assert (heavy.service_code, heavy.shipping_net) == ("freight", Decimal("45.00"))
    assert (parcel.service_code, parcel.shipping_net) == ("standard", Decimal("0.00"))


def test_quote_delivery_with_no_carrier_for_the_address_is_a_conflict(shop):
    shop.receive(shop.teapot, shop.ams, 30)

    with pytest.raises(ShippingUnavailable):
        ask((shop.teapot, 25), now=at("2026-11-26"), country="US", postal_code="10001")


def test_quote_delivery_reads_a_fixed_number_of_queries(shop, django_assert_num_queries):
    products = [shop.mug, shop.plate, shop.teapot]
    for product in products:
        shop.receive(product, shop.ams, 2)
        shop.expect(product, shop.til, 50, "2026-12-07")
    one = (QuoteLine(shop.mug.pk, 1),)
    many = tuple(QuoteLine(p.pk, 1) for p in products * 4)  # four of each: two are short

    # cold: the tables' stamps, warehouses, stock, product weights, this zone's rates and areas,
    # its free-shipping amount, holidays
    CARRIER_TABLES.clear(), WAREHOUSE_TABLE.clear()
    with django_assert_num_queries(8):
        quote_delivery(QuoteRequest(lines=one, postal_code="9711 AB", now=at("2026-11-26")))
    # warm: the stamps and what is per order (stock, weights), plus the expected receipts, as
    # something is short
    with django_assert_num_queries(4):
        quote = quote_delivery(QuoteRequest(lines=many, postal_code="9711 AB", now=at("2026-11-26")))

    assert quote.delivery_date == d("2026-12-09")


def test_every_table_behind_the_cached_reference_data_is_stamped(shop):
    # A table the quote reads once per process must tell the processes when it changes: it is
    # one of its cache's tables and carries the stamp trigger (oms.reference_cache).
    request = QuoteRequest(
        lines=(QuoteLine(shop.mug.pk, 1, 350, allocations=((shop.ams.pk, 1),)),), postal_code="9711 AB",
        now=at("2026-11-26"),
    )  # fmt: skip
    CARRIER_TABLES.clear(), WAREHOUSE_TABLE.clear()
    with CaptureQueriesContext(connection) as cold:
        quote_delivery(request)
    with CaptureQueriesContext(connection) as warm:
        quote_delivery(request)

    def tables(captured) -> set[str]:
        return {name for q in captured.captured_queries for name in TABLE_NAME.findall(q["sql"])}

    cached = tables(cold) - tables(warm)
    assert "shipping_rate" in cached and len(warm) == 1
    assert cached <= set(CARRIER_TABLES.tables + WAREHOUSE_TABLE.tables)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'pgtrigger_reference_stamp_%%'"
        )
        stamped = {row[0] for row in cursor.fetchall()}
    assert set(CARRIER_TABLES.tables + WAREHOUSE_TABLE.tables) <= stamped


def test_availability_api_promises_the_date_of_this_backend(shop, api_client_for):
    # The product is out of stock and expected next month: the promise follows the receipt.
    shop.expect(shop.teapot, shop.ams, 10, "2026-12-15")
    request = QuoteRequest(lines=(QuoteLine(shop.teapot.pk, 1, shop.teapot.weight_grams),))

    before = quote_delivery(request).delivery_date
    body = api_client_for("api_client").get("/api/v1/products/TEAPOT/availability/").json()
    after = quote_delivery(request).delivery_date

    assert body["available"] == 0
    assert date.fromisoformat(body["promised_delivery_date"]) in {before, after}
