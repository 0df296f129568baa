"""Two of the order table's fourteen indexes served no query, and each costs every new order an
index entry (docs/ARCHITECTURE.md, "Where an API order's CPU goes"):

- ``orders_order_number_..._like``, which Django adds beside a unique text column for
  ``LIKE 'x%'`` lookups: orders are found by their whole number (the unique index);
- ``order_external_ref_idx``: the search by a webshop's reference names every channel
  (``orders.selectors._search``), so the unique (channel, external_reference) index serves it.
"""

from django.db import migrations

LIKE_INDEX = "orders_order_number_abc9e0f2_like"


class Migration(migrations.Migration):
    dependencies = [("orders", "0014_order_customer_idx_include")]

    operations = [
        migrations.RemoveIndex(model_name="order", name="order_external_ref_idx"),
        migrations.RunSQL(
            f"DROP INDEX IF EXISTS {LIKE_INDEX}",
            f"CREATE INDEX IF NOT EXISTS {LIKE_INDEX} ON orders_order (number varchar_pattern_ops)",
        ),
    ]
