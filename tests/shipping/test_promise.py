"""The delivery promise as pure functions: dates, sources, carrier choice and charge, no database.

Thursday 26 November 2026 is "today"; the AMS warehouse's cut-off is 15:00, TIL's 17:00; the
standard parcel takes one working day. The same cases run against the database in
``test_quotes.py``.
"""

from decimal import Decimal

import pytest

from oms.delivery import QuoteLine
from oms.errors import ValidationFailed
from shipping.promise import ServiceOption, ShippingUnavailable, build_quote, choose_service, plan_sources
from shipping.zones import postcode_number
from tests.shipping.plain import (
    AMS_WH,
    ANT_WH,
    EUROPE,
    MUG,
    PARCEL,
    PLATE,
    TEAPOT,
    TIL_WH,
    VAN,
    WORLD,
    at,
    brackets,
    d,
    data,
    kg,
    request,
)

IN_STOCK = {MUG: {AMS_WH: 10}, PLATE: {AMS_WH: 10}}


# --- Promise cases (issue 7) ---------------------------------------------------------------------


def test_build_quote_in_stock_before_the_cutoff_ships_today():
    quote = build_quote(request((MUG, 2), now=at("2026-11-26", "14:59")), data(IN_STOCK))

    assert quote.ship_date == d("2026-11-26")
    assert quote.delivery_date == quote.first_delivery_date == d("2026-11-27")
    assert quote.lines[0].quantity_in_stock == 2 and quote.lines[0].quantity_backordered == 0


def test_build_quote_in_stock_after_the_cutoff_ships_the_next_working_day():
    quote = build_quote(request((MUG, 2), now=at("2026-11-26", "15:00")), data(IN_STOCK))

    assert quote.ship_date == d("2026-11-27")
    assert quote.delivery_date == d("2026-11-30")  # Friday's parcel arrives on Monday


def test_build_quote_friday_evening_order_ships_monday_arrives_tuesday():
    quote = build_quote(request((MUG, 1), now=at("2026-11-27", "19:45")), data(IN_STOCK))

    assert (quote.ship_date, quote.delivery_date) == (d("2026-11-30"), d("2026-12-01"))


def test_build_quote_weekend_order_ships_monday():
    quote = build_quote(request((MUG, 1), now=at("2026-11-29", "09:00")), data(IN_STOCK))

    assert (quote.ship_date, quote.delivery_date) == (d("2026-11-30"), d("2026-12-01"))


def test_build_quote_christmas_holidays_are_skipped_for_shipping_and_delivery():
    # Thursday 24 December after the cut-off: Friday is Christmas, then the weekend.
    quote = build_quote(request((MUG, 1), now=at("2026-12-24", "16:00")), data(IN_STOCK))

    assert (quote.ship_date, quote.delivery_date) == (d("2026-12-28"), d("2026-12-29"))


def test_build_quote_holiday_in_transit_moves_the_delivery():
    # Friday before King's Day (Monday 27 April 2026): ships Friday, delivered Tuesday.
    quote = build_quote(request((MUG, 1), now=at("2026-04-24", "10:00")), data(IN_STOCK))

    assert (quote.ship_date, quote.delivery_date) == (d("2026-04-24"), d("2026-04-28"))


def test_build_quote_holiday_of_the_destination_country_counts():
    # Belgium's national day (Tuesday 21 July) is a working day in the Dutch warehouse.
    quote = build_quote(request((MUG, 1), now=at("2026-07-20"), country="BE", postal_code="2000"), data(IN_STOCK))

    assert quote.carrier_code == "pakketpost"
    assert (quote.ship_date, quote.delivery_date) == (d("2026-07-20"), d("2026-07-22"))


def test_build_quote_holiday_of_the_warehouse_country_counts_for_foreign_destinations():
    # Wednesday before Ascension: ships Friday (Thursday is a Dutch holiday), delivered Monday in Belgium.
    quote = build_quote(
        request((MUG, 1), now=at("2026-05-13", "16:00"), country="BE", postal_code="2000"), data(IN_STOCK)
    )

    assert (quote.ship_date, quote.delivery_date) == (d("2026-05-15"), d("2026-05-18"))


def test_build_quote_backordered_with_an_expected_receipt_ships_after_handling():
    stock = {MUG: {AMS_WH: 0}}
    receipts = {MUG: (d("2026-12-02"), 10, AMS_WH)}

    quote = build_quote(request((MUG, 4), now=at("2026-11-26")), data(stock, receipts))

    line = quote.lines[0]
    assert (line.quantity_in_stock, line.quantity_backordered) == (0, 4)
    assert line.expected_receipt_date == d("2026-12-02")
    assert line.ship_date == quote.ship_date == d("2026-12-03")  # one working day to put it away
    assert quote.delivery_date == d("2026-12-04")


