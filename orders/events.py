"""Events orders publishes (``oms.events.publish`` in the changing transaction; payload
``{"order_id": id}`` only) and the handlers it subscribes (registered in ``oms/events.py``).

Published:

- ``order.placed``: an order was placed (any channel, or a draft from the phone screen). It is
  always followed, in the same transaction, by the event of the status the order got:
- ``order.allocated``: every open line of the order is reserved (on placement, when backorders
  are filled, on release of a hold, after a lines change); shipping may pick it;
- ``order.backordered``: some quantity waits for stock (purchasing may reorder);
- ``order.held`` / ``order.cancelled`` / ``order.picking_started`` / ``order.partially_shipped``
  / ``order.shipped`` / ``order.delivered`` / ``order.completed``: the status transition of the
  same name (``STATUS_EVENTS``);
- ``order.changed``: the lines of a placed order were changed (quantities, lines added/removed);
- ``order.returned``: returned goods were recorded against the order.

Handled:

- ``stock.received`` (inventory): allocate waiting backorders of that product, oldest first;
- ``order.cancelled`` and ``order.changed`` (our own): stock given back by one order goes to
  the backorders waiting for it. This runs after the releasing transaction committed, so it
  never locks another order while holding stock rows (lock order: orders, then stock);
- ``orders.backorders_pending`` {product_ids, warehouse_id} (our own, internal): the next batch
  of waiting backorders after a batch that was served in full;
- ``stock.expected_changed`` {product_ids} (inventory): the receipts these products wait for
  moved; the waiting lines are re-promised (``orders.services.promises``).
"""

from __future__ import annotations

from orders.event_names import (  # noqa: F401 - the names, re-exported for readers of this module
    ORDER_ALLOCATED,
    ORDER_BACKORDERED,
    ORDER_CANCELLED,
    ORDER_CHANGED,
    ORDER_COMPLETED,
    ORDER_DELIVERED,
    ORDER_HELD,
    ORDER_PARTIALLY_SHIPPED,
    ORDER_PICKING_STARTED,
    ORDER_PLACED,
    ORDER_RETURNED,
    ORDER_SHIPPED,
    PUBLISHED,
    STATUS_EVENTS,
)


def stock_received(event) -> None:
    """``stock.received`` {product_id, warehouse_id, ...}: give the new stock to backorders."""
    from orders.services import allocation

    payload = event.payload
    allocation.order_allocate_backorders(product_id=payload["product_id"], warehouse_id=payload.get("warehouse_id"))


def stock_released(event) -> None:
    """``order.cancelled`` / ``order.changed`` {order_id}: stock the order gave back may fill
    other orders' backorders."""
    from orders import selectors
    from orders.services import allocation

    product_ids = selectors.order_product_ids(event.payload["order_id"])
    if product_ids:
        allocation.order_allocate_backorders(product_ids=product_ids)


def backorders_pending(event) -> None:
    """``orders.backorders_pending`` {product_ids, warehouse_id}: the next batch of waiting
    backorders, after a batch that was served in full (see ``order_allocate_backorders``)."""
    from orders.services import allocation

    payload = event.payload
    allocation.order_allocate_backorders(product_ids=payload["product_ids"], warehouse_id=payload.get("warehouse_id"))


def promises_refresh(event) -> None:
    """``stock.expected_changed`` {product_ids}: re-promise the lines waiting for them (one
    e-mail per order per event)."""
    from orders.services import promises

    promises.order_promises_refresh(product_ids=event.payload["product_ids"], event_id=event.id)
