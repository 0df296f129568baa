"""Suppliers and supplier products: what the services accept and refuse."""

from decimal import Decimal

import pytest

from oms.errors import Conflict, MultipleErrors, ValidationFailed
from purchasing.models import Supplier, SupplierProduct
from purchasing.services import supplier_product_save, supplier_save
from tests.factories.inventory import ProductFactory
from tests.factories.purchasing import SupplierFactory

pytestmark = pytest.mark.django_db


def test_supplier_save_cleans_fields_and_reports_every_bad_one_at_once():
    with pytest.raises(MultipleErrors) as exc:
        supplier_save(user=None, name="", email="not-an-email", country="Netherlands", lead_time_days=400)
    assert sorted(e.field for e in exc.value.errors) == ["country", "email", "lead_time_days", "name"]
    supplier = supplier_save(
        user=None, name="  Zaanse Snoepfabriek ", email="Verkoop@Zaanse.Example", postal_code="1506ab", country="nl",
        vat_id="nl 0000.99998.b57", phone="+31 (0)75 123 45 67",
    )  # fmt: skip
    assert (supplier.name, supplier.email, supplier.postal_code, supplier.country, supplier.vat_id) == (
        "Zaanse Snoepfabriek",
        "verkoop@zaanse.example",
        "1506 AB",
        "NL",
        "NL000099998B57",
    )


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"postal_code": "12345"}, "postal_code", "invalid_postal_code"),
        ({"vat_id": "NL000099998B56"}, "vat_id", "invalid_vat_id"),
        ({"phone": "call me"}, "phone", "invalid_phone"),
        ({"payment_terms_days": "30"}, "payment_terms_days", "invalid_days"),
    ],
)
def test_supplier_save_refuses_bad_values(fields, field, code):
    with pytest.raises(ValidationFailed) as exc:
        supplier_save(user=None, name="X", country="NL", **fields)
    assert (exc.value.field, exc.value.code) == (field, code)


def test_supplier_save_keeps_non_eu_vat_ids_and_refuses_a_duplicate_name():
    supplier = supplier_save(user=None, name="Tokyo Traders", country="JP", vat_id="T1234567890123")
    assert supplier.vat_id == "T1234567890123"
    with pytest.raises(Conflict) as exc:
        supplier_save(user=None, name="Tokyo Traders")
    assert exc.value.code == "duplicate_supplier"
    updated = supplier_save(user=None, supplier_id=supplier.pk, lead_time_days=28)
    assert (updated.name, updated.lead_time_days) == ("Tokyo Traders", 28)
    assert Supplier.objects.count() == 1


def test_supplier_product_save_replaces_terms_and_keeps_one_preferred_supplier():
    product = ProductFactory()
    first, second = SupplierFactory(), SupplierFactory()
    supplier_product_save(supplier_id=first.pk, product_id=product.pk, unit_cost="2.00", preferred=True, user=None)
    offer = supplier_product_save(
        supplier_id=second.pk, product_id=product.pk, unit_cost=Decimal("1.955"), min_order_quantity=10,
        pack_size=5, lead_time_days=3, preferred=True, user=None,
    )  # fmt: skip
    assert (offer.unit_cost, offer.min_order_quantity, offer.pack_size, offer.lead_time_days) == (
        Decimal("1.96"),
        10,
        5,
        3,
    )
    assert list(SupplierProduct.objects.filter(preferred=True).values_list("supplier", flat=True)) == [second.pk]
    again = supplier_product_save(supplier_id=second.pk, product_id=product.pk, unit_cost="1.50", user=None)
    assert again.pk == offer.pk and again.preferred is False


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"unit_cost": "-1"}, "unit_cost"),
        ({"unit_cost": "abc"}, "unit_cost"),
        ({"unit_cost": "1", "pack_size": 0}, "pack_size"),
        ({"unit_cost": "1", "min_order_quantity": 1.5}, "min_order_quantity"),
        ({"unit_cost": "1", "lead_time_days": 999}, "lead_time_days"),
    ],
)
def test_supplier_product_save_refuses_bad_terms(fields, field):
    with pytest.raises(ValidationFailed) as exc:
        supplier_product_save(supplier_id=SupplierFactory().pk, product_id=ProductFactory().pk, user=None, **fields)
    assert exc.value.field == field
