"""Shipping's rules in the exception inbox: a hand-off that gave up is listed for the warehouse,
Retry hands it to the (fake) carrier again, and the item closes by itself once it left; a parcel
packed before today without tracking is listed until it leaves."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oms import exceptions
from oms.models import ExceptionItem
from oms.roles import Role
from shipping.models import Shipment
from tests.shipping.flow import hand_off, pack, place

pytestmark = pytest.mark.django_db


def refresh(*codes):
    exceptions.refresh_exceptions(only=list(codes))
    return list(ExceptionItem.objects.filter(rule__in=codes, closed_at__isnull=True))


def test_failed_hand_off_is_listed_retried_against_the_carrier_and_closes_itself(
    customer, mug, ams, packer, parcel_carrier, carrier_server, django_capture_on_commit_callbacks
):
    carrier_server.script = ["refuse"]
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    assert hand_off(shipment).outcome == "failed"
    (item,) = refresh("shipping.handoff_failed")
    assert item.subject == f"shipment:{shipment.pk}" and item.role == Role.WAREHOUSE
    assert shipment.number in item.title and "Unknown postcode" in item.detail["error"]
    assert item.url == f"/shipping/shipments/{shipment.pk}/"
    # Retry: the carrier is back; the hand-off task runs (eagerly) after the retry commits
    with django_capture_on_commit_callbacks(execute=True):
        exceptions.exception_retry(item_id=item.pk, user=packer)
    assert Shipment.objects.get(pk=shipment.pk).status == "handed_off"
    item.refresh_from_db()
    assert (item.close_reason, item.closed_by) == ("retried", packer)
    assert refresh("shipping.handoff_failed") == []


def test_failed_hand_off_closes_by_itself_when_the_box_is_unpacked(customer, mug, ams, packer, parcel_carrier,
                                                                   carrier_server):  # fmt: skip
    from shipping.services import packing

    carrier_server.script = ["refuse"]
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    hand_off(shipment)
    (item,) = refresh("shipping.handoff_failed")
    packing.shipment_cancel(shipment_id=shipment.pk, user=packer)
    assert refresh("shipping.handoff_failed") == []
    item.refresh_from_db()
    assert item.close_reason == "cleared" and item.closed_by is None


def test_packed_before_today_without_tracking_is_listed_until_it_leaves(customer, mug, ams, packer, parcel_carrier):
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    assert refresh("shipping.untracked") == []  # packed today: it can still leave today
    Shipment.objects.filter(pk=shipment.pk).update(packed_at=timezone.now() - timedelta(days=1))
    (item,) = refresh("shipping.untracked")
    assert item.subject == f"shipment:{shipment.pk}" and "no tracking" in item.title
    assert hand_off(shipment).outcome == "handed_off"
    assert refresh("shipping.untracked") == []
