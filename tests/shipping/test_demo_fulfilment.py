"""The fulfilment demo: shipments in every state through the sandbox carriers, a trip, a return."""

from io import StringIO

import pytest
from django.core.management import call_command

from oms import invariants
from shipping.models import DeliveryTrip, Return, Shipment

pytestmark = pytest.mark.django_db


def test_demo_fulfilment_ships_through_the_sandbox_once():
    for command in ("demo_inventory", "demo_customers", "demo_shipping"):
        call_command(command, small=True, stdout=StringIO())
    call_command("demo_fulfilment", small=True, stdout=StringIO())
    statuses = set(Shipment.objects.values_list("status", flat=True))
    assert {"pending", "handed_off", "in_transit", "delivered"} <= statuses
    assert Shipment.objects.filter(carrier__code="pakketpost", tracking_number__startswith="3S").exists()
    assert DeliveryTrip.objects.get().status == "dispatched"
    assert Return.objects.filter(status="received").exists()
    assert invariants.violations() == {}
    count = Shipment.objects.count()
    out = StringIO()
    call_command("demo_fulfilment", small=True, stdout=out)
    assert "already loaded" in out.getvalue() and Shipment.objects.count() == count
