"""Purchasing invariants for ``python manage.py check_invariants`` (registered in
oms/invariants.py). Each check returns the violating rows (at most 100)."""

from __future__ import annotations

from django.db import connection

LIMIT = 100


def _rows(sql: str, columns: list[str]) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql + f" LIMIT {LIMIT}")
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def expected_receipts_match_open_lines() -> list[dict]:
    """A sent or partially received purchase order expects exactly its open quantities in
    inventory; any other purchase order expects nothing."""
    return _rows(
        """
        WITH wanted AS (
            SELECT po.number, l.product_id, po.warehouse_id,
                   CASE WHEN po.status IN ('sent', 'partially_received')
                        THEN GREATEST(l.quantity_ordered - l.quantity_received, 0) ELSE 0 END AS quantity
            FROM purchasing_purchaseorderline l JOIN purchasing_purchaseorder po ON po.id = l.purchase_order_id
        ), recorded AS (
            SELECT er.reference AS number, er.product_id, er.warehouse_id, er.quantity
            FROM inventory_expectedreceipt er
            WHERE er.reference IN (SELECT number FROM purchasing_purchaseorder)
        )
        SELECT COALESCE(w.number, r.number), COALESCE(w.product_id, r.product_id),
               COALESCE(w.quantity, 0), COALESCE(r.quantity, 0)
        FROM wanted w FULL OUTER JOIN recorded r
          ON r.number = w.number AND r.product_id = w.product_id AND r.warehouse_id = w.warehouse_id
        WHERE COALESCE(w.quantity, 0) <> COALESCE(r.quantity, 0)
        ORDER BY 1, 2
        """,
        ["purchase_order", "product", "open_quantity", "expected_in_inventory"],
    )


def status_matches_received() -> list[dict]:
    """sent: nothing received; partially received: something, not all; received: every line."""
    return _rows(
        """
        SELECT po.number, po.status, SUM(l.quantity_received),
               BOOL_AND(l.quantity_received >= l.quantity_ordered)
        FROM purchasing_purchaseorder po JOIN purchasing_purchaseorderline l ON l.purchase_order_id = po.id
        GROUP BY po.id, po.number, po.status
        HAVING (po.status IN ('draft', 'sent', 'cancelled') AND SUM(l.quantity_received) <> 0)
            OR (po.status = 'partially_received'
                AND (SUM(l.quantity_received) = 0 OR BOOL_AND(l.quantity_received >= l.quantity_ordered)))
            OR (po.status = 'received' AND NOT BOOL_AND(l.quantity_received >= l.quantity_ordered))
        ORDER BY po.number
        """,
        ["purchase_order", "status", "received_units", "all_lines_complete"],
    )


def received_matches_receipts() -> list[dict]:
    """A line's received quantity is the sum of its goods receipt lines."""
    return _rows(
        """
        SELECT l.id, po.number, l.quantity_received, COALESCE(SUM(g.quantity), 0)
        FROM purchasing_purchaseorderline l
        JOIN purchasing_purchaseorder po ON po.id = l.purchase_order_id
        LEFT JOIN purchasing_goodsreceiptline g ON g.purchase_order_line_id = l.id
        GROUP BY l.id, po.number, l.quantity_received
        HAVING l.quantity_received <> COALESCE(SUM(g.quantity), 0)
        ORDER BY l.id
        """,
        ["line", "purchase_order", "quantity_received", "sum_of_receipts"],
    )


def totals_match_lines() -> list[dict]:
    """A purchase order's total is the sum of its line totals; a line total is quantity x cost."""
    return _rows(
        """
        SELECT po.number, po.total_amount, COALESCE(SUM(l.line_total), 0),
               BOOL_OR(l.line_total <> ROUND(l.quantity_ordered * l.unit_cost, 2))
        FROM purchasing_purchaseorder po LEFT JOIN purchasing_purchaseorderline l ON l.purchase_order_id = po.id
        GROUP BY po.id, po.number, po.total_amount
        HAVING po.total_amount <> COALESCE(SUM(l.line_total), 0)
            OR BOOL_OR(l.line_total <> ROUND(l.quantity_ordered * l.unit_cost, 2))
        ORDER BY po.number
        """,
        ["purchase_order", "total_amount", "sum_of_lines", "a_line_is_off"],
    )
