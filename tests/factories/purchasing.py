"""Factories for purchasing. Purchase orders are made through the services (requests ->
draft -> sent), so that they carry what a real one carries: a number, lines, totals, timeline
entries and, once sent, expected receipts in inventory."""

from __future__ import annotations

from decimal import Decimal

import factory

from purchasing.models import PurchaseOrder, ReorderReason, ReorderRequest, Supplier, SupplierProduct
from tests.factories.inventory import ProductFactory, WarehouseFactory


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Supplier {n:03d} B.V.")
    contact_name = "Dirk Luchte"
    email = factory.Sequence(lambda n: f"orders{n}@supplier.example")
    phone = "+31 20 123 4567"
    address = "Rijnweg 22"
    postal_code = "1501 AB"
    city = "Zaandam"
    country = "NL"
    lead_time_days = 7


class SupplierProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierProduct

    supplier = factory.SubFactory(SupplierFactory)
    product = factory.SubFactory(ProductFactory)
    supplier_sku = factory.Sequence(lambda n: f"SUP-{n:05d}")
    unit_cost = Decimal("4.50")
    min_order_quantity = 1
    pack_size = 1
    preferred = True


class ReorderRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReorderRequest

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    supplier = factory.SubFactory(SupplierFactory)
    reason = ReorderReason.SCAN
    suggested_quantity = 12
    quantity = factory.LazyAttribute(lambda o: o.suggested_quantity)
    unit_cost = Decimal("4.50")


def draft_purchase_order(lines, *, warehouse, supplier=None, user=None) -> PurchaseOrder:
    """A draft purchase order with ``lines`` = [(product, quantity, unit_cost), ...], made from
    reorder requests through the service."""
    from purchasing.services import purchase_orders_create_from_requests

    supplier = supplier or SupplierFactory()
    ids = []
    for product, quantity, unit_cost in lines:
        SupplierProduct.objects.get_or_create(
            supplier=supplier, product=product, defaults={"unit_cost": unit_cost, "supplier_sku": f"S-{product.sku}"}
        )
        ids.append(
            ReorderRequestFactory(
                product=product,
                warehouse=warehouse,
                supplier=supplier,
                suggested_quantity=quantity,
                unit_cost=unit_cost,
            ).pk
        )
    (po,) = purchase_orders_create_from_requests(request_ids=ids, user=user)
    return po


def sent_purchase_order(lines, *, warehouse, supplier=None, user=None) -> PurchaseOrder:
    from purchasing.services import purchase_order_send

    po = draft_purchase_order(lines, warehouse=warehouse, supplier=supplier, user=user)
    return purchase_order_send(purchase_order_id=po.pk, user=user)


__all__ = ["ProductFactory", "WarehouseFactory"]
