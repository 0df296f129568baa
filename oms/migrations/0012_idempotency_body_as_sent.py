"""The stored answer of an idempotent API write is kept as the JSON text that was sent (``text``,
was ``jsonb``): a replay gives the keys in the first answer's order, and the server no longer
parses the answer into ``jsonb`` on every keyed write. Changing the type rewrites the column
with the default compression, so 0011's lz4 is set again."""

from importlib import import_module

from django.db import migrations, models

LZ4 = import_module("oms.migrations.0011_idempotency_body_lz4")


class Migration(migrations.Migration):
    dependencies = [("oms", "0011_idempotency_body_lz4")]

    operations = [
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="body",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.RunSQL(LZ4.FORWARD, migrations.RunSQL.noop),
    ]
