"""The stored answer of an idempotent API write (about 4 kB of JSON for a 10-line order) is
compressed with lz4 instead of PostgreSQL's default pglz: every keyed order writes one, and pglz
cost the server about a third of that insert (docs/ARCHITECTURE.md, "Where an API order's CPU
goes"). It applies to answers stored from now on. A server built without lz4 (the setting
would fail) keeps pglz."""

from django.db import migrations

FORWARD = """
DO $$
BEGIN
    ALTER TABLE oms_idempotencyrecord ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'PostgreSQL without lz4: the idempotency answers stay compressed with pglz';
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [("oms", "0010_webhook_endpoints_deliveries")]

    operations = [
        migrations.RunSQL(FORWARD, "ALTER TABLE oms_idempotencyrecord ALTER COLUMN body SET COMPRESSION default")
    ]
