"""Reads of shipping, by theme. The carrier tables' selectors are re-exported here (the promise
and the carrier screens use ``selectors.carrier_list()``); fulfilment reads are in
``shipping.selectors.fulfilment`` (shipments, pick queue, trips, returns, panels, the order API)."""

from shipping.selectors.carriers import (
    RateRow,
    carrier_get,
    carrier_get_by_code,
    carrier_list,
    closed_days,
    free_shipping_thresholds,
    holiday_countries,
    holiday_list,
    holiday_years_missing,
    promise_services,
    rate_table,
    service_choose,
    service_level_by_codes,
    service_level_get,
)

__all__ = [
    "RateRow",
    "carrier_get",
    "carrier_get_by_code",
    "carrier_list",
    "closed_days",
    "free_shipping_thresholds",
    "holiday_countries",
    "holiday_list",
    "holiday_years_missing",
    "promise_services",
    "rate_table",
    "service_choose",
    "service_level_by_codes",
    "service_level_get",
]
