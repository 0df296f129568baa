"""Stock movements on one level at a time: receive, return, adjust, count, transfer.

Each service locks the stock level row(s) it changes with SELECT ... FOR UPDATE (several rows
in id order), checks against the locked values, writes the level and its movement in the same
transaction. The CHECK constraint ``0 <= reserved <= on_hand`` is the backstop.
"""

from __future__ import annotations

from django.db import transaction

from inventory.models import AdjustmentReason, MovementKind, StockLevel, StockMovement
from inventory.services._common import (
    publish_low_if_crossed,
    publish_received,
    whole_number,
)
from oms.errors import InsufficientStock, NotFound, ValidationFailed
from oms.quantities import whole_quantity

RECEIVE_KINDS = (MovementKind.RECEIPT, MovementKind.RETURN)


def lock_levels(product_id: int, warehouse_ids: list[int]) -> dict[int, StockLevel]:
    """The product's levels in these warehouses, locked FOR UPDATE in id order (no deadlocks
    between two transfers in opposite directions). Raises ``NotFound`` if one is missing."""
    levels = list(
        StockLevel.objects.select_for_update()
        .filter(product_id=product_id, warehouse_id__in=warehouse_ids)
        .order_by("id")
    )
    by_warehouse = {level.warehouse_id: level for level in levels}
    missing = [w for w in warehouse_ids if w not in by_warehouse]
    if missing:
        raise NotFound("No stock level for this product and warehouse.", code="unknown_stock_level", field="product_id")
    return by_warehouse


def _move(level: StockLevel, *, kind: str, delta: int, reference: str, user, reason: str = "") -> StockMovement:
    """Apply ``delta`` to the locked level and append its movement (on_hand and the ledger
    change together, so on_hand always equals the sum of the movements)."""
    before = level.available
    level.on_hand += delta
    level.save(update_fields=["on_hand"])
    publish_low_if_crossed(
        level_id=level.pk,
        product_id=level.product_id,
        warehouse_id=level.warehouse_id,
        before=before,
        after=level.available,
        point=level.reorder_point,
    )
    if delta > 0:
        publish_received(
            product_id=level.product_id,
            warehouse_id=level.warehouse_id,
            quantity=delta,
            reference=reference,
            kind=kind,
        )
    return StockMovement.objects.create(
        product_id=level.product_id,
        warehouse_id=level.warehouse_id,
        kind=kind,
        quantity=delta,
        on_hand_after=level.on_hand,
        reference=(reference or "")[:100],
        reason=reason,
        user=user if getattr(user, "pk", None) else None,
    )


def stock_receive(
    *, product_id: int, warehouse_id: int, quantity: int, reference: str, user=None, kind: str = "receipt"
) -> StockLevel:
    """Book goods in (``kind`` receipt, or return): on_hand up, a movement appended.

    Locks the level FOR UPDATE. Publishes ``stock.received`` {product_id, warehouse_id,
    quantity, reference, kind}. Raises ``ValidationFailed`` (quantity, kind) and ``NotFound``.
    Not durable: purchasing's goods receipt and shipping's returns call it in their transaction.
    """
    quantity = whole_quantity(quantity, "quantity")
    if kind not in RECEIVE_KINDS:
        raise ValidationFailed("Kind must be receipt or return.", code="invalid_kind", field="kind")
    with transaction.atomic():
        level = lock_levels(product_id, [warehouse_id])[warehouse_id]
        _move(level, kind=kind, delta=quantity, reference=reference, user=user)
        return level


def stock_return(*, product_id: int, warehouse_id: int, quantity: int, reference: str, user=None) -> StockLevel:
    """A customer return put back into stock: ``stock_receive`` with kind ``return``."""
    return stock_receive(
        product_id=product_id,
        warehouse_id=warehouse_id,
        quantity=quantity,
        reference=reference,
        user=user,
        kind=MovementKind.RETURN,
    )


