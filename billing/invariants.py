"""billing's checks for ``python manage.py check_invariants`` (registered in oms/invariants.py).
Each returns the violating rows; an empty list means the invariant holds (research §4,
C4/C7/C9/C10/C11/C12)."""

from __future__ import annotations

from django.db import connection

from billing import accounts


def _rows(sql: str, params: list | None = None) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def entries_balance() -> list[dict]:
    """C7: every journal entry has two or more lines, and its debits = credits = its total."""
    return _rows(
        """
        SELECT e.id AS entry, e.total_amount AS total, count(l.id) AS lines,
               coalesce(sum(l.debit), 0) AS debit, coalesce(sum(l.credit), 0) AS credit
          FROM billing_journalentry e LEFT JOIN billing_journalline l ON l.entry_id = e.id
         GROUP BY e.id
        HAVING count(l.id) < 2 OR coalesce(sum(l.debit), 0) <> coalesce(sum(l.credit), 0)
            OR coalesce(sum(l.debit), 0) <> e.total_amount
         ORDER BY e.id LIMIT 100
        """
    )


def invoice_numbers_gapless() -> list[dict]:
    """C4: per series and year the numbers run 1..n without a gap or a repeat, and the counter's
    next number is n + 1."""
    return _rows(
        """
        SELECT c.series, c.year, c.next_number, count(i.id) AS issued,
               min(i.sequence) AS first, max(i.sequence) AS last, count(DISTINCT i.sequence) AS distinct_numbers
          FROM billing_invoicecounter c
          LEFT JOIN billing_invoice i ON i.kind = c.series AND i.year = c.year
         GROUP BY c.series, c.year, c.next_number
        HAVING count(i.id) <> c.next_number - 1
            OR count(DISTINCT i.sequence) <> count(i.id)
            OR (count(i.id) > 0 AND (min(i.sequence) <> 1 OR max(i.sequence) <> count(i.id)))
        UNION ALL
        SELECT i.kind, i.year, NULL, count(*), min(i.sequence), max(i.sequence), count(DISTINCT i.sequence)
          FROM billing_invoice i
         WHERE NOT EXISTS (SELECT 1 FROM billing_invoicecounter c WHERE c.series = i.kind AND c.year = i.year)
         GROUP BY i.kind, i.year
        """
    )


def receivables_equal_open_items() -> list[dict]:
    """C9: the receivables control account equals the sum of open items (per invoice: gross -
    paid - credited; credit notes are settled against their invoice)."""
    rows = _rows(
        """
        SELECT (SELECT coalesce(sum(l.debit - l.credit), 0) FROM billing_journalline l
                  JOIN billing_account a ON a.id = l.account_id WHERE a.code = %s) AS ledger,
               (SELECT coalesce(sum(gross_amount - amount_paid - amount_credited), 0)
                  FROM billing_invoice WHERE kind = 'invoice') AS open_items
        """,
        [accounts.RECEIVABLES],
    )
    return [row for row in rows if row["ledger"] != row["open_items"]]


