"""Tracking asked for, for carriers that do not push it (PostNL): every half hour (beat,
``shipping.tasks.tracking_poll``) the shipments on their way with such a carrier are looked up
one by one, and each report is recorded as a webhook's would be (``tracking_event_record``:
once per event id, forward only). Runs outside transactions: it talks to carriers.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from oms.errors import OmsError
from shipping.carriers import POLLING_ADAPTERS, adapter_for
from shipping.carriers.base import CarrierError, NotSupported
from shipping.models import Shipment, ShipmentStatus
from shipping.services.tracking import tracking_event_record

logger = logging.getLogger(__name__)

ON_THE_WAY = (ShipmentStatus.HANDED_OFF, ShipmentStatus.IN_TRANSIT, ShipmentStatus.FAILED)
# A parcel not delivered after this long is a case for a person, not for the poll.
POLL_DAYS = 30


def shipment_tracking_poll(*, shipment: Shipment) -> int:
    """Ask the carrier about one shipment; returns how many reports moved it. Raises
    ``CarrierError`` when the carrier does not answer."""
    moved = 0
    for update in adapter_for(shipment.carrier).tracking(tracking_number=shipment.tracking_number):
        try:
            result = tracking_event_record(
                carrier_id=shipment.carrier_id, event_id=update.event_id, tracking_number=update.tracking_number,
                status=update.status, occurred_at=update.occurred_at, description=update.description,
                location=update.location,
            )  # fmt: skip
        except OmsError as exc:
            logger.warning("shipping: tracking report for %s not recorded: %s", shipment.number, exc.message)
            continue
        moved += int(result.applied)
    return moved


def tracking_poll(*, limit: int = 500) -> dict:
    """Poll every shipment on its way with a polling carrier (oldest news first)."""
    since = timezone.now() - timedelta(days=POLL_DAYS)
    shipments = (
        Shipment.objects.filter(status__in=ON_THE_WAY, carrier__adapter__in=POLLING_ADAPTERS, handed_off_at__gte=since)
        .select_related("carrier")
        .order_by("updated_at")[:limit]
    )
    asked = moved = failed = 0
    for shipment in shipments:
        asked += 1
        try:
            moved += shipment_tracking_poll(shipment=shipment)
        except NotSupported:  # a sandbox stands in for the carrier: nothing to ask
            asked -= 1
        except CarrierError as exc:
            failed += 1
            logger.warning("shipping: tracking of %s: %s", shipment.number, exc.message)
    return {"asked": asked, "moved": moved, "failed": failed}
