from decimal import Decimal

import pytest
from django.test import override_settings

from oms.roles import Role
from tests.factories.customers import AddressFactory, CustomerFactory
from tests.factories.inventory import ProductFactory, WarehouseFactory, stock


@pytest.fixture(autouse=True)
def default_quotes():
    """The orders' own delivery-quote backend (flat 4.95), whatever shipping provides; its
    warehouse cache emptied, because every test makes its own warehouses."""
    from orders.quotes import clear_warehouse_cache

    clear_warehouse_cache()
    with override_settings(OMS_DELIVERY_QUOTE_BACKEND="orders.quotes.quote_delivery", OMS_FLAT_SHIPPING_AMOUNT="4.95"):
        yield
    clear_warehouse_cache()


@pytest.fixture
def ams(db):
    return WarehouseFactory(code="AMS", priority=10)


@pytest.fixture
def mug(ams):
    """MUG-RED: 8.26 excl. VAT, high rate, 10 in Amsterdam."""
    product = ProductFactory(sku="MUG-RED", name="Red mug", list_price=Decimal("8.26"), vat_category="high")
    stock(product, ams, 10)
    return product


@pytest.fixture
def book(ams):
    """BOOK-1: 20.00 excl. VAT, low rate, 5 in Amsterdam."""
    product = ProductFactory(sku="BOOK-1", name="A book", list_price=Decimal("20.00"), vat_category="low")
    stock(product, ams, 5)
    return product


@pytest.fixture
def customer(db):
    customer = CustomerFactory()
    AddressFactory(customer=customer, kind="shipping", house_number="7", postal_code="3511 AB")
    AddressFactory(
        customer=customer, kind="billing", street="Damrak", house_number="1", postal_code="1012 LG", city="Amsterdam"
    )
    return customer


@pytest.fixture
def b2b(db):
    """A Dutch business on account: 5000.00 credit, NL VAT id."""
    customer = CustomerFactory(b2b=True)
    AddressFactory(customer=customer, kind="shipping")
    return customer


@pytest.fixture
def agent(make_user):
    return make_user(Role.CUSTOMER_SERVICE)
