"""Document numbers from PostgreSQL sequences (``SO-000001``, ``PO-000001``, ``C-000001``).

Sequences are fast and safe under concurrency but may skip a number when a transaction rolls
back; that is fine for orders, customers and shipments. Invoice numbers must be gapless and
use billing's locked counter instead. An app creates its sequence in a migration with
``create_sequence_sql("orders_order_number")``.
"""

from django.db import connection


def create_sequence_sql(name: str) -> tuple[str, str]:
    return (f"CREATE SEQUENCE IF NOT EXISTS {name} START 1", f"DROP SEQUENCE IF EXISTS {name}")


def next_value(sequence: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence])
        return cursor.fetchone()[0]


def next_values(sequence: str, count: int) -> list[int]:
    """Several numbers in one round trip (bulk imports)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
        return [row[0] for row in cursor.fetchall()]


def format_number(prefix: str, value: int, width: int = 6) -> str:
    return f"{prefix}-{value:0{width}d}"