def test_build_quote_ship_as_available_sends_the_stock_now_and_the_rest_later():
    stock = {MUG: {AMS_WH: 3}}
    receipts = {MUG: (d("2026-12-02"), 10, AMS_WH)}

    quote = build_quote(request((MUG, 5), (PLATE, 1), now=at("2026-11-26")), data(IN_STOCK | stock, receipts))

    assert quote.ship_date == d("2026-11-26")
    assert quote.first_delivery_date == d("2026-11-27")
    assert quote.delivery_date == d("2026-12-04")
    mug, plate = quote.lines
    assert (mug.quantity_in_stock, mug.quantity_backordered) == (3, 2)
    assert (mug.ship_date, mug.delivery_date) == (d("2026-12-03"), d("2026-12-04"))
    assert (plate.ship_date, plate.delivery_date) == (d("2026-11-26"), d("2026-11-27"))


def test_build_quote_ship_complete_holds_everything_for_the_latest_ship_date():
    stock = {MUG: {AMS_WH: 3}}
    receipts = {MUG: (d("2026-12-02"), 10, AMS_WH)}

    quote = build_quote(
        request((MUG, 5), (PLATE, 1), now=at("2026-11-26"), ship_complete=True), data(IN_STOCK | stock, receipts)
    )

    assert quote.ship_date == d("2026-12-03")
    assert quote.first_delivery_date == quote.delivery_date == d("2026-12-04")
    assert {(line.ship_date, line.delivery_date) for line in quote.lines} == {(d("2026-12-03"), d("2026-12-04"))}
    assert quote.lines[0].quantity_in_stock == 3  # what is in stock is still reported as such


# --- dates: more edges ---------------------------------------------------------------------------


def test_build_quote_uses_the_cutoff_of_the_warehouse_that_has_the_stock():
    stock = {MUG: {TIL_WH: 5}}  # TIL packs until 17:00

    quote = build_quote(request((MUG, 1), now=at("2026-11-26", "16:30")), data(stock))

    assert quote.ship_date == d("2026-11-26")


def test_build_quote_backorder_without_expected_receipt_uses_the_unknown_lead_time():
    quote = build_quote(request((MUG, 1), now=at("2026-11-26")), data({}, unknown_lead_days=10))

    assert quote.lines[0].expected_receipt_date is None
    assert quote.ship_date == d("2026-12-10")  # ten working days
    assert quote.delivery_date == d("2026-12-11")


def test_build_quote_receipt_smaller_than_the_shortage_leaves_the_rest_undated():
    receipts = {MUG: (d("2026-12-02"), 2, AMS_WH)}

    quote = build_quote(request((MUG, 5), now=at("2026-11-26")), data({}, receipts, unknown_lead_days=15))

    assert quote.lines[0].quantity_backordered == 5
    assert quote.ship_date == d("2026-12-03")  # the two that arrive go first
    assert quote.delivery_date == d("2026-12-18")  # the other three wait fifteen working days


def test_build_quote_overdue_receipt_counts_from_today():
    receipts = {MUG: (d("2026-11-20"), 10, AMS_WH)}  # should have arrived last week

    quote = build_quote(request((MUG, 1), now=at("2026-11-26")), data({}, receipts))

    assert quote.ship_date == d("2026-11-27")


def test_build_quote_receipt_on_a_weekend_is_handled_from_monday():
    receipts = {MUG: (d("2026-11-28"), 10, AMS_WH)}  # a Saturday

    quote = build_quote(request((MUG, 1), now=at("2026-11-26")), data({}, receipts, handling_days=1))

    assert quote.ship_date == d("2026-12-01")


def test_build_quote_receipt_today_with_no_handling_still_respects_the_cutoff():
    receipts = {MUG: (d("2026-11-26"), 10, AMS_WH)}

    quote = build_quote(request((MUG, 1), now=at("2026-11-26", "18:00")), data({}, receipts, handling_days=0))

    assert quote.ship_date == d("2026-11-27")


def test_build_quote_two_warehouses_ship_as_available_each_on_its_own_day():
    stock = {MUG: {AMS_WH: 1, TIL_WH: 5}}

    quote = build_quote(request((MUG, 3), now=at("2026-11-26", "16:00")), data(stock))

    line = quote.lines[0]
    assert line.quantity_in_stock == 3
    assert quote.ship_date == d("2026-11-26")  # TIL still packs at 16:00
    assert line.ship_date == d("2026-11-27")  # the AMS unit leaves tomorrow
    assert quote.first_delivery_date == d("2026-11-27") and quote.delivery_date == d("2026-11-30")


