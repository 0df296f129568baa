"""Events shipping publishes (``oms.events.publish`` in the changing transaction) and the handlers
it subscribes (registered in ``oms/events.py: HANDLERS``).

Published:

- ``shipment.handed_off`` {"shipment_id", "order_id"}: the carrier (or our own van) has the
  shipment, its stock is issued and the order counts its lines as shipped. Billing invoices
  on-account orders per shipment on it; read the shipped quantities from the order.
- ``shipment.delivered`` {"shipment_id", "order_id"}: the carrier or our driver delivered it.
  When it was the order's last parcel the order moves to ``delivered`` in the same transaction
  (orders publishes ``order.delivered``, and ``order.completed`` when it is paid).
- ``shipment.failed`` {"shipment_id", "order_id"}: a delivery attempt failed (nobody home, a
  refused parcel); the shipment may still be delivered later, or come back as a return.
- ``return.received`` {"return_id", "number", "order_id", "reason", "restocked": bool,
  "lines": [{"order_line_id", "quantity"}]}: returned goods arrived and were received into stock (``restocked``) or
  scrapped; orders has counted them (``quantity_returned``). Billing makes the credit note for
  these lines and the refund where the order was paid.

Handled:

- ``order.cancelled`` (orders): the order's open shipments (being packed, or packed and not yet
  handed off) are unpacked. The pick queue needs no events: it is a query over the orders that
  have stock reserved in the warehouse (``shipping.selectors.fulfilment.pick_queue``).
"""

from __future__ import annotations

from shipping.event_names import (  # noqa: F401 - the names, re-exported for readers of this module
    PUBLISHED,
    RETURN_RECEIVED,
    SHIPMENT_DELIVERED,
    SHIPMENT_FAILED,
    SHIPMENT_HANDED_OFF,
)


def order_cancelled(event) -> None:
    """``order.cancelled`` {order_id}: unpack the order's shipments that have not left."""
    from shipping.services import packing

    packing.shipments_cancel_for_order(order_id=event.payload["order_id"])
