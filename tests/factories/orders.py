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
    # a consumer's order is priced incl. VAT (orders.pricing)
    prices_include_vat = factory.LazyAttribute(lambda o: not o.customer.is_b2b and o.channel != Channel.B2B)


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


def draft_with_line(customer=None, *, sku: str = "DRAFT-1", quantity: int = 1, user=None):
    """A phone-screen draft with one line (through the draft services, quoted by orders' own
    delivery-quote backend: the test may have no carriers); returns the line."""
    from django.test import override_settings

    from orders.services import order_draft_add_line, order_draft_create
    from tests.factories.inventory import ProductFactory

    ProductFactory(sku=sku)
    draft = order_draft_create(channel="phone", customer=customer or CustomerFactory(), user=user)
    with override_settings(OMS_DELIVERY_QUOTE_BACKEND="orders.quotes.quote_delivery"):
        return order_draft_add_line(order=draft, sku=sku, quantity=quantity, user=user)
