"""The demo command: carriers, rates and holidays that make the promise work out of the box."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from shipping.models import Carrier, FreeShipping, Holiday, Rate

pytestmark = pytest.mark.django_db


def test_demo_shipping_loads_three_carriers_rates_and_holidays_once():
    call_command("demo_shipping", small=True, stdout=StringIO())
    counts = (Carrier.objects.count(), Rate.objects.count(), Holiday.objects.count(), FreeShipping.objects.count())

    out = StringIO()
    call_command("demo_shipping", small=True, stdout=out)

    assert counts[0] == 3 and counts[1] > 20 and counts[3] == 2
    assert (Carrier.objects.count(), Rate.objects.count(), Holiday.objects.count()) == counts[:3]
    assert "carriers added: none; holidays added: 0" in out.getvalue()
    assert Carrier.objects.get(code="own-fleet").postcode_ranges.count() == 4


def test_demo_shipping_holidays_cover_2026_to_2028_in_nl_and_be():
    call_command("demo_shipping", stdout=StringIO())

    nl = dict(Holiday.objects.filter(country="NL").values_list("date", "name"))
    assert nl[date(2027, 4, 27)] == "Koningsdag"
    assert nl[date(2028, 5, 25)] == "Hemelvaartsdag"
    assert nl[date(2026, 5, 25)] == "Tweede Pinksterdag"
    assert all(year in {d.year for d in nl} for year in (2026, 2027, 2028))
    assert Holiday.objects.filter(country="BE", date=date(2026, 7, 21)).exists()


def test_demo_shipping_leaves_an_edited_carrier_alone():
    call_command("demo_shipping", stdout=StringIO())
    Carrier.objects.filter(code="pakketpost").update(name="PostNL")

    call_command("demo_shipping", stdout=StringIO())

    assert Carrier.objects.get(code="pakketpost").name == "PostNL"
