"""Stock invariants for ``python manage.py check_invariants`` (registered in oms/invariants.py).

Each check returns the violating rows (at most 100); an empty list means the invariant holds.
"""

from __future__ import annotations

from django.db import connection

LIMIT = 100


def _rows(sql: str, columns: list[str]) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql + f" LIMIT {LIMIT}")
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def on_hand_matches_movements() -> list[dict]:
    """on_hand of every level equals the sum of its movements (the ledger is the truth)."""
    return _rows(
        """
        SELECT sl.id, p.sku, w.code, sl.on_hand, COALESCE(m.total, 0)
        FROM inventory_stocklevel sl
        JOIN inventory_product p ON p.id = sl.product_id
        JOIN inventory_warehouse w ON w.id = sl.warehouse_id
        LEFT JOIN (
            SELECT product_id, warehouse_id, SUM(quantity) AS total
            FROM inventory_stockmovement GROUP BY product_id, warehouse_id
        ) m ON m.product_id = sl.product_id AND m.warehouse_id = sl.warehouse_id
        WHERE sl.on_hand <> COALESCE(m.total, 0)
        ORDER BY sl.id
        """,
        ["stock_level", "sku", "warehouse", "on_hand", "sum_of_movements"],
    )


def reserved_within_on_hand() -> list[dict]:
    """0 <= reserved <= on_hand (CHECK constraints keep it; this proves they are in place)."""
    return _rows(
        "SELECT id, on_hand, reserved FROM inventory_stocklevel "
        "WHERE reserved < 0 OR reserved > on_hand OR on_hand < 0 ORDER BY id",
        ["stock_level", "on_hand", "reserved"],
    )


def every_pair_has_a_level() -> list[dict]:
    """A stock level exists for every product x warehouse pair (reservations lock it)."""
    return _rows(
        """
        SELECT p.sku, w.code FROM inventory_product p CROSS JOIN inventory_warehouse w
        WHERE NOT EXISTS (
            SELECT 1 FROM inventory_stocklevel sl WHERE sl.product_id = p.id AND sl.warehouse_id = w.id
        )
        ORDER BY p.id, w.id
        """,
        ["sku", "warehouse"],
    )
