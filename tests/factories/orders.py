"""Orders for tests. ``OrderFactory`` writes a row straight to the table in any status (no
lines, no stock: for transition and list tests); ``place`` goes through the real service."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from orders.models import Channel, Order, OrderStatus
from tests.factories.customers import CustomerFactory


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    channel = Channel.WEB
    customer = factory.SubFactory(CustomerFactory)
    status = OrderStatus.ALLOCATED
    payment_method = "ideal"
    shipping_address = factory.LazyFunction(
        lambda: {
            "street": "Oudegracht",
            "house_number": "12",
            "house_number_addition": "",
            "postal_code": "3511 AB",
            "city": "Utrecht",
            "country": "NL",
        }
    )
    billing_address = factory.SelfAttribute("shipping_address")
    net_amount = Decimal("10.00")
    shipping_amount = Decimal("0.00")
    vat_amount = Decimal("2.10")
    gross_amount = Decimal("12.10")
    placed_at = factory.LazyFunction(timezone.now)


ADDRESS = {"street": "Oudegracht", "house_number": "12A", "postal_code": "3511 AB", "city": "Utrecht", "country": "NL"}


def place(customer, *lines, user=None, **kwargs):
    """``place(customer, ("SKU", 2), ...)``: order_place with an address and the web channel."""
    from orders.services import order_place

    kwargs.setdefault("channel", "web")
    kwargs.setdefault("shipping_address", ADDRESS)
    return order_place(
        customer=customer,
        lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        user=user,
        **kwargs,
    )