def customer_balances() -> list[dict]:
    """C10: per customer, the receivables subledger = invoiced - paid - credited, and every
    invoice's credited amount is what its credit notes say."""
    per_customer = _rows(
        """
        WITH docs AS (
          SELECT customer_id,
                 sum(gross_amount) FILTER (WHERE kind = 'invoice') AS invoiced,
                 -sum(gross_amount) FILTER (WHERE kind = 'credit_note') AS credited,
                 sum(amount_paid) AS paid
            FROM billing_invoice GROUP BY customer_id
        ), ledger AS (
          SELECT l.customer_id, sum(l.debit - l.credit) AS balance
            FROM billing_journalline l JOIN billing_account a ON a.id = l.account_id
           WHERE a.code = %s GROUP BY l.customer_id
        )
        SELECT coalesce(d.customer_id, g.customer_id) AS customer, coalesce(g.balance, 0) AS ledger,
               coalesce(d.invoiced, 0) AS invoiced, coalesce(d.paid, 0) AS paid, coalesce(d.credited, 0) AS credited
          FROM docs d FULL JOIN ledger g ON g.customer_id = d.customer_id
         WHERE coalesce(g.balance, 0) <> coalesce(d.invoiced, 0) - coalesce(d.paid, 0) - coalesce(d.credited, 0)
         ORDER BY 1 LIMIT 100
        """,
        [accounts.RECEIVABLES],
    )
    per_invoice = _rows(
        """
        SELECT i.number, i.amount_credited, coalesce(-sum(n.gross_amount), 0) AS credit_notes
          FROM billing_invoice i LEFT JOIN billing_invoice n ON n.credit_of_id = i.id
         WHERE i.kind = 'invoice'
         GROUP BY i.id
        HAVING i.amount_credited <> coalesce(-sum(n.gross_amount), 0)
         ORDER BY i.id LIMIT 100
        """
    )
    return per_customer + per_invoice


def payments_add_up() -> list[dict]:
    """C11: per payment, its allocations add up to ``amount_allocated`` and its refunds to
    ``amount_refunded``, together never more than was paid (a refund chain never returns more
    than its payment brought in); per invoice, ``amount_paid`` is the sum of its allocations."""
    payments = _rows(
        """
        SELECT p.id AS payment, p.reference, p.amount, p.amount_allocated, p.amount_refunded,
               coalesce(a.total, 0) AS allocations, coalesce(-r.total, 0) AS refunds
          FROM billing_payment p
          LEFT JOIN (SELECT payment_id, sum(amount) AS total FROM billing_paymentallocation GROUP BY payment_id) a
                 ON a.payment_id = p.id
          LEFT JOIN (SELECT refund_of_id, sum(amount) AS total FROM billing_payment
                      WHERE refund_of_id IS NOT NULL GROUP BY refund_of_id) r ON r.refund_of_id = p.id
         WHERE p.refund_of_id IS NULL
           AND (coalesce(a.total, 0) <> p.amount_allocated OR coalesce(-r.total, 0) <> p.amount_refunded
                OR p.amount_allocated + p.amount_refunded > p.amount)
         ORDER BY p.id LIMIT 100
        """
    )
    invoices = _rows(
        """
        SELECT i.number, i.amount_paid, coalesce(sum(a.amount), 0) AS allocations
          FROM billing_invoice i LEFT JOIN billing_paymentallocation a ON a.invoice_id = i.id
         GROUP BY i.id
        HAVING i.amount_paid <> coalesce(sum(a.amount), 0)
         ORDER BY i.id LIMIT 100
        """
    )
    return payments + invoices


def customer_credit_equals_unused_payments() -> list[dict]:
    """Per customer, the customer-credit account (a liability: credit balance) equals what their
    payments left unused: paid - allocated to invoices - refunded."""
    return _rows(
        """
        WITH unused AS (
          SELECT customer_id, sum(amount - amount_allocated - amount_refunded) AS credit
            FROM billing_payment WHERE refund_of_id IS NULL GROUP BY customer_id
        ), ledger AS (
          SELECT l.customer_id, sum(l.credit - l.debit) AS credit
            FROM billing_journalline l JOIN billing_account a ON a.id = l.account_id
           WHERE a.code = %s GROUP BY l.customer_id
        )
        SELECT coalesce(u.customer_id, g.customer_id) AS customer, coalesce(u.credit, 0) AS unused,
               coalesce(g.credit, 0) AS ledger
          FROM unused u FULL JOIN ledger g ON g.customer_id = u.customer_id
         WHERE coalesce(u.credit, 0) <> coalesce(g.credit, 0)
         ORDER BY 1 LIMIT 100
        """,
        [accounts.CUSTOMER_CREDIT],
    )


