"""Shipping selectors: what the promise and the screens read, in a fixed number of queries."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from shipping import selectors
from shipping.promise import ShippingUnavailable
from tests.factories.shipping import CarrierFactory, HolidayFactory, OwnFleetFactory, RateFactory, parcel_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("demo_shipping", stdout=open("/dev/null", "w"))


def test_promise_services_reads_one_zone_in_two_queries(django_assert_num_queries):
    parcel_service("parcel", rates={"nl": [(2000, "4.10")], "eu": [(2000, "12.95")]})
    van = parcel_service("van", kind="own_fleet", rates={"nl": [(30000, "3.95")]})
    van.carrier.postcode_ranges.create(country="NL", first=3500, last=3599)

    with django_assert_num_queries(2):
        options = selectors.promise_services("nl")

    by_carrier = {o.carrier_code: o for o in options}
    assert set(by_carrier) == {"parcel", "van"}
    assert by_carrier["van"].local_only and by_carrier["van"].serves("NL", 3511)
    assert not by_carrier["van"].serves("NL", 2011)
    assert by_carrier["parcel"].price_for("nl", 1500) == Decimal("4.10")


def test_promise_services_leaves_out_inactive_services_and_carriers():
    parcel_service("off", rates={"nl": [(2000, "1.00")]}, active=False)
    resting = parcel_service("resting", rates={"nl": [(2000, "2.00")]})
    resting.active = False
    resting.save(update_fields=["active"])

    assert selectors.promise_services("nl") == []


def test_own_fleet_without_ranges_serves_nobody():
    parcel_service("van", kind="own_fleet", rates={"nl": [(30000, "3.95")]})

    with pytest.raises(ShippingUnavailable):
        selectors.service_choose(country="NL", postal_code="3511 AB", weight_grams=1000)


def test_service_choose_with_the_demo_data(demo):
    def pick(country, postcode, kg):
        choice = selectors.service_choose(country=country, postal_code=postcode, weight_grams=int(kg * 1000))
        return choice.service.carrier_code, choice.service.service_code, choice.price

    assert pick("NL", "3511 AB", 1) == ("own-fleet", "randstad", Decimal("3.95"))
    assert pick("NL", "9711 AB", 1) == ("pakketpost", "standard", Decimal("4.10"))
    assert pick("NL", "9711 AB", 50) == ("euroexpress", "freight", Decimal("45.00"))
    assert pick("BE", "2000", 3) == ("pakketpost", "benelux", Decimal("9.95"))
    assert pick("BE", "2000", 25) == ("euroexpress", "europe", Decimal("21.00"))
    assert pick("DE", "10115", 1) == ("euroexpress", "europe", Decimal("12.95"))
    assert pick("US", "10001", 1) == ("euroexpress", "world", Decimal("29.95"))
    with pytest.raises(ShippingUnavailable):
        pick("US", "10001", 25)


def test_rate_table_groups_brackets_by_zone_and_service_in_one_query(django_assert_num_queries):
    service = parcel_service("parcel", rates={"nl": [(10000, "6.95"), (2000, "4.10")], "eu": [(2000, "12.95")]})

    with django_assert_num_queries(1):
        table = selectors.rate_table()

    (row,) = table["nl"]
    assert row.service == service
    assert [r.weight_kg for r in row.rates] == ["2", "10"]
    assert table["world"] == []


def test_carrier_list_loads_services_and_ranges_in_three_queries(django_assert_num_queries):
    OwnFleetFactory()
    for n in range(3):
        RateFactory(service__carrier=CarrierFactory(code=f"c{n}"))

    with django_assert_num_queries(3):
        carriers = selectors.carrier_list()
        names = [(c.code, [s.code for s in c.services.all()], list(c.postcode_ranges.all())) for c in carriers]

    assert len(names) == 4


def test_closed_days_per_country_from_a_date_on(django_assert_num_queries):
    HolidayFactory(country="NL", date=date(2026, 12, 25))
    HolidayFactory(country="NL", date=date(2026, 1, 1))
    HolidayFactory(country="BE", date=date(2026, 12, 25))

    with django_assert_num_queries(1):
        closed = selectors.closed_days(["nl", "DE"], since=date(2026, 6, 1))

    assert closed == {"NL": frozenset({date(2026, 12, 25)}), "DE": frozenset()}


def test_service_level_by_codes_finds_what_a_quote_named():
    service = parcel_service("parcel")

    assert selectors.service_level_by_codes(carrier_code="parcel", service_code="standard") == service
