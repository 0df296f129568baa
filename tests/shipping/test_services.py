"""Carrier, service, rate, free-shipping and holiday services: before -> call -> after."""

from datetime import date
from decimal import Decimal

import pytest
from pghistory.models import Events

from oms.errors import Conflict, NotFound, ValidationFailed
from shipping import selectors, services
from shipping.models import Carrier, CarrierKind, FreeShipping, Holiday, Rate
from tests.factories.shipping import CarrierFactory, HolidayFactory, RateFactory, ServiceLevelFactory

pytestmark = pytest.mark.django_db


def _carrier(user, **fields):
    values = {"code": "pakketpost", "name": "PakketPost"} | fields
    return services.carrier_save(user=user, **values)


def test_carrier_save_creates_a_carrier_with_its_region(make_user):
    manager = make_user("manager")

    carrier = _carrier(
        manager, code=" Own-Van ", name="Van", kind=CarrierKind.OWN_FLEET, postcode_ranges=[("nl", 3500, 3599)]
    )

    carrier.refresh_from_db()
    assert (carrier.code, carrier.kind) == ("own-van", "own_fleet")
    assert [(r.country, r.first, r.last) for r in carrier.postcode_ranges.all()] == [("NL", 3500, 3599)]


def test_carrier_save_records_who_changed_it(make_user):
    manager = make_user("manager")
    carrier = _carrier(manager)

    _carrier(manager, carrier_id=carrier.pk, name="PakketPost NL")

    changes = Events.objects.references(carrier).order_by("pgh_created_at")
    assert [e.pgh_label for e in changes] == ["insert", "update"]
    assert changes.last().pgh_context["user"] == manager.pk


def test_carrier_save_keeps_the_api_key_unless_told_otherwise(make_user):
    user = make_user("warehouse")
    carrier = _carrier(user, api_key="secret-1")

    _carrier(user, carrier_id=carrier.pk, api_key=None)
    carrier.refresh_from_db()
    assert carrier.api_key == "secret-1"

    _carrier(user, carrier_id=carrier.pk, api_key="")
    carrier.refresh_from_db()
    assert carrier.api_key == ""


def test_carrier_save_replaces_the_postcode_ranges(make_user):
    user = make_user("warehouse")
    carrier = _carrier(user, postcode_ranges=[("NL", 1000, 1299), ("NL", 3500, 3599)])

    _carrier(user, carrier_id=carrier.pk, postcode_ranges=[("NL", 2000, 2799)])

    assert [(r.first, r.last) for r in carrier.postcode_ranges.all()] == [(2000, 2799)]


def test_carrier_save_refuses_a_taken_code(make_user):
    CarrierFactory(code="pakketpost")

    with pytest.raises(Conflict) as error:
        _carrier(make_user("warehouse"))

    assert error.value.field == "code"
    assert Carrier.objects.count() == 1


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"tracking_url_template": "https://t.example/{barcode}"}, "tracking_url_template"),
        ({"tracking_url_template": "https://t.example/{"}, "tracking_url_template"),
        ({"kind": CarrierKind.OWN_FLEET}, "postcode_ranges"),
        ({"postcode_ranges": [("NL", 3599, 3500)]}, "postcode_ranges"),
        ({"postcode_ranges": [("Netherlands", 1, 2)]}, "postcode_ranges"),
        ({"kind": "drone"}, "kind"),
    ],
)
def test_carrier_save_refuses_bad_input_and_writes_nothing(make_user, fields, field):
    with pytest.raises(ValidationFailed) as error:
        _carrier(make_user("warehouse"), **fields)

    assert error.value.field == field
    assert not Carrier.objects.exists()


def test_carrier_save_of_a_missing_carrier_is_not_found(make_user):
    with pytest.raises(NotFound):
        _carrier(make_user("warehouse"), carrier_id=999_999)


def test_carrier_tracking_url_fills_in_the_template():
    carrier = Carrier(tracking_url_template="https://t.example/{tracking_number}?pc={postal_code}&c={country}")

    assert (
        carrier.tracking_url("3SAB123", postal_code="3511 AB", country="nl")
        == "https://t.example/3SAB123?pc=3511AB&c=NL"
    )
    assert carrier.tracking_url("") == ""
    assert Carrier().tracking_url("3SAB123") == ""


def test_service_level_save_creates_and_updates(make_user):
    user = make_user("warehouse")
    carrier = CarrierFactory()

    service = services.service_level_save(user=user, carrier_id=carrier.pk, code="Standard", name="Std", transit_days=1)
    services.service_level_save(
        user=user, carrier_id=carrier.pk, service_id=service.pk, code="standard", name="Standard", transit_days=2
    )

    service.refresh_from_db()
    assert (service.code, service.name, service.transit_days) == ("standard", "Standard", 2)


def test_service_level_save_sets_whether_free_shipping_applies(make_user):
    user = make_user("warehouse")
    carrier = CarrierFactory()

    parcel = services.service_level_save(user=user, carrier_id=carrier.pk, code="std", name="Std", transit_days=1)
    pallet = services.service_level_save(
        user=user, carrier_id=carrier.pk, code="freight", name="Pallet", transit_days=2, free_shipping=False
    )

    parcel.refresh_from_db()
    pallet.refresh_from_db()
    assert (parcel.free_shipping, pallet.free_shipping) == (True, False)
    for service in (parcel, pallet):
        services.rates_set(user=make_user("manager"), service_id=service.pk, zone="nl", brackets=[(2000, Decimal("5"))])
    assert {o.service_code: o.free_shipping for o in selectors.promise_services("nl")} == {
        "std": True,
        "freight": False,
    }


