"""Stock levels keep a fifth of every page free (``fillfactor = 80``).

Every order, shipment and receipt updates a few stock levels, and none of those updates
changes an indexed column, so PostgreSQL can write the new row version on the same page
without touching the table's four indexes (a HOT update), but only when the page has room.
Packed full (the default), a third to a half of the updates in a bench run found no room and
wrote an entry in each index, which then bloated until vacuum (``bench/order_intake.py``
reports the WAL per order). New pages get the free space at once; existing pages as they are
rewritten (``VACUUM FULL inventory_stocklevel`` does it at once, holding the table's lock while
it runs).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_product_consumer_price_from_list_price")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE inventory_stocklevel SET (fillfactor = 80)",
            "ALTER TABLE inventory_stocklevel RESET (fillfactor)",
        )
    ]
