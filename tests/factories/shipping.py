"""Factories for shipping: carriers, service levels, rates, free-shipping thresholds, holidays; and
shipments, vehicles, trips, pick lists and returns written straight to their tables (for lists and
the permission matrix; the flow itself goes through the services, see ``tests/shipping/flow.py``)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory

from shipping.models import (
    Carrier,
    CarrierKind,
    DeliveryTrip,
    FreeShipping,
    Holiday,
    PickList,
    PostcodeRange,
    Rate,
    Return,
    ReturnReason,
    ServiceLevel,
    Shipment,
    ShipmentStatus,
    TripStop,
    Vehicle,
)
from shipping.zones import Zone


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"carrier-{n}")
    name = factory.Sequence(lambda n: f"Carrier {n}")
    kind = CarrierKind.EXTERNAL
    tracking_url_template = "https://track.example/{tracking_number}?pc={postal_code}"


class OwnFleetFactory(CarrierFactory):
    class Meta:
        skip_postgeneration_save = True

    code = "own-fleet"
    name = "Own van"
    kind = CarrierKind.OWN_FLEET
    tracking_url_template = ""
    postcode_range = factory.RelatedFactory(
        "tests.factories.shipping.PostcodeRangeFactory", factory_related_name="carrier", first=3500, last=3599
    )


class PostcodeRangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostcodeRange

    carrier = factory.SubFactory(CarrierFactory)
    country = "NL"
    first = 1000
    last = 1299


class ServiceLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceLevel
        django_get_or_create = ("carrier", "code")

    carrier = factory.SubFactory(CarrierFactory)
    code = "standard"
    name = "Standard"
    transit_days = 1


class RateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rate

    service = factory.SubFactory(ServiceLevelFactory)
    zone = Zone.NL
    max_weight_grams = 10_000
    price = Decimal("6.95")


class FreeShippingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FreeShipping
        django_get_or_create = ("zone",)

    zone = Zone.NL
    min_order_net = Decimal("50.00")


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday
        django_get_or_create = ("country", "date")

    country = "NL"
    date = factory.Sequence(lambda n: date(2030, 1, 2) + timedelta(days=n))
    name = "Closed"


def parcel_service(code: str = "parcel", *, transit_days: int = 1, rates=None, **carrier) -> ServiceLevel:
    """A carrier with one service and its brackets: ``rates={"nl": [(2000, "4.10"), ...]}``."""
    service = ServiceLevelFactory(carrier=CarrierFactory(code=code, **carrier), transit_days=transit_days)
    for zone, brackets in (rates if rates is not None else {Zone.NL: [(2000, "4.10"), (10000, "6.95")]}).items():
        for grams, price in brackets:
            RateFactory(service=service, zone=zone, max_weight_grams=grams, price=Decimal(price))
    return service


# --- fulfilment ----------------------------------------------------------------------------------


class ShipmentFactory(factory.django.DjangoModelFactory):
    """A packed shipment of an order (no lines; for lists and permission tests)."""

    class Meta:
        model = Shipment

    number = factory.Sequence(lambda n: f"SH-9{n:05d}")
    order = factory.SubFactory("tests.factories.orders.OrderFactory")
    customer = factory.SelfAttribute("order.customer")
    warehouse = factory.SubFactory("tests.factories.inventory.WarehouseFactory")
    service = factory.SubFactory(ServiceLevelFactory)
    carrier = factory.SelfAttribute("service.carrier")
    status = ShipmentStatus.PACKED
    weight_grams = 1000
    address = factory.LazyFunction(
        lambda: {
            "name": "Jan",
            "street": "Oudegracht",
            "house_number": "12",
            "postal_code": "3511 AB",
            "city": "Utrecht",
            "country": "NL",
        }  # fmt: skip
    )


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle
        django_get_or_create = ("code",)

    carrier = factory.SubFactory(OwnFleetFactory)
    warehouse = factory.SubFactory("tests.factories.inventory.WarehouseFactory")
    code = factory.Sequence(lambda n: f"van-{n}")
    name = factory.Sequence(lambda n: f"Van {n}")
    capacity_grams = 500_000


class TripFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryTrip

    number = factory.Sequence(lambda n: f"TR-9{n:05d}")
    vehicle = factory.SubFactory(VehicleFactory)
    warehouse = factory.SelfAttribute("vehicle.warehouse")
    date = factory.LazyFunction(date.today)
    capacity_grams = factory.SelfAttribute("vehicle.capacity_grams")


class TripStopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TripStop

    trip = factory.SubFactory(TripFactory)
    shipment = factory.SubFactory(ShipmentFactory)
    sequence = 1


class PickListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PickList

    number = factory.Sequence(lambda n: f"PL-9{n:05d}")
    warehouse = factory.SubFactory("tests.factories.inventory.WarehouseFactory")


class ReturnFactory(factory.django.DjangoModelFactory):
    """A registered return of an order (no lines)."""

    class Meta:
        model = Return

    number = factory.Sequence(lambda n: f"RT-9{n:05d}")
    order = factory.SubFactory("tests.factories.orders.OrderFactory")
    customer = factory.SelfAttribute("order.customer")
    reason = ReturnReason.DAMAGED
