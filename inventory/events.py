"""Events inventory publishes (through ``oms.events.publish``, in the changing transaction).

- ``stock.received`` {product_id, warehouse_id, quantity, reference, kind}: on-hand went up —
  a receipt or a customer return (``stock_receive``/``stock_return``), and also a positive
  adjustment or count, or a transfer in (``kind`` says which). Orders allocate waiting
  backorders on it.
- ``stock.low`` {stock_level_id, product_id, warehouse_id}: a level's available stock went from
  at or above its reorder point to below it (once per level per call; reserve, counter sale,
  adjust, count, transfer out). Purchasing raises a reorder request on it.
- ``stock.expected_changed`` {product_ids, reference}: what is expected of these products, or
  when, changed under a reference (a purchase order sent, rescheduled, received in part or
  cancelled; ``expected_receipts_changed``). Orders re-promise the lines waiting for them.

Inventory subscribes to no event: it is the bottom of the domain layers.
"""

STOCK_RECEIVED = "stock.received"
STOCK_LOW = "stock.low"
STOCK_EXPECTED_CHANGED = "stock.expected_changed"
