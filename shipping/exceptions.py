"""Exception-inbox rules owned by ``shipping`` (registered from ``ShippingConfig.ready``):
hand-offs that gave up (retry: the hand-off's own retry) and parcels packed before today that
still have no tracking number (they should have left on their pick day)."""

from __future__ import annotations

from datetime import datetime, time

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from oms import exceptions
from oms.roles import Role
from shipping.models import Shipment, ShipmentStatus


def _failed_hand_offs() -> list[exceptions.Finding]:
    rows = (
        Shipment.objects.filter(status=ShipmentStatus.PACKED, handoff_failed_at__isnull=False)
        .order_by("handoff_failed_at")
        .values("id", "number", "handoff_failed_at", "handoff_error", "handoff_attempts")[: exceptions.rule_limit()]
    )
    return [
        exceptions.Finding(
            subject=f"shipment:{row['id']}",
            title=f"{row['number']}: carrier hand-off failed after {row['handoff_attempts']} tries",
            url=reverse("shipping:shipment_detail", kwargs={"shipment_id": row["id"]}),
            detail={"error": row["handoff_error"]},
            occurrence=row["handoff_failed_at"].isoformat(),
        )
        for row in rows
    ]


def _untracked() -> list[exceptions.Finding]:
    start_of_today = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    rows = (
        Shipment.objects.filter(
            status=ShipmentStatus.PACKED, handoff_failed_at__isnull=True, packed_at__lt=start_of_today
        )
        .order_by("packed_at")
        .values("id", "number", "packed_at")[: exceptions.rule_limit()]
    )
    return [
        exceptions.Finding(
            subject=f"shipment:{row['id']}",
            title=f"{row['number']} packed {timezone.localtime(row['packed_at']):%d-%m-%Y} and still no tracking",
            url=reverse("shipping:shipment_detail", kwargs={"shipment_id": row["id"]}),
        )
        for row in rows
    ]


def _retry_hand_off(subject: str, user) -> str:
    from shipping.services import handoff

    shipment = handoff.shipment_hand_off_retry(shipment_id=exceptions.subject_id(subject), user=user)
    return f"{shipment.number}: hand-off queued again."


def register() -> None:
    exceptions.register(
        exceptions.Rule(
            code="shipping.handoff_failed",
            label=gettext_noop("Carrier hand-offs that failed"),
            role=Role.WAREHOUSE,
            find=_failed_hand_offs,
            retry=_retry_hand_off,
        )
    )
    exceptions.register(
        exceptions.Rule(
            code="shipping.untracked",
            label=gettext_noop("Packed shipments without tracking after their pick day"),
            role=Role.WAREHOUSE,
            find=_untracked,
        )
    )
