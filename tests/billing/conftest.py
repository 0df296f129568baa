from decimal import Decimal

import pytest


@pytest.fixture
def accountant(make_user):
    from oms.roles import Role

    return make_user(Role.ACCOUNTING)


@pytest.fixture
def no_delivery(monkeypatch):
    """Issue invoices without rendering and e-mailing their PDFs inline (tasks run eagerly in
    tests): for tests about numbers and amounts, where WeasyPrint would only cost time."""
    from billing.services import delivery

    monkeypatch.setattr(delivery, "queue_delivery", lambda *args, **kwargs: True)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test stores its PDFs in its own folder (numbers repeat across rolled-back tests)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def shop(db):
    """A small shop for the order integration: orders' own flat-rate quotes (4.95 shipping),
    one warehouse, a mug (8.26, 21%) and a book (20.00, 9%) in stock, a B2C customer with an
    address and a Dutch business on account (30 days, 5000.00 credit)."""
    from types import SimpleNamespace

    from django.test import override_settings

    from orders.quotes import clear_warehouse_cache
    from tests.factories.billing import b2b_customer, b2c_customer
    from tests.factories.inventory import ProductFactory, WarehouseFactory, stock

    clear_warehouse_cache()
    with override_settings(OMS_DELIVERY_QUOTE_BACKEND="orders.quotes.quote_delivery", OMS_FLAT_SHIPPING_AMOUNT="4.95"):
        ams = WarehouseFactory(code="AMS", priority=10)
        mug = ProductFactory(sku="MUG-RED", name="Mok rood", list_price=Decimal("8.26"), vat_category="high")
        book = ProductFactory(
            sku="BOOK-1", name="Kookboek", list_price=Decimal("20.00"), vat_category="low", barcode="8712345678906"
        )
        stock(mug, ams, 20)
        stock(book, ams, 10)
        yield SimpleNamespace(
            ams=ams,
            mug=mug,
            book=book,
            consumer=b2c_customer(name="Anna Smit", email="anna@example.nl"),
            business=b2b_customer(company_name="Bakkerij Brood B.V."),
        )
    clear_warehouse_cache()


@pytest.fixture
def fake_psp(settings):
    """A fake payment provider on 127.0.0.1, configured as the provider "mollie"."""
    from tests.billing.fake_psp import FakePsp

    psp = FakePsp().start()
    settings.OMS_PAYMENT_PROVIDERS = {"mollie": {"url": psp.url, "api_key": "test_key", "timeout": 2}}
    yield psp
    psp.stop()


@pytest.fixture
def fake_mollie(settings):
    """The fake Mollie as the payment-link provider: links on, its key, our public addresses."""
    from tests.billing.fake_psp import FakePsp

    psp = FakePsp(api_key="test_links0000000000000000000000").start()
    settings.OMS_PAYMENT_PROVIDERS = {"mollie": {"url": psp.url, "api_key": psp.api_key, "timeout": 2}}
    settings.OMS_PAYMENT_LINKS = True
    settings.OMS_SITE_URL = "https://oms.test"
    settings.OMS_PAYMENT_REDIRECT_URL = "https://shop.test/order/{number}/"
    yield psp
    psp.stop()
