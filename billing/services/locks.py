"""The customer's billing lock: one transaction at a time changes a customer's payments,
allocations and order invoicing.

A PostgreSQL transaction-level advisory lock keyed on the customer id (no row needed, released
at COMMIT or ROLLBACK). Everything that moves money between a customer's payments, credit and
invoices takes it first, so two payments, a refund and an invoice of the same customer never
interleave their read-then-write of running totals, and never deadlock on invoice and payment
rows. Lock order (STYLE.md §5): this lock, then billing's invoice and payment rows, then
``Order`` (through orders' services), then stock levels, then the yearly invoice counter.
"""

from __future__ import annotations

from django.db import connection

# The first key of billing's advisory locks ("BI"), the second is the customer id.
NAMESPACE = 0x4249


def lock_customer_billing(customer_id: int) -> None:
    """Take the customer's billing lock until the end of the current transaction (waits)."""
    assert connection.in_atomic_block, "the billing lock is held by a transaction"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [NAMESPACE, int(customer_id)])
