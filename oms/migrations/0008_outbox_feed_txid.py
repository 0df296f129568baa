"""The event feed's order (oms.feed): each outbox row records the transaction that inserted it.

A column filled by the database (``DEFAULT txid_current()``), so the outbox's write path stays as
it is, and not mapped by the ORM (the model's state is unchanged). Existing rows get this
migration's transaction id, which is older than any transaction that follows.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("oms", "0007_tablestamp")]

    operations = [
        migrations.RunSQL(
            sql=[
                "ALTER TABLE oms_outboxevent ADD COLUMN feed_txid bigint NOT NULL DEFAULT txid_current()",
                "CREATE INDEX oms_outbox_feed_idx ON oms_outboxevent (feed_txid, id)",
            ],
            reverse_sql=[
                "DROP INDEX oms_outbox_feed_idx",
                "ALTER TABLE oms_outboxevent DROP COLUMN feed_txid",
            ],
        ),
    ]
