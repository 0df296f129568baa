"""Fixtures of the fulfilment tests: a warehouse with stock, a customer, an external carrier whose
API is a fake server on 127.0.0.1, an own fleet for the Utrecht area, and helpers that pack."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal

import pytest

from oms.roles import Role
from shipping.models import Carrier, CarrierKind
from tests.factories.customers import AddressFactory, CustomerFactory
from tests.factories.inventory import ProductFactory, WarehouseFactory, stock
from tests.factories.shipping import PostcodeRangeFactory, RateFactory, ServiceLevelFactory
from tests.shipping.fake_apis import FakePostNL, FakeSendcloud
from tests.shipping.fake_carrier import FakeCarrier

WEBHOOK_SECRET = "whsec-test-0123456789"


@pytest.fixture
def carrier_server(settings, monkeypatch):
    # the fake carrier is plain http on 127.0.0.1, which only this setting allows (also for a
    # worker process started by the test: it reads the environment)
    settings.OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS = True
    monkeypatch.setenv("OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS", "1")
    server = FakeCarrier().start()
    yield server
    server.stop()


@pytest.fixture
def fast_carrier(settings):
    """Short time-outs and back-off, so that failing tries are quick."""
    settings.OMS_CARRIER_TIMEOUT_SECONDS = 0.5
    settings.OMS_CARRIER_RETRY_SECONDS = 0.01
    settings.OMS_CARRIER_HANDOFF_ATTEMPTS = 4
    return settings


@pytest.fixture
def parcel_carrier(db, carrier_server, fast_carrier):
    """PakketPost: external, its API the fake server; 6.95 up to 30 kg anywhere in NL."""
    carrier = Carrier.objects.create(
        code="pakketpost",
        name="PakketPost",
        kind=CarrierKind.EXTERNAL,
        api_endpoint=carrier_server.url,
        api_key="key-123",
        webhook_secret=WEBHOOK_SECRET,
        tracking_url_template="https://track.example/{tracking_number}?pc={postal_code}",
    )
    service = ServiceLevelFactory(carrier=carrier, code="standard", name="Standard", transit_days=1)
    RateFactory(service=service, zone="nl", max_weight_grams=30_000, price=Decimal("6.95"))
    return carrier


# --- PostNL and Sendcloud, each against its fake API (tests/shipping/fake_apis.py) -----------------

POSTNL_OPTIONS = {"customer_code": "DEVC", "customer_number": "11223344", "collection_location": "123456"}
SENDCLOUD_OPTIONS = {"shipping_methods": {"standard": 8}}


def _with_service(carrier: Carrier) -> Carrier:
    service = ServiceLevelFactory(carrier=carrier, code="standard", name="Standard", transit_days=1)
    RateFactory(service=service, zone="nl", max_weight_grams=30_000, price=Decimal("6.95"))
    return carrier


@pytest.fixture
def local_carriers(settings, monkeypatch, fast_carrier):
    settings.OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS = True
    monkeypatch.setenv("OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS", "1")
    return settings


@pytest.fixture
def postnl_server(local_carriers):
    server = FakePostNL(slow_seconds=1.0).start()
    yield server
    server.stop()


@pytest.fixture
def sendcloud_server(local_carriers):
    server = FakeSendcloud(slow_seconds=1.0).start()
    local_carriers.OMS_SENDCLOUD_SERVICE_POINTS_URL = server.url
    yield server
    server.stop()


@pytest.fixture
def postnl(db, postnl_server):
    return _with_service(Carrier.objects.create(
        code="postnl", name="PostNL", adapter="postnl", api_endpoint=postnl_server.url,
        api_key=FakePostNL.api_key, options=POSTNL_OPTIONS,
        tracking_url_template="https://jouw.postnl.nl/track-and-trace/{tracking_number}-{country}-{postal_code}",
    ))  # fmt: skip


@pytest.fixture
def sendcloud(db, sendcloud_server):
    return _with_service(Carrier.objects.create(
        code="sendcloud", name="Sendcloud", adapter="sendcloud", api_endpoint=sendcloud_server.url,
        api_key=FakeSendcloud.public_key, api_secret=FakeSendcloud.secret_key, options=SENDCLOUD_OPTIONS,
    ))  # fmt: skip


@pytest.fixture
def own_fleet(db):
    """Our own van for 3500-3599 (Utrecht), dearer than the parcel carrier so only chosen on purpose."""
    carrier = Carrier.objects.create(code="own-van", name="Own van", kind=CarrierKind.OWN_FLEET)
    PostcodeRangeFactory(carrier=carrier, first=3500, last=3599)
    service = ServiceLevelFactory(carrier=carrier, code="van", name="Next-day van", transit_days=1)
    RateFactory(service=service, zone="nl", max_weight_grams=500_000, price=Decimal("9.95"))
    return service


@pytest.fixture
def ams(db):
    return WarehouseFactory(code="AMS", name="Amsterdam", postal_code="1011 AB", city="Amsterdam", priority=1)


@pytest.fixture
def mug(ams):
    """MUG-RED with a barcode, 500 g, 10 in Amsterdam."""
    product = ProductFactory(sku="MUG-RED", name="Red mug", barcode="8712345678906", weight_grams=500,
                             list_price=Decimal("8.26"))  # fmt: skip
    stock(product, ams, 10)
    return product


@pytest.fixture
def plate(ams):
    """PLATE-1, 800 g, 5 in Amsterdam."""
    product = ProductFactory(sku="PLATE-1", name="Plate", weight_grams=800, list_price=Decimal("12.00"))
    stock(product, ams, 5)
    return product


@pytest.fixture
def customer(db):
    # pays by bank transfer: picked unpaid (iDEAL orders wait for their payment, issue 15)
    customer = CustomerFactory(email="jan@example.nl", name="Jan de Vries", preferred_payment_method="bank_transfer")
    AddressFactory(customer=customer)
    return customer


@pytest.fixture
def packer(make_user):
    return make_user(Role.WAREHOUSE)


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook(client, carrier_code: str, payload, *, secret: str = WEBHOOK_SECRET):
    body = json.dumps(payload).encode()
    return client.post(
        f"/webhooks/carriers/{carrier_code}/",
        data=body,
        content_type="application/json",
        HTTP_X_CARRIER_SIGNATURE=sign(body, secret),
    )


# --- the customer's delivery choice (test_delivery_choice*.py) -------------------------------------

PICKUP_METHOD_ID = 9  # the Sendcloud shipping method of the "pickup" service (carrier options)


@pytest.fixture
def sendcloud_pickup(sendcloud):
    """Sendcloud's home delivery (standard, 6.95, method 8) and its service-point delivery
    (pickup, 3.60, method 9)."""
    service = ServiceLevelFactory(carrier=sendcloud, code="pickup", name="Service point", transit_days=2)
    service.to_pickup_point = True
    service.save()
    RateFactory(service=service, zone="nl", max_weight_grams=30_000, price=Decimal("3.60"))
    sendcloud.options = {"shipping_methods": {"standard": 8, "pickup": PICKUP_METHOD_ID}}
    sendcloud.save()
    return service
