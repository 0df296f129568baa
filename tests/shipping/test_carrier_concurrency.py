"""Two hand-off tries of one shipment racing through the PostNL and Sendcloud adapters (a claim
that expired while the first try still ran, on PostgreSQL): each carrier ends up with one parcel."""

from __future__ import annotations

from functools import partial

import pytest

from shipping.adapters import ParcelRequest
from shipping.carriers import adapter_for
from shipping.models import CarrierBooking
from tests.shipping.test_concurrency import _race

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 3


def _request(n: int) -> ParcelRequest:
    return ParcelRequest(
        reference=f"SH-{n:06d}", order=f"SO-{n:06d}", carrier_name="", service_code="standard",
        idempotency_key=f"6f1c2d3e-0000-4000-8000-{n:012d}", sender={"name": "Shop", "postal_code": "1011 AB"},
        recipient={"name": "Jan", "street": "Vredenburg", "house_number": "40", "postal_code": "3511 BD",
                   "city": "Utrecht", "country": "NL"},
        parcel_count=1, weight_grams=800,
    )  # fmt: skip


def _create(carrier, request):
    return adapter_for(carrier).create_shipment(request)


def test_postnl_tries_racing_label_one_barcode(postnl, postnl_server):
    for n in range(1, ROUNDS + 1):
        request = _request(n)
        first, second = _race(*[partial(_create, postnl, request)] * 2)
        assert not isinstance(first, Exception) and not isinstance(second, Exception), (first, second)
        # both labelled the barcode stored first (the other reserved barcode is simply unused)
        assert first.tracking_number == second.tracking_number
        assert CarrierBooking.objects.get(handoff_key=request.idempotency_key).reference == first.tracking_number
    assert postnl_server.made == ROUNDS


def test_sendcloud_tries_racing_make_one_parcel(sendcloud, sendcloud_server):
    for n in range(1, ROUNDS + 1):
        request = _request(n)
        first, second = _race(*[partial(_create, sendcloud, request)] * 2)
        assert not isinstance(first, Exception) and not isinstance(second, Exception), (first, second)
        assert first.tracking_number == second.tracking_number
    assert sendcloud_server.made == ROUNDS