def test_build_quote_belgian_warehouse_follows_belgian_holidays():
    # 11 November (Armistice, Wednesday) is a Belgian holiday, not a Dutch one.
    stock = {MUG: {ANT_WH: 5}}

    quote = build_quote(request((MUG, 1), now=at("2026-11-10", "15:00")), data(stock, preference=(ANT_WH,)))

    assert quote.ship_date == d("2026-11-12")  # after ANT's 14:00 cut-off, and the 11th is closed
    assert quote.delivery_date == d("2026-11-13")


def test_build_quote_empty_order_answers_with_the_first_possible_dates():
    quote = build_quote(request(now=at("2026-11-26")), data({}))

    assert quote.lines == ()
    assert (quote.ship_date, quote.delivery_date) == (d("2026-11-26"), d("2026-11-27"))


def test_build_quote_zero_quantity_line_takes_the_order_dates():
    quote = build_quote(request((MUG, 1), (PLATE, 0), now=at("2026-11-26")), data(IN_STOCK))

    assert quote.lines[1].ship_date == quote.ship_date
    assert quote.lines[1].quantity_in_stock == quote.lines[1].quantity_backordered == 0


def test_build_quote_refuses_negative_quantities():
    with pytest.raises(ValidationFailed) as error:
        build_quote(request((MUG, 1), (PLATE, -1), now=at("2026-11-26")), data(IN_STOCK))

    assert error.value.field == "lines.1.quantity"


# --- sources -------------------------------------------------------------------------------------


def test_plan_sources_takes_stock_in_preference_order_and_shares_it_between_lines():
    stock = {MUG: {AMS_WH: 3, TIL_WH: 4}}

    first, second = plan_sources([QuoteLine(MUG, 2), QuoteLine(MUG, 4)], data(stock))

    assert [(p.warehouse_id, p.quantity, p.in_stock) for p in first] == [(AMS_WH, 2, True)]
    assert [(p.warehouse_id, p.quantity, p.in_stock) for p in second] == [(AMS_WH, 1, True), (TIL_WH, 3, True)]


def test_plan_sources_respects_a_requested_warehouse_order():
    stock = {MUG: {AMS_WH: 3, TIL_WH: 4}}

    (parts,) = plan_sources([QuoteLine(MUG, 2)], data(stock, preference=(TIL_WH, AMS_WH)))

    assert [(p.warehouse_id, p.quantity) for p in parts] == [(TIL_WH, 2)]


def test_plan_sources_ignores_stock_in_warehouses_not_asked_for():
    (parts,) = plan_sources([QuoteLine(MUG, 2)], data({MUG: {ANT_WH: 9}}))

    assert [(p.in_stock, p.quantity) for p in parts] == [(False, 2)]


def test_plan_sources_uses_given_allocations_and_not_the_stock():
    line = QuoteLine(MUG, 5, allocations=((TIL_WH, 3),))

    (parts,) = plan_sources([line], data({MUG: {AMS_WH: 100}}, {MUG: (d("2026-12-02"), 10, AMS_WH)}))

    assert [(p.warehouse_id, p.quantity, p.in_stock, p.expected_date) for p in parts] == [
        (TIL_WH, 3, True, None),
        (AMS_WH, 2, False, d("2026-12-02")),
    ]


def test_plan_sources_shares_an_expected_receipt_between_lines():
    receipts = {MUG: (d("2026-12-02"), 3, AMS_WH)}

    first, second = plan_sources([QuoteLine(MUG, 2), QuoteLine(MUG, 2)], data({}, receipts))

    assert [(p.quantity, p.expected_date) for p in first] == [(2, d("2026-12-02"))]
    assert [(p.quantity, p.expected_date) for p in second] == [(1, d("2026-12-02")), (1, None)]


def test_build_quote_allocations_in_an_unknown_warehouse_use_the_default_cutoff():
    line = QuoteLine(MUG, 1, allocations=((999, 1),))

    quote = build_quote(request(line, now=at("2026-11-26", "14:00")), data({}))

    assert quote.ship_date == d("2026-11-26")


# --- carrier, service and charge -----------------------------------------------------------------


def test_choose_service_takes_the_cheapest_that_serves_zone_and_weight():
    assert choose_service([PARCEL, EUROPE], country="NL", postal_code="2011 AB", weight_grams=500).price == Decimal(
        "4.10"
    )
    choice = choose_service([PARCEL, EUROPE], country="BE", postal_code="2000", weight_grams=kg(25))
    assert (choice.service.carrier_code, choice.price) == ("euroexpress", Decimal("19.95"))


def test_choose_service_uses_the_bracket_the_weight_falls_in():
    prices = [
        choose_service([PARCEL], country="NL", postal_code="", weight_grams=grams).price
        for grams in (0, 2000, 2001, 10000, 23000)
    ]

    assert prices == [Decimal("4.10"), Decimal("4.10"), Decimal("6.95"), Decimal("6.95"), Decimal("10.95")]


