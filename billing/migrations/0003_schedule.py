"""Beat schedule of billing's periodic tasks (the beat runs django-celery-beat's database
scheduler, so a row here is how an app adds a schedule without touching shared settings)."""

from django.db import migrations

TASKS = [
    # (name, task, crontab minute, hour)
    ("billing: mark overdue invoices", "billing.tasks.invoices_mark_overdue", "30", "1"),
    ("billing: render and send invoices whose task was lost", "billing.tasks.invoice_deliveries_sweep", "*/10", "*"),
]


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in TASKS:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/Amsterdam"
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_ledger_and_invoice_integrity"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(schedule, unschedule)]
