"""The delivery-quote seam (ARCHITECTURE "Two seams").

Order entry must show the shipping cost and the promised delivery date, which shipping knows.
``orders`` (and ``inventory``'s availability API) call ``quote_delivery(request)`` through the
backend named in ``settings.OMS_DELIVERY_QUOTE_BACKEND``, loaded with ``import_string`` the way
Django loads e-mail backends, so no lower app imports ``shipping``. The request and answer types
live here, in layer 0, so both sides share them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string

from oms.money import ZERO


@dataclass(frozen=True)
class QuoteLine:
    product_id: int
    quantity: int
    weight_grams: int = 0
    # After placement the allocation is known: (warehouse_id, quantity) pairs. Before it (a
    # preview while the order is being entered) leave None and the backend plans from stock.
    allocations: tuple[tuple[int, int], ...] | None = None


@dataclass(frozen=True)
class QuoteRequest:
    lines: tuple[QuoteLine, ...]
    country: str = "NL"
    postal_code: str = ""
    order_net: Decimal = ZERO  # goods excluding VAT, for free-shipping thresholds
    ship_complete: bool = False  # False: ship what is in stock now, the rest as it arrives
    now: datetime | None = None  # aware; None means timezone.now()
    warehouse_ids: tuple[int, ...] | None = None  # preference order; None: all active by priority
    # The customer's chosen service (``delivery_options``); empty: the backend picks the cheapest.
    carrier_code: str = ""
    service_code: str = ""


@dataclass(frozen=True)
class LineQuote:
    line_index: int
    quantity_in_stock: int
    quantity_backordered: int
    ship_date: date
    delivery_date: date
    expected_receipt_date: date | None = None  # for the backordered part, when known


@dataclass(frozen=True)
class DeliveryQuote:
    carrier_code: str
    carrier_name: str
    service_code: str
    shipping_net: Decimal  # shipping charge excluding VAT (taxed at the high rate)
    ship_date: date  # first shipment leaves the warehouse
    delivery_date: date  # everything has arrived: the promised delivery date
    first_delivery_date: date  # the first parcel arrives (equals delivery_date when ship-complete)
    lines: tuple[LineQuote, ...] = field(default_factory=tuple)
    service_name: str = ""
    to_pickup_point: bool = False  # the service delivers to a pick-up point chosen by the customer

    @property
    def shipping_method(self) -> str:
        """How the API names this service: ``<carrier code>:<service code>``."""
        return f"{self.carrier_code}:{self.service_code}"


# A chosen service the backend does not know (400 ``unknown_shipping_method``), or one that does
# not take this order to this address (400 ``shipping_method_unavailable``); field ``shipping_method``.
UNKNOWN_SHIPPING_METHOD = "unknown_shipping_method"
SHIPPING_METHOD_UNAVAILABLE = "shipping_method_unavailable"
CHOICE_ERRORS = frozenset({UNKNOWN_SHIPPING_METHOD, SHIPPING_METHOD_UNAVAILABLE})


def split_shipping_method(value: str) -> tuple[str, str]:
    """``"sendcloud:pickup"`` -> ``("sendcloud", "pickup")``; ``("", "")`` when not of that shape."""
    carrier, sep, service = (value or "").strip().partition(":")
    if not sep or not carrier or not service or ":" in service:
        return "", ""
    return carrier.strip(), service.strip()


def quote_delivery(request: QuoteRequest) -> DeliveryQuote:
    """Ask the configured backend for a quote (with ``request.service_code``: for that service).

    The backend's module also offers ``delivery_options(request) -> tuple[DeliveryQuote, ...]``:
    one quote per service that can deliver the order, cheapest first."""
    return import_string(settings.OMS_DELIVERY_QUOTE_BACKEND)(request)
