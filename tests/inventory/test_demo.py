"""The demo catalogue loads, adds up, and loads only once."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from inventory.models import Product, StockLevel, StockMovement, Warehouse
from oms import invariants

pytestmark = pytest.mark.django_db


def test_demo_inventory_loads_the_uci_catalogue_once():
    call_command("demo_inventory", small=True)
    assert Product.objects.count() == 200
    assert sorted(Warehouse.objects.values_list("code", flat=True)) == ["AMS", "RTM"]
    assert StockLevel.objects.count() == 400 and StockMovement.objects.exists()
    assert StockLevel.objects.filter(reorder_point__gt=0).exists()
    # a real product: 10002 "INFLATABLE POLITICAL GLOBE", GBP 0.85 x 1.15 = EUR 0.98 (half-up)
    globe = Product.objects.get(sku="10002")
    assert (globe.name, globe.list_price) == ("Inflatable Political Globe", Decimal("0.98"))
    assert invariants.violations() == {}
    call_command("demo_inventory", small=True)
    assert Product.objects.count() == 200
