"""Beat schedule: fetch Mollie's settlements every morning (the task is off without a token)."""

from django.db import migrations

NAME = "billing: fetch Mollie settlements"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="7", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/Amsterdam"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": "billing.tasks.mollie_settlements_import", "crontab": crontab}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0012_provider_settlements"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