def stock_adjust(
    *, product_id: int, warehouse_id: int, delta: int, reason: str, user, reference: str = ""
) -> StockLevel:
    """Correct on_hand by ``delta`` (damage, correction, count, initial stock).

    Locks the level FOR UPDATE. Publishes ``stock.received`` for a positive delta and
    ``stock.low`` when available drops below the reorder point. Raises ``InsufficientStock``
    (field ``delta``, with ``available``) when on_hand would fall below what is reserved,
    ``ValidationFailed`` (delta, reason) and ``NotFound``.
    """
    delta = whole_number(delta, "delta")
    if delta == 0:
        raise ValidationFailed("The change must not be zero.", code="invalid_quantity", field="delta")
    if reason not in AdjustmentReason.values:
        raise ValidationFailed(
            "Reason must be one of: " + ", ".join(AdjustmentReason.values) + ".", code="invalid_reason", field="reason"
        )
    with transaction.atomic(durable=True):
        level = lock_levels(product_id, [warehouse_id])[warehouse_id]
        if level.on_hand + delta < level.reserved:
            raise InsufficientStock(
                f"Only {level.available} can be taken off: {level.reserved} of the {level.on_hand} on hand "
                "are reserved for orders.",
                field="delta",
                available=level.available,
            )
        _move(level, kind=MovementKind.ADJUSTMENT, delta=delta, reference=reference, user=user, reason=reason)
        return level


def stock_count(*, product_id: int, warehouse_id: int, counted: int, user, reference: str = "") -> StockLevel:
    """Set on_hand to the counted quantity; the difference is booked as a count movement
    (a zero difference is recorded too: it says when the shelf was last counted).

    Locks the level FOR UPDATE. Publishes ``stock.received`` / ``stock.low`` as ``stock_adjust``.
    Raises ``InsufficientStock`` ``count_below_reserved`` (field ``counted``) when the count is
    below what is reserved for orders, ``ValidationFailed`` and ``NotFound``.
    """
    counted = whole_number(counted, "counted", minimum=0)
    with transaction.atomic(durable=True):
        level = lock_levels(product_id, [warehouse_id])[warehouse_id]
        if counted < level.reserved:
            raise InsufficientStock(
                f"Counted {counted}, but {level.reserved} are reserved for orders. "
                "Release or move those reservations first.",
                code="count_below_reserved",
                field="counted",
                reserved=level.reserved,
                available=level.available,
            )
        _move(level, kind=MovementKind.COUNT, delta=counted - level.on_hand, reference=reference, user=user)
        return level


def stock_transfer(
    *, product_id: int, from_warehouse_id: int, to_warehouse_id: int, quantity: int, user, reference: str = ""
) -> tuple[StockLevel, StockLevel]:
    """Move stock between warehouses: a transfer_out and a transfer_in movement in one
    transaction. Returns ``(from_level, to_level)``.

    Locks both levels FOR UPDATE in id order. Publishes ``stock.received`` (kind transfer_in)
    for the receiving level and ``stock.low`` for the sending one when it crosses its reorder
    point. Raises ``InsufficientStock`` (field ``quantity``, with ``available``) when more than
    the available quantity is moved, ``ValidationFailed`` and ``NotFound``.
    """
    quantity = whole_quantity(quantity, "quantity")
    if from_warehouse_id == to_warehouse_id:
        raise ValidationFailed("Pick two different warehouses.", code="same_warehouse", field="to_warehouse_id")
    with transaction.atomic(durable=True):
        levels = lock_levels(product_id, [from_warehouse_id, to_warehouse_id])
        source, target = levels[from_warehouse_id], levels[to_warehouse_id]
        if source.available < quantity:
            raise InsufficientStock(
                f"Only {source.available} available to transfer.", field="quantity", available=source.available
            )
        reference = reference or f"transfer {source.warehouse_id}->{target.warehouse_id}"
        _move(source, kind=MovementKind.TRANSFER_OUT, delta=-quantity, reference=reference, user=user)
        _move(target, kind=MovementKind.TRANSFER_IN, delta=quantity, reference=reference, user=user)
        return source, target
