"""An allocation's stock level and warehouse under one database key.

Two foreign keys (to the stock level, to the warehouse) become one over both columns, to the
stock level's unique (id, warehouse) (inventory 0002): it says as much and more (the
warehouse is the stock level's own), and it is one check per allocation at commit instead of
two. The warehouse's key also locked (FOR KEY SHARE) the warehouse row that every order of
that warehouse shares; the stock level row is one the reservation has locked already.
"""

import django.db.models.deletion
from django.db import migrations, models

KEY = (
    "ALTER TABLE orders_allocation ADD CONSTRAINT allocation_stock_level_in_warehouse "
    "FOREIGN KEY (stock_level_id, warehouse_id) REFERENCES inventory_stocklevel (id, warehouse_id) "
    "DEFERRABLE INITIALLY DEFERRED"
)
NO_KEY = "ALTER TABLE orders_allocation DROP CONSTRAINT allocation_stock_level_in_warehouse"


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0002_stock_level_with_warehouse"),
        ("orders", "0004_order_number_in_plpgsql"),
    ]

    operations = [
        migrations.AlterField(
            model_name="allocation",
            name="stock_level",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="inventory.stocklevel",
            ),
        ),
        migrations.AlterField(
            model_name="allocation",
            name="warehouse",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="inventory.warehouse",
            ),
        ),
        migrations.RunSQL(KEY, NO_KEY),
    ]
