"""The purchasing demo: Northwind's suppliers selling the demo catalogue, a reorder queue that
is not empty, and purchase orders in every state; loaded once."""

import pytest
from django.core.management import call_command

from oms import invariants
from purchasing.management.commands.demo_purchasing import pack_size
from purchasing.models import PurchaseOrder, ReorderRequest, RequestStatus, Supplier, SupplierProduct

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "pack"),
    [
        ("24 - 12 oz bottles", 24),
        ("10 boxes x 20 bags", 10),
        ("1 kg pkg.", 1),
        ("500 g", 1),
        ("100 - 100 g pieces", 48),
    ],
)
def test_pack_size_reads_a_count_not_a_weight(text, pack):
    assert pack_size(text) == pack


def test_demo_purchasing_loads_northwind_suppliers_requests_and_orders_once(make_user):
    make_user("purchasing", username="purchasing")
    make_user("warehouse", username="warehouse")
    call_command("demo_inventory", small=True)
    call_command("demo_purchasing", small=True)
    assert Supplier.objects.count() == 29
    exotic = Supplier.objects.get(name="Exotic Liquids")
    assert (exotic.contact_name, exotic.city, exotic.country, exotic.lead_time_days) == (
        "Charlotte Cooper",
        "London",
        "GB",
        5,
    )
    assert SupplierProduct.objects.filter(preferred=True).count() == 200  # one per demo product
    assert ReorderRequest.objects.filter(status=RequestStatus.OPEN).exists()  # the queue is not empty
    assert sorted(PurchaseOrder.objects.values_list("status", flat=True)) == [
        "draft",
        "partially_received",
        "received",
        "sent",
    ]
    assert PurchaseOrder.objects.values("supplier").distinct().count() == 4
    assert invariants.violations() == {}
    call_command("demo_purchasing", small=True)
    assert Supplier.objects.count() == 29 and PurchaseOrder.objects.count() == 4
