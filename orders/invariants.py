"""Order invariants for ``python manage.py check_invariants`` (registered in oms/invariants.py).

Each check returns the violating rows (at most 100); an empty list means the invariant holds.
The CHECK constraints already keep ``allocated + backordered = ordered`` and
``shipped <= allocated`` per line; these checks tie lines, allocations and stock together.
"""

from __future__ import annotations

from django.db import connection

LIMIT = 100


def _rows(sql: str, columns: list[str]) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql + f" LIMIT {LIMIT}")
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def line_quantities_match_allocations() -> list[dict]:
    """Per open line: allocated = its reserved + shipped allocations, shipped = its shipped
    (issued) allocations, and allocated + backordered = ordered."""
    return _rows(
        """
        SELECT l.id, o.number, l.sku, l.quantity, l.quantity_allocated, l.quantity_backordered,
               l.quantity_shipped, COALESCE(a.held, 0), COALESCE(a.issued, 0)
        FROM orders_orderline l
        JOIN orders_order o ON o.id = l.order_id
        LEFT JOIN (
            SELECT order_line_id,
                   SUM(quantity) FILTER (WHERE status IN ('reserved', 'issued')) AS held,
                   SUM(quantity) FILTER (WHERE status = 'issued') AS issued
            FROM orders_allocation GROUP BY order_line_id
        ) a ON a.order_line_id = l.id
        WHERE NOT l.is_cancelled AND o.status NOT IN ('draft', 'cancelled') AND (
            l.quantity_allocated <> COALESCE(a.held, 0)
            OR l.quantity_shipped <> COALESCE(a.issued, 0)
            OR l.quantity_allocated + l.quantity_backordered <> l.quantity
            OR l.quantity_shipped > l.quantity_allocated)
        ORDER BY l.id
        """,
        ["line", "order", "sku", "quantity", "allocated", "backordered", "shipped", "allocations", "issued"],
    )


def reserved_stock_matches_allocations() -> list[dict]:
    """Every stock level's ``reserved`` equals the sum of the reserved allocations in it.

    Orders are the only ones that reserve stock (the store counter sale issues unreserved stock),
    so in a running system this holds for every level. Levels of products that no order ever
    contained are left out: inventory's own tests reserve without an order. Any reservation
    made by orders is of a product with an order line, so every discrepancy orders can cause is
    still seen.
    """
    return _rows(
        """
        SELECT sl.id, p.sku, w.code, sl.reserved, COALESCE(a.total, 0)
        FROM inventory_stocklevel sl
        JOIN inventory_product p ON p.id = sl.product_id
        JOIN inventory_warehouse w ON w.id = sl.warehouse_id
        LEFT JOIN (
            SELECT stock_level_id, SUM(quantity) AS total FROM orders_allocation
            WHERE status = 'reserved' GROUP BY stock_level_id
        ) a ON a.stock_level_id = sl.id
        WHERE sl.reserved <> COALESCE(a.total, 0)
          AND EXISTS (SELECT 1 FROM orders_orderline l WHERE l.product_id = sl.product_id)
        ORDER BY sl.id
        """,
        ["stock_level", "sku", "warehouse", "reserved", "reserved_allocations"],
    )


def nothing_reserved_for_closed_lines() -> list[dict]:
    """No reserved allocation on a cancelled line, of a cancelled or draft order, or beyond what
    a line still has to ship."""
    return _rows(
        """
        SELECT a.id, o.number, o.status, l.sku, a.quantity
        FROM orders_allocation a
        JOIN orders_orderline l ON l.id = a.order_line_id
        JOIN orders_order o ON o.id = l.order_id
        WHERE a.status = 'reserved' AND (
            l.is_cancelled OR o.status IN ('draft', 'cancelled', 'shipped', 'delivered', 'completed')
            OR l.quantity_shipped >= l.quantity)
        ORDER BY a.id
        """,
        ["allocation", "order", "status", "sku", "quantity"],
    )


def order_totals_add_up() -> list[dict]:
    """Per rate the open lines' totals and the shipping (at its gross when the order's prices
    include VAT) are summed; VAT per rate is rate x net rounded half-up to cents, or for prices
    incl. VAT gross x rate / (100 + rate) rounded; gross = net + shipping + VAT, and for prices
    incl. VAT the sum of the line totals and the shipping's gross. Cancelled orders keep the
    totals they had and are left out."""
    return _rows(
        """
        WITH parts AS (
            SELECT l.order_id, l.vat_rate AS rate, l.line_total AS amount
            FROM orders_orderline l WHERE NOT l.is_cancelled
            UNION ALL
            SELECT o.id, o.shipping_vat_rate,
                   o.shipping_amount + CASE WHEN o.prices_include_vat
                                            THEN ROUND(o.shipping_amount * o.shipping_vat_rate / 100, 2) ELSE 0 END
            FROM orders_order o WHERE o.shipping_amount > 0
        ), per_rate AS (
            SELECT p.order_id, p.rate, SUM(p.amount) AS amount, o.prices_include_vat AS incl
            FROM parts p JOIN orders_order o ON o.id = p.order_id GROUP BY p.order_id, p.rate, o.prices_include_vat
        ), with_vat AS (
            SELECT order_id, amount, incl,
                   CASE WHEN incl THEN ROUND(amount * rate / (100 + rate), 2) ELSE ROUND(rate * amount / 100, 2) END
                       AS vat
            FROM per_rate
        ), expected AS (
            SELECT order_id, SUM(CASE WHEN incl THEN amount - vat ELSE amount END) AS net_and_shipping,
                   SUM(vat) AS vat
            FROM with_vat GROUP BY order_id
        )
        SELECT o.number, o.net_amount, o.shipping_amount, o.vat_amount, o.gross_amount,
               COALESCE(e.net_and_shipping, 0) - o.shipping_amount, COALESCE(e.vat, 0)
        FROM orders_order o LEFT JOIN expected e ON e.order_id = o.id
        WHERE o.status <> 'cancelled' AND (
            o.net_amount <> COALESCE(e.net_and_shipping, 0) - o.shipping_amount
            OR o.vat_amount <> COALESCE(e.vat, 0)
            OR o.gross_amount <> o.net_amount + o.shipping_amount + o.vat_amount)
        ORDER BY o.id
        """,
        ["order", "net", "shipping", "vat", "gross", "expected_net", "expected_vat"],
    )


def price_basis_follows_buyer() -> list[dict]:
    """A consumer's order (a B2C customer, any channel but B2B) is priced incl. VAT, any other
    excl. VAT (issue 15); a consumer's order then costs its lines' totals and the shipping's
    gross, to the cent. Drafts follow their customer too; cancelled orders keep what they had."""
    return _rows(
        """
        WITH active AS (
            SELECT order_id, SUM(line_total) AS lines FROM orders_orderline WHERE NOT is_cancelled GROUP BY 1
        )
        SELECT o.number, o.prices_include_vat, c.kind, o.channel, o.gross_amount, COALESCE(a.lines, 0)
        FROM orders_order o JOIN customers_customer c ON c.id = o.customer_id
        LEFT JOIN active a ON a.order_id = o.id
        WHERE o.status <> 'cancelled' AND (
            o.prices_include_vat <> (c.kind = 'b2c' AND o.channel <> 'b2b')
            OR (o.prices_include_vat AND o.status <> 'draft' AND o.gross_amount <> COALESCE(a.lines, 0)
                + o.shipping_amount + ROUND(o.shipping_amount * o.shipping_vat_rate / 100, 2)))
        ORDER BY o.id
        """,
        ["order", "prices_include_vat", "customer_kind", "channel", "gross", "lines"],
    )
