"""Carrier, rate and holiday screens: what a warehouse worker and a manager see and can change."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from shipping.models import Carrier, FreeShipping, Holiday, Rate, ServiceLevel
from tests.factories.shipping import CarrierFactory, HolidayFactory, OwnFleetFactory, RateFactory, parcel_service

pytestmark = pytest.mark.django_db

CARRIER_POST = {
    "code": "pakketpost",
    "name": "PakketPost",
    "kind": "external",
    "active": "on",
    "tracking_url_template": "https://track.example/{tracking_number}",
    "api_endpoint": "https://api.example/v1",
    "api_key": "s3cret",
    "sort_order": "0",
    "postcode_ranges": "",
}


def test_carrier_list_shows_carriers_services_and_regions(role_client, django_assert_max_num_queries):
    parcel_service("pakketpost", name="PakketPost", api_endpoint="https://api.example", api_key="k")
    OwnFleetFactory()
    client = role_client("warehouse")

    with django_assert_max_num_queries(8):
        html = client.get(reverse("shipping:carriers")).content.decode()

    assert "PakketPost" in html and "Own van" in html
    assert "NL 3500–3599" in html
    assert "key set" in html and ">k<" not in html
    assert "1 working day" in html


def test_carrier_new_creates_the_carrier_and_goes_back_to_the_list(role_client):
    response = role_client("warehouse").post(reverse("shipping:carrier_new"), CARRIER_POST)

    assert response.status_code == 302 and response["Location"] == reverse("shipping:carriers")
    carrier = Carrier.objects.get(code="pakketpost")
    assert carrier.api_key == "s3cret"


def test_carrier_edit_never_shows_the_api_key_and_keeps_it_when_left_empty(role_client):
    carrier = CarrierFactory(code="pakketpost", api_key="s3cret")
    client = role_client("warehouse")
    url = reverse("shipping:carrier_edit", args=[carrier.pk])

    html = client.get(url).content.decode()
    client.post(url, CARRIER_POST | {"name": "PakketPost NL", "api_key": ""})

    assert "s3cret" not in html and "An API key is stored" in html
    carrier.refresh_from_db()
    assert (carrier.name, carrier.api_key) == ("PakketPost NL", "s3cret")


def test_carrier_edit_shows_business_errors_on_the_form(role_client):
    CarrierFactory(code="pakketpost")
    own = CarrierFactory(code="mine")

    response = role_client("warehouse").post(
        reverse("shipping:carrier_edit", args=[own.pk]),
        CARRIER_POST | {"kind": "own_fleet", "postcode_ranges": "3500-3599, BE 2000-2999"},
    )

    assert response.status_code == 200
    assert "is taken" in response.content.decode()
    own.refresh_from_db()
    assert own.code == "mine"


def test_carrier_edit_refuses_an_unreadable_postcode_range(role_client):
    response = role_client("warehouse").post(
        reverse("shipping:carrier_new"), CARRIER_POST | {"postcode_ranges": "Amsterdam"}
    )

    assert response.status_code == 200 and "is not a range like 3500-3599" in response.content.decode()
    assert not Carrier.objects.exists()


def test_carrier_edit_of_an_unknown_carrier_is_404(role_client):
    assert role_client("warehouse").get(reverse("shipping:carrier_edit", args=[999999])).status_code == 404


def test_service_new_adds_a_service_level(role_client):
    carrier = CarrierFactory()

    response = role_client("warehouse").post(
        reverse("shipping:service_new", args=[carrier.pk]),
        {"code": "express", "name": "Express", "transit_days": "0", "active": "on"},
    )

    assert response.status_code == 302
    assert ServiceLevel.objects.get(carrier=carrier, code="express").transit_days == 0


def test_service_edit_turns_free_shipping_off_and_the_carrier_list_says_so(role_client):
    carrier = CarrierFactory()
    client = role_client("warehouse")
    client.post(
        reverse("shipping:service_new", args=[carrier.pk]),
        {"code": "freight", "name": "Pallet", "transit_days": "2", "active": "on", "free_shipping": "on"},
    )
    service = ServiceLevel.objects.get(carrier=carrier, code="freight")
    assert service.free_shipping is True
    form = client.get(reverse("shipping:service_edit", args=[carrier.pk, service.pk])).content.decode()
    assert 'name="free_shipping"' in form and "checked" in form.split('name="free_shipping"', 1)[1].split(">", 1)[0]

    response = client.post(
        reverse("shipping:service_edit", args=[carrier.pk, service.pk]),
        {"code": "freight", "name": "Pallet", "transit_days": "2", "active": "on"},
    )

    assert response.status_code == 302
    service.refresh_from_db()
    assert service.free_shipping is False
    assert f'data-testid="never-free-{service.pk}"' in client.get(reverse("shipping:carriers")).content.decode()


def test_rate_table_shows_brackets_and_thresholds_read_only_for_the_warehouse(role_client):
    parcel_service("pakketpost", name="PakketPost", rates={"nl": [(2000, "4.10"), (31500, "15.95")]})
    FreeShipping.objects.create(zone="nl", min_order_net=Decimal("50.00"))

    html = role_client("warehouse").get(reverse("shipping:rates")).content.decode()

    assert "≤ 2 kg <strong>€\xa04,10</strong>" in html
    assert "≤ 31.5 kg" in html
    assert "Free shipping from €\xa050,00" in html
    assert "hx-get" not in html.split("<main", 1)[1]  # no edit buttons (the header's search box is one)


def test_rates_edit_swaps_in_a_form_and_saves_the_row(manager_client, htmx_headers):
    service = parcel_service("pakketpost", rates={"nl": [(2000, "4.10")]})
    url = reverse("shipping:rates_edit", args=[service.pk, "nl"])

    form = manager_client.get(url, headers={"HX-Request": "true"})
    saved = manager_client.post(url, {"brackets": "2 4,25\n10 6,95"}, headers={"HX-Request": "true"})

    assert b"<html" not in form.content and b"2 4.10" in form.content
    assert "HX-Request" in form["Vary"]
    assert saved.status_code == 200 and b"<html" not in saved.content
    assert "€\xa04,25" in saved.content.decode() and f'id="rates-{service.pk}-nl"' in saved.content.decode()
    assert list(Rate.objects.values_list("max_weight_grams", "price").order_by("max_weight_grams")) == [
        (2000, Decimal("4.25")),
        (10000, Decimal("6.95")),
    ]


def test_rates_edit_shows_errors_in_the_fragment_and_changes_nothing(manager_client):
    rate = RateFactory(zone="nl", max_weight_grams=2000, price=Decimal("4.10"))
    url = reverse("shipping:rates_edit", args=[rate.service_id, "nl"])

    bad_line = manager_client.post(url, {"brackets": "two kilos"}, headers={"HX-Request": "true"})
    twice = manager_client.post(url, {"brackets": "2 4\n2 5"}, headers={"HX-Request": "true"})

    assert bad_line.status_code == 200 and "is not “kg price”" in bad_line.content.decode()
    assert twice.status_code == 200 and "given twice" in twice.content.decode()
    assert list(Rate.objects.values_list("price", flat=True)) == [Decimal("4.10")]


def test_rates_edit_as_a_page_redirects_to_the_table(manager_client):
    service = parcel_service("pakketpost", rates={})

    response = manager_client.post(reverse("shipping:rates_edit", args=[service.pk, "eu"]), {"brackets": "2 12.95"})

    assert response.status_code == 302
    assert Rate.objects.get(service=service).zone == "eu"


def test_rates_edit_of_an_unknown_zone_is_404(manager_client):
    service = parcel_service("pakketpost")

    assert manager_client.get(reverse("shipping:rates_edit", args=[service.pk, "moon"])).status_code == 404


def test_free_shipping_edit_sets_and_clears_the_threshold(manager_client):
    url = reverse("shipping:free_shipping_edit", args=["be_lu"])

    manager_client.post(url, {"min_order_net": "75"})
    assert FreeShipping.objects.get(zone="be_lu").min_order_net == Decimal("75.00")

    manager_client.post(url, {"min_order_net": "€ 1.250,50"})
    assert FreeShipping.objects.get(zone="be_lu").min_order_net == Decimal("1250.50")

    refused = manager_client.post(url, {"min_order_net": "lots"}, follow=True)
    assert "is not an amount" in refused.content.decode()
    assert FreeShipping.objects.get(zone="be_lu").min_order_net == Decimal("1250.50")

    manager_client.post(url, {"min_order_net": ""})
    assert not FreeShipping.objects.exists()


def test_holiday_list_adds_a_holiday_and_refuses_it_twice(role_client):
    client = role_client("warehouse")
    data = {"country": "NL", "day": "2026-12-24", "name": "Kerstavond"}

    first = client.post(reverse("shipping:holidays") + "?year=2026", data)
    second = client.post(reverse("shipping:holidays") + "?year=2026", data)

    assert first.status_code == 302
    assert second.status_code == 200 and "already a holiday" in second.content.decode()
    assert Holiday.objects.filter(country="NL", date=date(2026, 12, 24)).count() == 1


def test_holiday_list_filters_by_country_and_year_as_a_fragment(role_client):
    HolidayFactory(country="NL", date=date(2027, 4, 27), name="Koningsdag")
    HolidayFactory(country="BE", date=date(2027, 7, 21), name="Nationale feestdag")
    HolidayFactory(country="NL", date=date(2028, 4, 27), name="Koningsdag 2028")

    response = role_client("warehouse").get(
        reverse("shipping:holidays"), {"country": "NL", "year": "2027"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert "<html" not in html and 'id="holiday-table"' in html
    assert "Koningsdag" in html and "Nationale feestdag" not in html and "2028" not in html


def test_holidays_load_and_delete(role_client):
    client = role_client("warehouse")

    response = client.post(reverse("shipping:holidays_load"), {"country": "NL", "year": "2027"})
    assert response.status_code == 302 and "year=2027" in response["Location"]
    assert Holiday.objects.filter(country="NL", date__year=2027).count() == 9

    kings_day = Holiday.objects.get(date=date(2027, 4, 27))
    client.post(reverse("shipping:holiday_delete", args=[kings_day.pk]), {"country": "NL", "year": "2027"})
    assert not Holiday.objects.filter(pk=kings_day.pk).exists()
    assert client.post(reverse("shipping:holiday_delete", args=[kings_day.pk])).status_code == 404


def test_navigation_shows_carriers_to_the_warehouse_only(role_client):
    assert "Carriers &amp; rates" in role_client("warehouse").get("/").content.decode()
    assert "Carriers &amp; rates" not in role_client("accounting").get("/").content.decode()


def test_holiday_list_warns_when_the_calendar_runs_out(role_client):
    from django.utils import timezone

    this_year = timezone.localdate().year
    HolidayFactory(country="NL", date=date(this_year, 12, 25), name="Kerst")
    HolidayFactory(country="BE", date=date(this_year + 1, 7, 21), name="Nationale feestdag")

    html = role_client("warehouse").get(reverse("shipping:holidays")).content.decode()

    assert 'data-testid="holidays-missing"' in html
    assert f"BE {this_year}, NL {this_year + 1}." in html
