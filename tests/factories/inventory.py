"""Factories for inventory. Creating a product or a warehouse also creates its stock levels
(a database trigger), so every product x warehouse pair has a level, as in production."""

from __future__ import annotations

from decimal import Decimal

import factory

from inventory.models import ExpectedReceipt, Product, StockLevel, Warehouse


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"W{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Warehouse {o.code}")
    street = "Havenstraat"
    house_number = "1"
    postal_code = "3011 AA"
    city = "Rotterdam"
    country = "NL"
    priority = factory.Sequence(lambda n: 10 + n)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    list_price = Decimal("9.95")
    vat_category = "high"
    weight_grams = 250


class ExpectedReceiptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpectedReceipt

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    quantity = 10
    expected_date = factory.Faker("date_between", start_date="+1d", end_date="+20d")
    reference = factory.Sequence(lambda n: f"PO-{n:06d}")


def level(product: Product, warehouse: Warehouse) -> StockLevel:
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def stock(product: Product, warehouse: Warehouse, on_hand: int, *, reserved: int = 0, reorder_point: int = 0):
    """Give a level stock through the services, so its movements add up to on_hand."""
    from inventory.services import ReserveLine, stock_level_configure, stock_receive, stock_reserve

    if on_hand:
        stock_receive(product_id=product.pk, warehouse_id=warehouse.pk, quantity=on_hand, reference="test stock")
    if reserved:
        stock_reserve(lines=[ReserveLine(product.pk, reserved)], warehouse_ids=[warehouse.pk])
    if reorder_point:
        lv = level(product, warehouse)
        stock_level_configure(stock_level_id=lv.pk, reorder_point=reorder_point, reorder_quantity=reorder_point * 2)
    return level(product, warehouse)