def test_service_level_save_refuses_a_code_the_carrier_has(make_user):
    existing = ServiceLevelFactory(code="standard")

    with pytest.raises(Conflict):
        services.service_level_save(
            user=make_user("warehouse"), carrier_id=existing.carrier_id, code="standard", name="x", transit_days=1
        )


def test_service_level_save_refuses_transit_days_out_of_range(make_user):
    with pytest.raises(ValidationFailed) as error:
        services.service_level_save(
            user=make_user("warehouse"), carrier_id=CarrierFactory().pk, code="slow", name="Slow", transit_days=61
        )
    assert error.value.field == "transit_days"


def test_rates_set_replaces_the_brackets_of_one_zone_only(make_user):
    service = ServiceLevelFactory()
    RateFactory(service=service, zone="nl", max_weight_grams=2000, price=Decimal("4.10"))
    RateFactory(service=service, zone="nl", max_weight_grams=5000, price=Decimal("5.25"))
    belgium = RateFactory(service=service, zone="be_lu", max_weight_grams=2000, price=Decimal("8.50"))

    rates = services.rates_set(
        user=make_user("manager"),
        service_id=service.pk,
        zone="nl",
        brackets=[(2000, Decimal("4.25")), (10000, Decimal("6.955"))],
    )

    assert [(r.max_weight_grams, r.price) for r in rates] == [(2000, Decimal("4.25")), (10000, Decimal("6.96"))]
    assert Rate.objects.filter(pk=belgium.pk, price=Decimal("8.50")).exists()
    removed = Events.objects.filter(pgh_label="delete", pgh_model="shipping.RateEvent")
    assert [e.pgh_data["max_weight_grams"] for e in removed] == [5000]


def test_rates_set_with_no_brackets_stops_the_service_for_the_zone(make_user):
    rate = RateFactory(zone="eu")

    services.rates_set(user=make_user("manager"), service_id=rate.service_id, zone="eu", brackets=[])

    assert not Rate.objects.filter(service_id=rate.service_id, zone="eu").exists()


@pytest.mark.parametrize(
    "zone,brackets",
    [
        ("mars", [(1000, "1.00")]),
        ("nl", [(0, "1.00")]),
        ("nl", [(1000, "-1.00")]),
        ("nl", [(1000, "1.00"), (1000, "2.00")]),
    ],
)
def test_rates_set_refuses_bad_brackets_and_keeps_the_old_ones(make_user, zone, brackets):
    rate = RateFactory(zone="nl", max_weight_grams=2000, price=Decimal("4.10"))

    with pytest.raises(ValidationFailed):
        services.rates_set(user=make_user("manager"), service_id=rate.service_id, zone=zone, brackets=brackets)

    assert list(Rate.objects.values_list("max_weight_grams", "price")) == [(2000, Decimal("4.10"))]


def test_free_shipping_set_sets_changes_and_removes_the_threshold(make_user):
    manager = make_user("manager")

    services.free_shipping_set(user=manager, zone="nl", min_order_net=Decimal("50"))
    services.free_shipping_set(user=manager, zone="nl", min_order_net=Decimal("59.95"))
    assert FreeShipping.objects.get(zone="nl").min_order_net == Decimal("59.95")

    services.free_shipping_set(user=manager, zone="nl", min_order_net=None)
    assert not FreeShipping.objects.exists()


def test_holiday_add_refuses_a_day_that_is_already_closed(make_user):
    user = make_user("warehouse")
    services.holiday_add(user=user, country="nl", day=date(2026, 12, 24), name="Kerstavond")

    with pytest.raises(Conflict):
        services.holiday_add(user=user, country="NL", day=date(2026, 12, 24), name="Again")

    assert Holiday.objects.get().name == "Kerstavond"


def test_holiday_delete_opens_the_day_again(make_user):
    holiday = HolidayFactory()

    services.holiday_delete(user=make_user("warehouse"), holiday_id=holiday.pk)

    assert not Holiday.objects.exists()
    with pytest.raises(NotFound):
        services.holiday_delete(user=make_user("warehouse"), holiday_id=holiday.pk)


def test_holidays_load_public_adds_missing_days_once(make_user):
    user = make_user("warehouse")
    HolidayFactory(country="NL", date=date(2026, 12, 25), name="Kerst (own name)")

    added = services.holidays_load_public(user=user, country="nl", years=[2026, 2027])
    again = services.holidays_load_public(user=user, country="NL", years=[2026, 2027])

    assert (added, again) == (17, 0)
    assert Holiday.objects.get(date=date(2026, 12, 25)).name == "Kerst (own name)"
    assert Holiday.objects.filter(country="NL", date=date(2027, 4, 27), name="Koningsdag").exists()


def test_holidays_load_public_refuses_a_country_without_rules(make_user):
    with pytest.raises(ValidationFailed):
        services.holidays_load_public(user=make_user("warehouse"), country="DE", years=[2026])
