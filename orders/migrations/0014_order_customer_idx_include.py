# order_customer_idx gets the status and the order list's sort keys as included columns
# (issue 19: a search by customer reads the page's ids from the index alone). Built beside the
# old index without blocking order intake, then swapped in under the old name.

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0013_orderline_promised_delivery_date"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                fields=["customer", "-id"],
                include=["created_at", "gross_amount", "status", "number"],
                name="order_customer_incl_idx",
            ),
        ),
        RemoveIndexConcurrently(model_name="order", name="order_customer_idx"),
        migrations.RenameIndex(model_name="order", new_name="order_customer_idx", old_name="order_customer_incl_idx"),
    ]
