"""shipping tables.

- ``carriers``: carriers, service levels, rates, delivery areas, free shipping, holidays (the
  data of the delivery promise);
- ``fulfilment``: shipments, their lines, hand-off attempts, tracking events, customer notices;
- ``picking``: batch pick lists;
- ``trips``: the own fleet's vehicles, delivery trips and their stops;
- ``returns``: returns and their lines.
"""

from shipping.models.carriers import (
    Carrier,
    CarrierAdapterKind,
    CarrierKind,
    FreeShipping,
    Holiday,
    PostcodeRange,
    Rate,
    ServiceLevel,
)
from shipping.models.fulfilment import (
    OPEN_STATUSES,
    SHIPMENT_NUMBER_SEQUENCE,
    SHIPMENT_TRANSITIONS,
    SHIPPED_STATUSES,
    TRACKING_RANK,
    CarrierBooking,
    HandoffAttempt,
    HandoffOutcome,
    NoticeKind,
    Shipment,
    ShipmentLine,
    ShipmentNotice,
    ShipmentStatus,
    TrackingEvent,
)
from shipping.models.picking import PICK_LIST_NUMBER_SEQUENCE, PickList, PickListLine
from shipping.models.returns import (
    RETURN_NUMBER_SEQUENCE,
    Return,
    ReturnLabelStatus,
    ReturnLine,
    ReturnReason,
    ReturnStatus,
)
from shipping.models.trips import TRIP_NUMBER_SEQUENCE, DeliveryTrip, StopStatus, TripStatus, TripStop, Vehicle

__all__ = [
    "OPEN_STATUSES",
    "PICK_LIST_NUMBER_SEQUENCE",
    "RETURN_NUMBER_SEQUENCE",
    "SHIPMENT_NUMBER_SEQUENCE",
    "TRIP_NUMBER_SEQUENCE",
    "SHIPMENT_TRANSITIONS",
    "SHIPPED_STATUSES",
    "TRACKING_RANK",
    "Carrier",
    "CarrierAdapterKind",
    "CarrierBooking",
    "CarrierKind",
    "DeliveryTrip",
    "FreeShipping",
    "HandoffAttempt",
    "HandoffOutcome",
    "Holiday",
    "NoticeKind",
    "PickList",
    "PickListLine",
    "PostcodeRange",
    "Rate",
    "Return",
    "ReturnLine",
    "ReturnLabelStatus",
    "ReturnReason",
    "ReturnStatus",
    "ServiceLevel",
    "Shipment",
    "ShipmentLine",
    "ShipmentNotice",
    "ShipmentStatus",
    "StopStatus",
    "TrackingEvent",
    "TripStatus",
    "TripStop",
    "Vehicle",
]
