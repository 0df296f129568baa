"""Events purchasing subscribes to (registered by dotted path in ``oms/events.py: HANDLERS``).

Each handler is thin: it runs inside the outbox dispatch transaction (in a Celery worker),
once per event, and calls a non-durable service. Purchasing publishes no events of its own:
what it changes that others care about lives in inventory (expected receipts, receipts, whose
``stock.received`` makes orders allocate waiting backorders).

- ``stock.low`` {stock_level_id, product_id, warehouse_id} -> a reorder request for the level.
- ``order.backordered`` {order_id} -> a request per backordered product (home warehouse).
- ``order.placed`` {order_id} -> a request per line that took a large share of the stock.
"""

from __future__ import annotations


def on_stock_low(event) -> None:
    from purchasing.models import ReorderReason
    from purchasing.services import reorder_request_raise

    payload = event.payload
    reorder_request_raise(
        product_id=int(payload["product_id"]),
        warehouse_id=int(payload["warehouse_id"]),
        reason=ReorderReason.LOW_STOCK,
        source=f"stock.low event {event.pk}",
    )


def on_order_backordered(event) -> None:
    from purchasing.services import reorder_requests_for_backorders

    reorder_requests_for_backorders(order_id=int(event.payload["order_id"]))


def on_order_placed(event) -> None:
    from purchasing.services import reorder_requests_for_large_lines

    reorder_requests_for_large_lines(order_id=int(event.payload["order_id"]))