def money_accounts_equal_payments() -> list[dict]:
    """Cash and bank hold exactly the payments less refunds of the methods booked to them; the
    bank also the bank statement lines booked to other accounts on the matching screen and the
    provider payouts landed on it; the payouts-in-transit account the payouts of settlements not
    yet on the bank. (The provider accounts: ``provider_receivable_equals_unsettled_payments``.)"""
    per_method = {}
    for method, code in accounts.PAYMENT_METHOD_ACCOUNTS.items():
        if code not in accounts.PROVIDER_ACCOUNTS:
            per_method.setdefault(code, []).append(method)
    per_method[accounts.PAYOUTS_IN_TRANSIT] = []
    rows = _rows(
        """
        SELECT a.code, coalesce(sum(l.debit - l.credit), 0) AS ledger
          FROM billing_account a LEFT JOIN billing_journalline l ON l.account_id = a.id
         WHERE a.code = ANY(%s) GROUP BY a.code
        """,
        [list(per_method)],
    )
    paid = {
        row["method"]: row["total"]
        for row in _rows("SELECT method, coalesce(sum(amount), 0) AS total FROM billing_payment GROUP BY method")
    }
    (other,) = _rows(
        """
        SELECT (SELECT coalesce(sum(amount), 0) FROM billing_bankstatementline
                 WHERE status IN ('booked', 'settled')) AS bank,
               (SELECT coalesce(sum(amount), 0) FROM billing_providersettlement
                 WHERE bank_entry_id IS NULL) AS in_transit
        """
    )
    extra = {accounts.BANK: other["bank"], accounts.PAYOUTS_IN_TRANSIT: other["in_transit"]}
    return [
        {"account": row["code"], "ledger": row["ledger"], "payments": expected}
        for row in rows
        if row["ledger"]
        != (expected := sum((paid.get(m, 0) for m in per_method[row["code"]]), 0) + extra.get(row["code"], 0))
    ]


def provider_receivable_equals_unsettled_payments() -> list[dict]:
    """Per provider account (1310-1340), to the cent: its balance = the payments less refunds of
    the methods booked to it that no settlement contains yet. A settlement's own amounts add up:
    its lines are its payments' amounts, ``payments_amount`` their sum."""
    per_account: dict[str, list[str]] = {code: [] for code in accounts.PROVIDER_ACCOUNTS}
    for method, code in accounts.PAYMENT_METHOD_ACCOUNTS.items():
        if code in per_account:
            per_account[code].append(method)
    ledger = {
        row["code"]: row["ledger"]
        for row in _rows(
            """
            SELECT a.code, coalesce(sum(l.debit - l.credit), 0) AS ledger
              FROM billing_account a LEFT JOIN billing_journalline l ON l.account_id = a.id
             WHERE a.code = ANY(%s) GROUP BY a.code
            """,
            [list(per_account)],
        )
    }
    unsettled = {
        row["method"]: row["total"]
        for row in _rows(
            """
            SELECT p.method, coalesce(sum(p.amount), 0) AS total FROM billing_payment p
             WHERE NOT EXISTS (SELECT 1 FROM billing_settlementline s WHERE s.payment_id = p.id)
             GROUP BY p.method
            """
        )
    }
    broken = [
        {"account": code, "ledger": ledger.get(code, 0), "unsettled_payments": expected}
        for code, methods in per_account.items()
        if ledger.get(code, 0) != (expected := sum((unsettled.get(m, 0) for m in methods), 0))
    ]
    return broken + _rows(
        """
        SELECT s.id AS settlement, s.identifier, s.payments_amount, coalesce(sum(l.amount), 0) AS lines,
               count(l.id) FILTER (WHERE l.amount <> p.amount) AS lines_off
          FROM billing_providersettlement s
          LEFT JOIN billing_settlementline l ON l.settlement_id = s.id
          LEFT JOIN billing_payment p ON p.id = l.payment_id
         GROUP BY s.id
        HAVING s.payments_amount <> coalesce(sum(l.amount), 0) OR count(l.id) FILTER (WHERE l.amount <> p.amount) > 0
         ORDER BY s.id LIMIT 100
        """
    )


