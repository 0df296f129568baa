"""Existing products get a consumer price: the list price plus today's VAT of their category,
half-up to the cent (issue 15). New products get theirs from the catalogue service."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations
from django.utils import timezone

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def derive(apps, schema_editor):
    Product = apps.get_model("inventory", "Product")
    VatRate = apps.get_model("oms", "VatRate")
    today = timezone.localdate()
    rates = {}
    for row in VatRate.objects.filter(valid_from__lte=today).order_by("category", "-valid_from"):
        rates.setdefault(row.category, row.rate)
    changed = []
    for product in Product.objects.filter(consumer_price__isnull=True).only("id", "list_price", "vat_category"):
        net = product.list_price
        vat = (net * rates.get(product.vat_category, Decimal("0")) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
        product.consumer_price = net + vat
        changed.append(product)
    Product.objects.bulk_update(changed, ["consumer_price"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0006_product_consumer_price"),
        ("oms", "0002_roles_and_vat_rates"),
    ]

    operations = [migrations.RunPython(derive, migrations.RunPython.noop)]
