"""Every state change of orders. Other apps call these (``from orders import services as
order_services``); the modules group them by theme:

- ``placement``: ``order_place`` (any channel, one call) and the shared placing core;
- ``drafts``: the phone screen's draft flow, ending in ``order_draft_place``;
- ``lifecycle``: ``order_cancel``, ``order_hold``, ``order_release_hold``;
- ``allocation``: ``order_lines_change`` and ``order_allocate_backorders`` (stock arrived);
- ``fulfilment``: for shipping and billing: ``order_start_picking``, ``order_record_shipment``,
  ``order_mark_delivered``, ``order_hand_over`` (the counter), ``order_record_payment_total``
  (``orders_record_payment_totals``: several), ``order_record_return``;
- ``payment``: the payment link on the order and its e-mails, the unpaid-order reminder and
  cancellation (billing drives them: ``order_payment_link_set``, ``order_cancel_unpaid`` ...);
- ``status_links``: ``order_status_link_revoke`` (the customer's order page link);
- ``stats``: ``daily_stats_refresh``, the dashboards' revenue-by-channel summary.
"""

from orders.services.allocation import order_allocate_backorders, order_lines_change
from orders.services.drafts import (
    order_draft_add_line,
    order_draft_create,
    order_draft_place,
    order_draft_price_line,
    order_draft_remove_line,
    order_draft_set_address,
    order_draft_set_customer,
    order_draft_set_delivery,
    order_draft_set_lines,
    order_draft_set_payment_method,
    order_draft_start_for_new_customer,
    order_draft_update,
    order_draft_update_line,
)
from orders.services.fulfilment import (
    order_hand_over,
    order_mark_delivered,
    order_record_payment_total,
    order_record_return,
    order_record_shipment,
    order_start_picking,
    orders_record_payment_totals,
)
from orders.services.lifecycle import order_cancel, order_hold, order_release_hold
from orders.services.line_prices import can_change_line_price
from orders.services.placement import order_place
from orders.services.stats import daily_stats_refresh
from orders.services.status_links import order_status_link_revoke

__all__ = [
    "daily_stats_refresh",
    "order_allocate_backorders",
    "order_cancel",
    "order_draft_add_line",
    "order_draft_create",
    "order_draft_place",
    "order_draft_remove_line",
    "order_draft_set_address",
    "order_draft_set_customer",
    "order_draft_set_delivery",
    "order_draft_set_lines",
    "order_draft_set_payment_method",
    "order_draft_start_for_new_customer",
    "order_draft_update",
    "order_draft_update_line",
    "order_draft_price_line",
    "can_change_line_price",
    "order_hand_over",
    "order_hold",
    "order_lines_change",
    "order_mark_delivered",
    "order_place",
    "order_record_payment_total",
    "order_record_return",
    "order_record_shipment",
    "order_release_hold",
    "order_start_picking",
    "orders_record_payment_totals",
    "order_status_link_revoke",
]