def bank_lines_match_their_money() -> list[dict]:
    """A matched bank statement line is one bank transfer payment of exactly its amount; a booked
    one one journal entry of exactly its amount; a settled one the landed payout of a settlement
    of exactly its amount; only credit lines are matched or booked."""
    return _rows(
        """
        SELECT l.id AS line, l.status, l.amount, p.amount AS payment, p.method, e.total_amount AS entry,
               s.amount AS payout
          FROM billing_bankstatementline l
          LEFT JOIN billing_payment p ON p.id = l.payment_id
          LEFT JOIN billing_journalentry e ON e.id = l.journal_entry_id
          LEFT JOIN billing_providersettlement s ON s.id = l.settlement_id
         WHERE (l.status = 'matched' AND (p.amount IS DISTINCT FROM l.amount OR p.method <> 'bank_transfer'))
            OR (l.status = 'booked' AND e.total_amount IS DISTINCT FROM l.amount)
            OR (l.status = 'settled' AND (s.amount IS DISTINCT FROM l.amount OR s.bank_entry_id IS NULL))
            OR (l.status IN ('matched', 'booked', 'unmatched') AND l.amount <= 0)
         ORDER BY l.id LIMIT 100
        """
    )


def order_invoicing_adds_up() -> list[dict]:
    """C12: the invoiced quantity and net amount kept per order line equal what its invoice
    lines say (only invoice lines name an order line; credit notes do not), so nothing of an
    order is invoiced twice unnoticed."""
    return _rows(
        """
        SELECT r.order_line_id, r.quantity, r.net_amount, coalesce(sum(l.quantity), 0) AS invoiced,
               coalesce(sum(l.net_amount), 0) AS invoiced_net
          FROM billing_invoicedorderline r
          LEFT JOIN billing_invoiceline l ON l.order_line_id = r.order_line_id
         GROUP BY r.id
        HAVING r.quantity <> coalesce(sum(l.quantity), 0) OR r.net_amount <> coalesce(sum(l.net_amount), 0)
         ORDER BY r.order_line_id LIMIT 100
        """
    )


# --- issue 15: order-to-cash identities across orders, billing and payments -----------------------

# Orders invoiced per shipment (everything else is prepaid: invoiced in full once paid).
_PER_SHIPMENT = ("on_account", "bank_transfer")

# Orders whose events the workers have not handled yet (an invoice or a credit note may still
# be on its way): checked once the outbox has caught up. A dead event is its own violation.
_AWAITING_WORKERS = """
  SELECT (e.payload->>'order_id')::bigint FROM oms_outboxevent e
   WHERE e.status <> 'done' AND e.payload ? 'order_id'
"""

# Orders a person corrected by hand: credit notes beyond what return settlements credited (an
# order not cancelled). Their documents no longer follow the goods by design; left out.
_CORRECTED_BY_HAND = """
  SELECT o.id FROM orders_order o
   WHERE o.status <> 'cancelled'
     AND coalesce((SELECT -sum(n.gross_amount) FROM billing_invoice n
                    WHERE n.order_id = o.id AND n.kind = 'credit_note'), 0)
      <> coalesce((SELECT sum(r.amount_credited) FROM billing_returnsettlement r WHERE r.order_id = o.id), 0)
"""


