"""product_upsert, warehouse_upsert and stock_level_configure."""

from datetime import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from inventory.models import Product, StockLevel, validate_ean13
from inventory.services import product_upsert, stock_level_configure, warehouse_upsert
from oms.errors import Conflict, NotFound, ValidationFailed
from tests.factories.inventory import ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def test_product_upsert_creates_then_updates_only_what_changed(make_user):
    WarehouseFactory(code="AMS")
    WarehouseFactory(code="RTM")
    user = make_user("warehouse")
    product, created = product_upsert(sku="MUG", name=" Mug ", list_price="4.5", vat_category="high", user=user)
    assert created and (product.name, product.list_price) == ("Mug", Decimal("4.50"))
    assert StockLevel.objects.filter(product=product).count() == 2
    stamp = product.updated_at
    same, created = product_upsert(sku="MUG", name="Mug", list_price=Decimal("4.50"), vat_category="high")
    assert not created and same.pk == product.pk and same.updated_at == stamp
    changed, _ = product_upsert(sku="MUG", name="Mug", list_price="5.00", vat_category="low", barcode="8712345678906")
    changed.refresh_from_db()
    assert (changed.list_price, changed.vat_category, changed.barcode) == (Decimal("5.00"), "low", "8712345678906")


@pytest.mark.parametrize(
    "change,field",
    [
        ({"sku": "a b"}, "sku"),
        ({"sku": ""}, "sku"),
        ({"name": ""}, "name"),
        ({"list_price": "-1"}, "list_price"),
        ({"list_price": "1.005"}, "list_price"),
        ({"list_price": 1.5}, "list_price"),
        ({"list_price": "NaN"}, "list_price"),
        ({"vat_category": "super"}, "vat_category"),
        ({"weight_grams": -1}, "weight_grams"),
        ({"barcode": "123"}, "barcode"),
        ({"barcode": "8712345678900"}, "barcode"),
    ],
)
def test_product_upsert_refuses_bad_values(change, field):
    values = {"sku": "MUG", "name": "Mug", "list_price": "1.00", "vat_category": "high"} | change
    with pytest.raises(ValidationFailed) as caught:
        product_upsert(**values)
    assert caught.value.field == field
    assert not Product.objects.exists()


def test_product_upsert_refuses_a_barcode_of_another_product():
    ProductFactory(sku="OTHER", barcode="8712345678906")
    with pytest.raises(Conflict) as caught:
        product_upsert(sku="MUG", name="Mug", list_price="1", vat_category="high", barcode="8712345678906")
    assert caught.value.code == "duplicate_barcode"


def test_warehouse_upsert_gives_every_product_a_level_and_goes_last():
    WarehouseFactory(code="AMS", priority=10)
    products = [ProductFactory() for _ in range(3)]
    warehouse, created = warehouse_upsert(
        code="rtm", name="Rotterdam", postal_code="3089jh", city="Rotterdam", cutoff_time="14:00"
    )
    assert created and (warehouse.code, warehouse.postal_code, warehouse.priority) == ("RTM", "3089 JH", 20)
    assert warehouse.cutoff_time == time(14, 0)
    assert StockLevel.objects.filter(warehouse=warehouse, product__in=products).count() == 3
    same, created = warehouse_upsert(code="RTM", name="Rotterdam Zuid", active=False)
    assert not created and (same.name, same.active, same.priority) == ("Rotterdam Zuid", False, 20)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"code": "A"}, "code"),
        ({"postal_code": "ABCD"}, "postal_code"),
        ({"country": "NLD"}, "country"),
        ({"cutoff_time": "3pm"}, "cutoff_time"),
    ],
)
def test_warehouse_upsert_refuses_bad_values(change, field):
    with pytest.raises(ValidationFailed) as caught:
        warehouse_upsert(**({"code": "AMS", "name": "Amsterdam"} | change))
    assert caught.value.field == field


def test_stock_level_configure():
    warehouse = WarehouseFactory()
    level = StockLevel.objects.get(product=ProductFactory(), warehouse=warehouse)
    updated = stock_level_configure(stock_level_id=level.pk, reorder_point=4, reorder_quantity=12)
    assert (updated.reorder_point, updated.reorder_quantity) == (4, 12)
    with pytest.raises(ValidationFailed):
        stock_level_configure(stock_level_id=level.pk, reorder_point=-1, reorder_quantity=0)
    with pytest.raises(NotFound):
        stock_level_configure(stock_level_id=0, reorder_point=1, reorder_quantity=1)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("8712345678906", True),
        ("4006381333931", True),
        ("8712345678900", False),  # wrong check digit
        ("036000291452", False),  # a valid UPC-A (GTIN-12), but the field holds EAN-13 only
        ("96385074", False),  # a valid EAN-8
        ("18712345678903", False),  # GTIN-14
        ("871234567890A", False),
    ],
)
def test_validate_ean13_is_python_stdnum_for_thirteen_digits(code, valid):
    if valid:
        validate_ean13(code)
    else:
        with pytest.raises(ValidationError):
            validate_ean13(code)


def test_product_upsert_gives_a_consumer_price_incl_vat_or_keeps_the_one_given():
    # issue 15: consumers are priced from a shelf price incl. VAT
    derived, _ = product_upsert(sku="MUG", name="Mug", list_price="8.26", vat_category="high")
    assert derived.consumer_price == Decimal("9.99")  # 8.26 + 21% = 9.9946
    book, _ = product_upsert(sku="BOOK", name="Book", list_price="20.00", vat_category="low")
    assert book.consumer_price == Decimal("21.80")
    given, _ = product_upsert(sku="MUG", name="Mug", list_price="8.26", vat_category="high", consumer_price="9.95")
    assert Product.objects.get(pk=given.pk).consumer_price == Decimal("9.95")
    with pytest.raises(ValidationFailed) as caught:
        product_upsert(sku="MUG", name="Mug", list_price="8.26", vat_category="high", consumer_price="-1")
    assert caught.value.field == "consumer_price"


def test_the_data_migration_derives_consumer_prices_of_existing_products():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("inventory.migrations.0007_product_consumer_price_from_list_price")
    old = ProductFactory(sku="OLD", list_price=Decimal("8.26"), vat_category="high", consumer_price=None)
    zero = ProductFactory(sku="ZERO", list_price=Decimal("3.00"), vat_category="zero", consumer_price=None)
    kept = ProductFactory(sku="KEPT", list_price=Decimal("8.26"), consumer_price=Decimal("9.95"))
    migration.derive(apps, None)
    prices = dict(Product.objects.filter(pk__in=[old.pk, zero.pk, kept.pk]).values_list("sku", "consumer_price"))
    assert prices == {"OLD": Decimal("9.99"), "ZERO": Decimal("3.00"), "KEPT": Decimal("9.95")}
