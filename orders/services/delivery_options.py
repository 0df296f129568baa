"""The services that can deliver an order, each priced and dated as the order would be charged
(``GET /api/v1/delivery-options/`` and the phone screen's delivery step).

Reads only: the products, the customer (API, when a number is given), the stock and the shipping
reference data (cached per process: one snapshot for all options, ``shipping.quotes``). Each
option's price is the quote's charge for that service (free-shipping thresholds applied),
excluding VAT and with the order's shipping VAT added; its dates are the promise that placing
the order with that ``shipping_method`` stores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from customers.models import Customer, CustomerKind
from oms.delivery import DeliveryQuote
from oms.errors import OmsError
from oms.money import gross_of
from oms.sql import cached_related
from orders import pricing
from orders.models import Channel, Order, OrderLine
from orders.quotes import service_options
from orders.services._common import Collector
from orders.services.placement import (
    clean_lines,
    new_line,
    price_lines,
    quote_request,
    resolve_customer,
    resolve_products,
)


@dataclass(frozen=True)
class DeliveryOffer:
    quote: DeliveryQuote
    price_excl_vat: Decimal
    price_incl_vat: Decimal
    prices_include_vat: bool  # the order's basis: which of the two its totals show

    @property
    def shipping_method(self) -> str:
        return self.quote.shipping_method

    @property
    def name(self) -> str:
        return f"{self.quote.carrier_name} {self.quote.service_name}".strip()

    @property
    def price(self) -> Decimal:
        """The price in the order's basis (what the screen shows beside the goods)."""
        return self.price_incl_vat if self.prices_include_vat else self.price_excl_vat

    def as_json(self) -> dict:
        quote = self.quote
        return {
            "shipping_method": self.shipping_method,
            "carrier": quote.carrier_code,
            "carrier_name": quote.carrier_name,
            "service": quote.service_code,
            "name": self.name,
            "price_excl_vat": f"{self.price_excl_vat:.2f}",
            "price_incl_vat": f"{self.price_incl_vat:.2f}",
            "promised_delivery_date": quote.delivery_date.isoformat(),
            "first_delivery_date": quote.first_delivery_date.isoformat(),
            "to_pickup_point": quote.to_pickup_point,
        }


def offers_for(order: Order, lines: Sequence[OrderLine], products: Mapping, now: datetime) -> list[DeliveryOffer]:
    """The offers for an order in memory or a draft, its lines priced (``price_lines``) or not."""
    if order.channel == Channel.STORE or not lines:
        return []
    rates = price_lines(order, list(lines), now)
    shipping_rate = pricing.rate_for(pricing.SHIPPING_VAT_CATEGORY, rates, order.vat_regime)
    try:
        quotes = service_options(quote_request(order, lines, products, None, now, chosen=False))
    except OmsError as exc:
        if exc.field in ("country", "postal_code"):
            exc.field = f"shipping_address.{exc.field}"
        raise
    return [
        DeliveryOffer(q, q.shipping_net, gross_of(q.shipping_net, shipping_rate), order.prices_include_vat)
        for q in quotes
    ]


def draft_offers(order: Order) -> list[DeliveryOffer]:
    """The offers for a draft on the phone screen (its lines as entered, stock as it is now):
    the lines ``order`` carries (``selectors.draft_get``), else read. The quote backend reads
    the weights it needs (as ``drafts.refresh_draft``)."""
    lines = cached_related(order, "lines")
    if lines is None:
        lines = list(OrderLine.objects.filter(order=order).order_by("line_no"))
    if not lines or not order.shipping_address:
        return []
    return offers_for(order, lines, {}, timezone.now())


def delivery_offers(
    *,
    lines: Sequence[Mapping],
    country: str,
    postal_code: str,
    customer_number: str = "",
    channel: str = Channel.WEB,
    ship_complete: bool = False,
    user=None,
) -> list[DeliveryOffer]:
    """The offers for lines (``{"sku", "quantity"}``) to an address (API). Without a customer
    number the order is priced as a consumer's on ``channel``. Raises ``ValidationFailed`` with
    the placement's field paths (``lines.0.sku`` ``unknown_sku``, ``customer.number`` ...)."""
    errors = Collector()
    items = clean_lines(list(lines), errors)
    errors.raise_if_any()
    products = resolve_products(items, errors)
    errors.raise_if_any()
    customer = (
        resolve_customer({"number": customer_number}, user) if customer_number else Customer(kind=CustomerKind.B2C)
    )
    order = Order(
        channel=channel,
        customer=customer,
        shipping_address={"country": country, "postal_code": postal_code},
        ship_complete=ship_complete,
        prices_include_vat=pricing.prices_include_vat(is_b2b=customer.is_b2b, channel=channel),
    )
    order_lines = [new_line(order, number, item, item.product) for number, item in enumerate(items, start=1)]
    return offers_for(order, order_lines, products, timezone.now())
