"""What a carrier gave us for a shipment before its label (``CarrierBooking``): kept so that a
retried hand-off reuses it instead of asking for a second parcel.

Called by the adapters (``shipping.carriers``) between their carrier calls, outside the hand-off's
transaction: each write is its own small transaction, and the first writer wins (a unique
hand-off key), so two tries racing each other end up with one reference.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from shipping.models import CarrierBooking


def booking_get(*, handoff_key: str) -> CarrierBooking | None:
    return CarrierBooking.objects.filter(handoff_key=handoff_key).first()


def booking_store(*, carrier_id: int, handoff_key: str, reference: str, tracking_number: str = "") -> CarrierBooking:
    """Store the reference for ``handoff_key`` unless one is stored already; returns the stored one.

    Not durable (a test or a caller may wrap it), but meant to run alone. Locks nothing: the
    unique key decides. Publishes nothing."""
    try:
        with transaction.atomic():
            return CarrierBooking.objects.create(
                carrier_id=carrier_id, handoff_key=handoff_key, reference=reference[:100],
                tracking_number=tracking_number[:60],
            )  # fmt: skip
    except IntegrityError:
        return CarrierBooking.objects.get(handoff_key=handoff_key)


def booking_set_tracking(*, handoff_key: str, tracking_number: str) -> None:
    CarrierBooking.objects.filter(handoff_key=handoff_key).update(tracking_number=tracking_number[:60])


def booking_for_tracking(*, carrier_id: int, tracking_number: str) -> CarrierBooking | None:
    return CarrierBooking.objects.filter(carrier_id=carrier_id, tracking_number=tracking_number).first()
