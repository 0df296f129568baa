"""The names of the events orders publishes (payloads: ``orders.events``). A leaf module, so that
the app's services can name the events they publish without importing the handlers, which import
the services back."""

from __future__ import annotations

from orders.models import OrderStatus

ORDER_PLACED = "order.placed"
ORDER_ALLOCATED = "order.allocated"
ORDER_BACKORDERED = "order.backordered"
ORDER_HELD = "order.held"
ORDER_CANCELLED = "order.cancelled"
ORDER_PICKING_STARTED = "order.picking_started"
ORDER_PARTIALLY_SHIPPED = "order.partially_shipped"
ORDER_SHIPPED = "order.shipped"
ORDER_DELIVERED = "order.delivered"
ORDER_COMPLETED = "order.completed"
ORDER_CHANGED = "order.changed"
ORDER_RETURNED = "order.returned"

# The event each transition publishes, by the status it enters.
STATUS_EVENTS: dict[str, str] = {
    OrderStatus.ALLOCATED: ORDER_ALLOCATED,
    OrderStatus.BACKORDERED: ORDER_BACKORDERED,
    OrderStatus.ON_HOLD: ORDER_HELD,
    OrderStatus.CANCELLED: ORDER_CANCELLED,
    OrderStatus.PICKING: ORDER_PICKING_STARTED,
    OrderStatus.PARTIALLY_SHIPPED: ORDER_PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED: ORDER_SHIPPED,
    OrderStatus.DELIVERED: ORDER_DELIVERED,
    OrderStatus.COMPLETED: ORDER_COMPLETED,
}
PUBLISHED = (ORDER_PLACED, ORDER_CHANGED, ORDER_RETURNED, *STATUS_EVENTS.values())
