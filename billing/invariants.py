"""billing's checks for ``python manage.py check_invariants`` (registered in oms/invariants.py).
Each returns the violating rows; an empty list means the invariant holds (research §4, C4/C7/C9/C10)."""

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