def order_invoiced_matches_shipped() -> list[dict]:
    """Per order line: the units invoiced less the units credited equal what the order owes an
    invoice for, and to the cent for a line owed in full or not at all:

    * a cancelled order owes nothing (its invoices are credited in full);
    * an order invoiced per shipment (on account, bank transfer) owes what shipped less what
      came back;
    * a prepaid order owes nothing until it is invoiced (paid), then everything ordered less
      what came back (a counter sale is sold, so invoiced, at once).

    A line owed in full has invoiced - credited net = its total; one owed nothing has 0. The
    shipping charge: invoiced - credited = the order's, once it has any invoice, unless every
    unit came back (the charge is credited then) or it is cancelled; 0 before. Orders corrected
    by hand with a credit note (not a return's, not a cancellation's) are left out, and so are
    orders with events the workers have not handled yet."""
    lines = _rows(
        f"""
        WITH inv AS (
          SELECT l.order_line_id AS line_id, sum(l.quantity) AS units, sum(l.net_amount) AS net
            FROM billing_invoiceline l WHERE l.order_line_id IS NOT NULL GROUP BY 1
        ), cred AS (
          SELECT o.order_line_id AS line_id, sum(c.quantity) AS units, sum(c.net_amount) AS net
            FROM billing_invoiceline c JOIN billing_invoiceline o ON o.id = c.credits_line_id
           WHERE o.order_line_id IS NOT NULL GROUP BY 1
        ), invoiced_orders AS (
          SELECT DISTINCT order_id FROM billing_invoice WHERE kind = 'invoice' AND order_id IS NOT NULL
        ), owed AS (
          SELECT ol.id AS line_id, o.number, ol.line_no, ol.line_total,
                 CASE WHEN o.status IN ('draft', 'cancelled') OR ol.is_cancelled THEN 0
                      WHEN o.payment_method IN {_PER_SHIPMENT} THEN ol.quantity_shipped - ol.quantity_returned
                      WHEN o.id IN (SELECT order_id FROM invoiced_orders) THEN ol.quantity - ol.quantity_returned
                      ELSE 0 END AS owed,
                 ol.quantity
            FROM orders_orderline ol JOIN orders_order o ON o.id = ol.order_id
           WHERE o.id NOT IN ({_CORRECTED_BY_HAND}) AND o.id NOT IN ({_AWAITING_WORKERS})
        )
        SELECT w.number AS "order", w.line_no AS line, w.owed, w.quantity,
               coalesce(i.units, 0) + coalesce(c.units, 0) AS invoiced_units,
               coalesce(i.net, 0) + coalesce(c.net, 0) AS invoiced_net, w.line_total
          FROM owed w LEFT JOIN inv i ON i.line_id = w.line_id LEFT JOIN cred c ON c.line_id = w.line_id
         WHERE coalesce(i.units, 0) + coalesce(c.units, 0) <> w.owed
            OR (w.owed = 0 AND coalesce(i.net, 0) + coalesce(c.net, 0) <> 0)
            OR (w.owed = w.quantity AND coalesce(i.net, 0) + coalesce(c.net, 0) <> w.line_total)
         ORDER BY w.line_id LIMIT 100
        """
    )
    shipping = _rows(
        f"""
        WITH ship AS (
          SELECT i.order_id, sum(l.net_amount) AS net
            FROM billing_invoiceline l JOIN billing_invoice i ON i.id = l.invoice_id
           WHERE l.kind = 'shipping' AND i.order_id IS NOT NULL GROUP BY 1
        ), lines AS (
          SELECT order_id, bool_and(is_cancelled OR quantity_returned >= quantity) AS all_back
            FROM orders_orderline GROUP BY 1
        )
        SELECT o.number AS "order", o.shipping_amount, coalesce(s.net, 0) AS invoiced_shipping
          FROM orders_order o LEFT JOIN ship s ON s.order_id = o.id LEFT JOIN lines ln ON ln.order_id = o.id
         WHERE o.id NOT IN ({_CORRECTED_BY_HAND}) AND o.id NOT IN ({_AWAITING_WORKERS})
           AND coalesce(s.net, 0) <> CASE
                 WHEN o.status IN ('draft', 'cancelled') OR coalesce(ln.all_back, false) THEN 0
                 WHEN EXISTS (SELECT 1 FROM billing_invoice b WHERE b.order_id = o.id AND b.kind = 'invoice')
                   -- a consumer's order invoices the charge at its gross (orders.pricing)
                   THEN o.shipping_amount + CASE WHEN o.prices_include_vat
                                                 THEN ROUND(o.shipping_amount * o.shipping_vat_rate / 100, 2)
                                                 ELSE 0 END
                 ELSE 0 END
         ORDER BY o.id LIMIT 100
        """
    )
    return lines + shipping


