"""The send-once record (``oms.deliver_once``); unsent notifications' claim and tries move
from the notification row to a delivery of kind ``oms.notification``."""

from datetime import timedelta

import django.utils.timezone
from django.db import migrations, models

CLAIM_TIMEOUT = timedelta(minutes=15)


def notifications_to_deliveries(apps, schema_editor):
    Notification = apps.get_model("oms", "Notification")
    Delivery = apps.get_model("oms", "Delivery")
    rows = Notification.objects.filter(status__in=["queued", "failed"]).exclude(to_email="")
    Delivery.objects.bulk_create(
        [
            Delivery(
                kind="oms.notification",
                key=str(n.pk),
                state="claimed" if n.claimed_at else "pending",
                claimed_until=n.claimed_at + CLAIM_TIMEOUT if n.claimed_at else None,
                attempts=n.attempts,
                last_error=n.error,
                next_attempt_at=n.created_at,
                created_at=n.created_at,
            )
            for n in rows.iterator()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def deliveries_to_notifications(apps, schema_editor):
    Notification = apps.get_model("oms", "Notification")
    Delivery = apps.get_model("oms", "Delivery")
    for d in Delivery.objects.filter(kind="oms.notification").exclude(state="sent").iterator():
        Notification.objects.filter(pk=int(d.key)).update(attempts=d.attempts)


class Migration(migrations.Migration):

    dependencies = [
        ('oms', '0008_outbox_feed_txid'),
    ]

    operations = [
        migrations.CreateModel(
            name='Delivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=60)),
                ('key', models.CharField(help_text='The subject, e.g. an invoice id', max_length=120)),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('claimed', 'Being sent'), ('sent', 'Sent'), ('dead', 'Given up')], default='pending', max_length=10)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('claimed_until', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.CharField(blank=True, max_length=500)),
                ('result', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('state__in', ['pending', 'claimed'])), fields=['next_attempt_at'], name='delivery_due_idx'), models.Index(condition=models.Q(('state', 'dead')), fields=['kind', 'id'], name='delivery_dead_idx')],
                'constraints': [models.UniqueConstraint(fields=('kind', 'key'), name='delivery_once_per_key'), models.CheckConstraint(condition=models.Q(('state__in', ['pending', 'claimed', 'sent', 'dead'])), name='delivery_state_valid')],
            },
        ),
        migrations.RunPython(notifications_to_deliveries, deliveries_to_notifications),
        migrations.RemoveField(
            model_name='notification',
            name='attempts',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='claimed_at',
        ),
    ]
