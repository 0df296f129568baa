"""Every state change of shipping, by theme. The carrier tables' services are re-exported here
(``from shipping import services; services.carrier_save(...)``); the fulfilment modules are
imported by name:

- ``carriers``: carriers, service levels, rates, free shipping, holidays;
- ``picking``: pick lists (``pick_list_create``);
- ``packing``: the pack screen (``shipment_start``, ``shipment_scan``, ``shipment_pack``,
  ``shipment_cancel``);
- ``handoff``: the carrier hand-off a worker runs (``shipment_hand_off``, ``shipment_hand_off_retry``);
- ``tracking``: status reports from carriers and our own stops (``tracking_event_record``);
- ``trips``: vehicles and own-fleet delivery trips;
- ``returns``: returns, received into stock or scrapped;
- ``notices``: the customer's e-mails about a shipment.
"""

from shipping.services.carriers import (
    carrier_save,
    free_shipping_set,
    holiday_add,
    holiday_delete,
    holidays_load_public,
    rates_set,
    service_level_save,
)

__all__ = [
    "carrier_save",
    "free_shipping_set",
    "holiday_add",
    "holiday_delete",
    "holidays_load_public",
    "rates_set",
    "service_level_save",
]