def order_invoices_add_up_to_the_order() -> list[dict]:
    """An order owed in full (every line shipped or sold, per its invoicing rule, nothing came
    back, not cancelled, not corrected by hand, no event of it waiting for the workers) is
    invoiced for exactly its gross amount, net and VAT to the cent: invoices less credit notes =
    the order (per-shipment invoices included)."""
    return _rows(
        f"""
        WITH docs AS (
          SELECT order_id, sum(net_amount) AS net, sum(vat_amount) AS vat, sum(gross_amount) AS gross
            FROM billing_invoice WHERE order_id IS NOT NULL GROUP BY 1
        ), owed_in_full AS (
          SELECT o.id FROM orders_order o JOIN orders_orderline ol ON ol.order_id = o.id
           WHERE o.status NOT IN ('draft', 'cancelled')
             AND o.id NOT IN ({_CORRECTED_BY_HAND}) AND o.id NOT IN ({_AWAITING_WORKERS})
           GROUP BY o.id
          HAVING bool_and(ol.is_cancelled OR (ol.quantity_returned = 0 AND CASE
                   WHEN o.payment_method IN {_PER_SHIPMENT} THEN ol.quantity_shipped = ol.quantity
                   ELSE EXISTS (SELECT 1 FROM billing_invoice b WHERE b.order_id = o.id AND b.kind = 'invoice') END))
        )
        SELECT o.number AS "order", o.gross_amount, d.gross AS invoiced_gross, o.vat_amount, d.vat AS invoiced_vat
          FROM orders_order o JOIN owed_in_full f ON f.id = o.id LEFT JOIN docs d ON d.order_id = o.id
         WHERE coalesce(d.gross, 0) <> o.gross_amount OR coalesce(d.vat, 0) <> o.vat_amount
         ORDER BY o.id LIMIT 100
        """
    )


def customer_open_balance_is_invoiced_less_paid() -> list[dict]:
    """Per customer: the open balance (receivables less customer credit, in the ledger) =
    invoiced - paid - credited + refunded (the documents and the money records)."""
    return _rows(
        """
        WITH docs AS (
          SELECT customer_id, sum(gross_amount) AS invoiced_less_credited FROM billing_invoice GROUP BY 1
        ), money AS (
          SELECT customer_id, sum(amount) FILTER (WHERE amount > 0) AS paid,
                 -coalesce(sum(amount) FILTER (WHERE amount < 0), 0) AS refunded
            FROM billing_payment GROUP BY 1
        ), ledger AS (
          SELECT l.customer_id, sum(l.debit - l.credit) AS balance
            FROM billing_journalline l JOIN billing_account a ON a.id = l.account_id
           WHERE a.code IN (%s, %s) AND l.customer_id IS NOT NULL GROUP BY 1
        ), ids AS (
          SELECT customer_id FROM docs UNION SELECT customer_id FROM money UNION SELECT customer_id FROM ledger
        )
        SELECT ids.customer_id AS customer, coalesce(g.balance, 0) AS open_balance,
               coalesce(d.invoiced_less_credited, 0) AS invoiced_less_credited,
               coalesce(m.paid, 0) AS paid, coalesce(m.refunded, 0) AS refunded
          FROM ids LEFT JOIN docs d ON d.customer_id = ids.customer_id
          LEFT JOIN money m ON m.customer_id = ids.customer_id LEFT JOIN ledger g ON g.customer_id = ids.customer_id
         WHERE coalesce(g.balance, 0)
               <> coalesce(d.invoiced_less_credited, 0) - coalesce(m.paid, 0) + coalesce(m.refunded, 0)
         ORDER BY 1 LIMIT 100
        """,
        [accounts.RECEIVABLES, accounts.CUSTOMER_CREDIT],
    )


