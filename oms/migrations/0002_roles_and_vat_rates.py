"""Data: the role groups and the Dutch VAT rates (high 21% and low 9% since 2019-01-01)."""

from datetime import date
from decimal import Decimal

from django.db import migrations

ROLES = ["customer_service", "warehouse", "purchasing", "accounting", "manager", "api_client"]
RATES = [
    ("high", Decimal("21.00"), date(2012, 10, 1)),
    ("low", Decimal("6.00"), date(2001, 1, 1)),
    ("low", Decimal("9.00"), date(2019, 1, 1)),
    ("zero", Decimal("0.00"), date(2001, 1, 1)),
]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    VatRate = apps.get_model("oms", "VatRate")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for category, rate, valid_from in RATES:
        VatRate.objects.get_or_create(category=category, valid_from=valid_from, defaults={"rate": rate})


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()
    apps.get_model("oms", "VatRate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("oms", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(forwards, backwards)]
