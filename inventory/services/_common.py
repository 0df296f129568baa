"""Helpers shared by the inventory services (not part of the public interface)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from inventory.events import STOCK_LOW, STOCK_RECEIVED
from oms import events
from oms.errors import ValidationFailed
from oms.quantities import MAX_QUANTITY


def whole_number(value, field: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("Must be a whole number.", code="invalid", field=field)
    if abs(value) > MAX_QUANTITY or (minimum is not None and value < minimum):
        raise ValidationFailed("Number out of range.", code="out_of_range", field=field)
    return value


@contextmanager
def in_transaction() -> Iterator[None]:
    """Join the caller's transaction, or open one when there is none.

    Unlike ``atomic(savepoint=False)`` this does not mark the caller's transaction for rollback
    when a business error is raised before anything was written, so a caller may catch it and
    carry on (order placement retries a refused all-or-nothing reservation as a partial one).
    Code that fails *after* writing calls ``abort_after_write`` first.
    """
    if connection.in_atomic_block:
        yield
    else:
        with transaction.atomic():
            yield


def abort_after_write() -> None:
    """Make sure a half-done change is rolled back with the surrounding transaction."""
    if connection.in_atomic_block:
        transaction.set_rollback(True)


def values_sql(rows: Iterable[tuple], casts: tuple[str, ...]) -> tuple[str, list]:
    """``(VALUES (%s::bigint, %s::integer), ...)`` and its flat parameter list."""
    row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    rows = list(rows)
    params = [value for row in rows for value in row]
    return "(VALUES " + ", ".join([row_sql] * len(rows)) + ")", params


def aggregate(items: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Sum quantities per key, keeping the order keys first appear in."""
    totals: dict[int, int] = {}
    for key, quantity in items:
        totals[key] = totals.get(key, 0) + quantity
    return totals


def publish_low_if_crossed(*, level_id: int, product_id: int, warehouse_id: int, before: int, after: int, point: int):
    """``stock.low`` once, when available goes from at or above the reorder point to below it."""
    if before >= point > after:
        events.publish(STOCK_LOW, {"stock_level_id": level_id, "product_id": product_id, "warehouse_id": warehouse_id})


def publish_received(*, product_id: int, warehouse_id: int, quantity: int, reference: str, kind: str) -> None:
    events.publish(
        STOCK_RECEIVED,
        {
            "product_id": product_id,
            "warehouse_id": warehouse_id,
            "quantity": quantity,
            "reference": reference,
            "kind": kind,
        },
    )