def cash_sales_never_receivable() -> list[dict]:
    """An invoice of a counter sale (a store order paid in cash or by PIN) is booked as a cash sale:
    its entry has no line on the receivables account, and nothing of it is ever open (a return
    credits it and pays the money back at once)."""
    booked = _rows(
        """
        SELECT i.number, o.number AS "order", o.payment_method
          FROM billing_invoice i JOIN orders_order o ON o.id = i.order_id
          JOIN billing_journalline l ON l.entry_id = i.journal_entry_id
          JOIN billing_account a ON a.id = l.account_id
         WHERE o.channel = 'store' AND o.payment_method IN ('cash', 'pin') AND i.kind = 'invoice' AND a.code = %s
         ORDER BY i.id LIMIT 100
        """,
        [accounts.RECEIVABLES],
    )
    open_items = _rows(
        """
        SELECT i.number, o.number AS "order", i.gross_amount - i.amount_paid - i.amount_credited AS open_amount
          FROM billing_invoice i JOIN orders_order o ON o.id = i.order_id
         WHERE o.channel = 'store' AND o.payment_method IN ('cash', 'pin') AND i.kind = 'invoice'
           AND i.gross_amount - i.amount_paid - i.amount_credited <> 0
         ORDER BY i.id LIMIT 100
        """
    )
    return booked + open_items


def vat_accounts_match_documents() -> list[dict]:
    """Per VAT account (high, low): its balance = the VAT of the invoices less the credit notes
    at the rates of that category."""
    rows = _rows(
        """
        WITH doc AS (
          SELECT DISTINCT v.id, v.vat_amount, CASE WHEN i.vat_country <> '' THEN 'oss' ELSE l.vat_category END
                 AS vat_category
            FROM billing_invoicevat v
            JOIN billing_invoiceline l ON l.invoice_id = v.invoice_id AND l.vat_rate = v.rate
            JOIN billing_invoice i ON i.id = v.invoice_id
           WHERE v.rate > 0
        )
        SELECT vat_category AS category, sum(vat_amount) AS documents FROM doc GROUP BY 1
        """
    )
    documents = {row["category"]: row["documents"] for row in rows}
    ledger = {
        row["code"]: row["balance"]
        for row in _rows(
            """
            SELECT a.code, coalesce(sum(l.credit - l.debit), 0) AS balance
              FROM billing_account a LEFT JOIN billing_journalline l ON l.account_id = a.id
             WHERE a.code IN (%s, %s, %s) GROUP BY a.code
            """,
            [accounts.VAT_PAYABLE_HIGH, accounts.VAT_PAYABLE_LOW, accounts.VAT_PAYABLE_OSS],
        )
    }
    # other member states' VAT (OSS) is booked to its own account, whatever the category
    wanted = {"high": accounts.VAT_PAYABLE_HIGH, "low": accounts.VAT_PAYABLE_LOW, "oss": accounts.VAT_PAYABLE_OSS}
    return [
        {"category": category, "account": code, "ledger": ledger.get(code, 0), "documents": documents.get(category, 0)}
        for category, code in wanted.items()
        if ledger.get(code, 0) != documents.get(category, 0)
    ]


def invoices_priced_as_their_order() -> list[dict]:
    """An order's invoices and credit notes carry the order's price basis (incl. or excl. VAT)."""
    return _rows(
        """
        SELECT i.number, i.prices_include_vat, o.number AS "order", o.prices_include_vat AS order_prices_include_vat
          FROM billing_invoice i JOIN orders_order o ON o.id = i.order_id
         WHERE i.prices_include_vat <> o.prices_include_vat
         ORDER BY i.id LIMIT 100
        """
    )
