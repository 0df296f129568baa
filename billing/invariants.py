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
    """Each money account (cash, bank, payment providers, PIN in transit) holds exactly the
    payments less refunds of the methods booked to it; the bank also the bank statement lines
    booked to other accounts on the matching screen."""
    per_method = {}
    for method, code in accounts.PAYMENT_METHOD_ACCOUNTS.items():
        per_method.setdefault(code, []).append(method)
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
    booked = _rows("SELECT coalesce(sum(amount), 0) AS total FROM billing_bankstatementline WHERE status = 'booked'")
    other = {accounts.BANK: booked[0]["total"]}
    return [
        {"account": row["code"], "ledger": row["ledger"], "payments": expected}
        for row in rows
        if row["ledger"]
        != (expected := sum((paid.get(m, 0) for m in per_method[row["code"]]), 0) + other.get(row["code"], 0))
    ]


def bank_lines_match_their_money() -> list[dict]:
    """A matched bank statement line is one bank transfer payment of exactly its amount; a booked
    one one journal entry of exactly its amount; only credit lines are either."""
    return _rows(
        """
        SELECT l.id AS line, l.status, l.amount, p.amount AS payment, p.method, e.total_amount AS entry
          FROM billing_bankstatementline l
          LEFT JOIN billing_payment p ON p.id = l.payment_id
          LEFT JOIN billing_journalentry e ON e.id = l.journal_entry_id
         WHERE (l.status = 'matched' AND (p.amount IS DISTINCT FROM l.amount OR p.method <> 'bank_transfer'))
            OR (l.status = 'booked' AND e.total_amount IS DISTINCT FROM l.amount)
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