def test_choose_service_own_fleet_only_inside_its_postcode_ranges():
    inside = choose_service([PARCEL, VAN], country="NL", postal_code="3511 AB", weight_grams=kg(1))
    outside = choose_service([PARCEL, VAN], country="NL", postal_code="2011 AB", weight_grams=kg(1))
    no_postcode = choose_service([PARCEL, VAN], country="NL", postal_code="", weight_grams=kg(1))

    assert inside.service.carrier_code == "own-fleet"
    assert outside.service.carrier_code == no_postcode.service.carrier_code == "pakketpost"


def test_postcode_number_reads_the_area_number():
    assert [postcode_number(p) for p in ("3511 AB", "3511AB", "B-2000", "L-1234", "", "SW1A 1AA", "ABC")] == [
        3511,
        3511,
        2000,
        1234,
        None,
        1,
        None,
    ]


def test_choose_service_heavy_order_goes_to_the_service_that_takes_its_weight():
    choice = choose_service([PARCEL, VAN], country="NL", postal_code="1012 AB", weight_grams=kg(120))

    assert (choice.service.carrier_code, choice.price) == ("own-fleet", Decimal("24.95"))


def test_choose_service_raises_when_nobody_serves_the_weight_or_zone():
    with pytest.raises(ShippingUnavailable) as error:
        choose_service([PARCEL], country="NL", postal_code="2011 AB", weight_grams=kg(40))
    assert error.value.status == 409 and error.value.code == "shipping_unavailable"

    with pytest.raises(ShippingUnavailable):
        choose_service([PARCEL, EUROPE], country="US", postal_code="10001", weight_grams=kg(1))


def test_choose_service_zones_by_country():
    def carrier(country):
        choice = choose_service([PARCEL, EUROPE, WORLD], country=country, postal_code="", weight_grams=kg(1))
        return choice.service.service_code

    assert [carrier(c) for c in ("NL", "nl", "BE", "LU", "DE", "GR", "CH", "GB", "US")] == [
        "standard",
        "standard",
        "standard",
        "standard",
        "europe",
        "europe",
        "world",
        "world",
        "world",
    ]


def test_choose_service_tie_goes_to_the_faster_service():
    slow = PARCEL.__class__(**{**PARCEL.__dict__, "service_code": "slow", "transit_days": 3})

    assert choose_service([slow, PARCEL], country="NL", postal_code="", weight_grams=1).service is PARCEL


def test_build_quote_shipping_is_free_from_the_zone_threshold_on():
    below = build_quote(request((MUG, 1), now=at("2026-11-26"), order_net=Decimal("49.99")), data(IN_STOCK))
    at_threshold = build_quote(request((MUG, 1), now=at("2026-11-26"), order_net=Decimal("50.00")), data(IN_STOCK))
    belgium = build_quote(
        request((MUG, 1), now=at("2026-11-26"), order_net=Decimal("60"), country="BE", postal_code="2000"),
        data(IN_STOCK),
    )

    assert below.shipping_net == Decimal("4.10")
    assert at_threshold.shipping_net == Decimal("0.00")
    assert belgium.shipping_net == Decimal("8.50")  # Belgium is free from 75


def test_build_quote_free_shipping_only_for_the_services_it_applies_to():
    """Issue 15 defect 6: free shipping was applied to 48 kg of pallet freight."""
    freight = ServiceOption(
        carrier_code="euroexpress",
        carrier_name="EuroExpress",
        service_code="freight",
        transit_days=2,
        rates={"nl": brackets((100, "45.00"), (300, "75.00"))},
        free_shipping=False,
    )
    heavy = (QuoteLine(TEAPOT, 4, weight_grams=kg(12)),)  # 48 kg: too heavy for a parcel
    light = (QuoteLine(MUG, 1, weight_grams=kg(1)),)
    services = (PARCEL, freight)

    pallet = build_quote(request(*heavy, now=at("2026-11-26"), order_net=Decimal("900")), data(services=services))
    parcel = build_quote(request(*light, now=at("2026-11-26"), order_net=Decimal("900")), data(services=services))

    assert (pallet.service_code, pallet.shipping_net) == ("freight", Decimal("45.00"))
    assert (parcel.service_code, parcel.shipping_net) == ("standard", Decimal("0.00"))


def test_build_quote_weighs_lines_per_unit_and_falls_back_to_product_weights():
    lines = (QuoteLine(MUG, 3, weight_grams=kg(1)), QuoteLine(TEAPOT, 1))  # 3 kg + the teapot's own weight

    light = build_quote(request(*lines, now=at("2026-11-26")), data(IN_STOCK, weights={TEAPOT: kg(5)}))
    heavy = build_quote(request(*lines, now=at("2026-11-26")), data(IN_STOCK, weights={TEAPOT: kg(19)}))

    assert light.shipping_net == Decimal("6.95")  # 8 kg
    assert heavy.shipping_net == Decimal("10.95")  # 22 kg
