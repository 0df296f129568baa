"""The default delivery-quote backend, and how orders reach whichever backend is configured.

``settings.OMS_DELIVERY_QUOTE_BACKEND`` names shipping's backend (``oms.delivery``). Until the
shipping app provides it (the module cannot be imported), orders use ``quote_delivery`` below:

- a line part that is reserved ships from its warehouse today when the order comes in on a
  working day before the warehouse's cut-off, else on the next working day;
- a backordered part ships on the working day after the next expected receipt of the product
  (inventory's expected receipts), or ``OMS_UNKNOWN_LEAD_DAYS`` working days from now when
  nothing is expected;
- delivery is one working day after shipping; the charge is the flat
  ``settings.OMS_FLAT_SHIPPING_AMOUNT`` (excluding VAT).

Reads only: the active warehouses (cached for a minute per process), the next expected
receipts when something must wait, current stock when the allocations are not known yet (a
preview). Locks nothing, publishes nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from inventory import selectors as inventory_selectors
from oms.delivery import UNKNOWN_SHIPPING_METHOD, DeliveryQuote, LineQuote, QuoteLine, QuoteRequest
from oms.errors import ValidationFailed
from oms.money import quantize

logger = logging.getLogger(__name__)
DEFAULT_BACKEND = "orders.quotes.quote_delivery"


def delivery_quote(request: QuoteRequest) -> DeliveryQuote:
    """Quote through the configured backend, or the default one while shipping's is absent."""
    return _backend(settings.OMS_DELIVERY_QUOTE_BACKEND or DEFAULT_BACKEND)(request)


def service_options(request: QuoteRequest) -> tuple[DeliveryQuote, ...]:
    """Every service that can deliver ``request``, cheapest first: ``delivery_options`` of the
    configured backend's module (``oms.delivery``; this module's own for the default backend)."""
    path = settings.OMS_DELIVERY_QUOTE_BACKEND or DEFAULT_BACKEND
    return _backend(f"{path.rpartition('.')[0]}.delivery_options", f"{__name__}.delivery_options")(request)


def delivery_quotes(requests: list[QuoteRequest]) -> list[DeliveryQuote]:
    """Quotes for several orders at once: the backend's ``<name>_many`` when it has one (it
    reads what the orders share once), else one quote per request."""
    path = settings.OMS_DELIVERY_QUOTE_BACKEND or DEFAULT_BACKEND
    many = _many_backend(path)
    if many is not None:
        return many(requests)
    backend = _backend(path)
    return [backend(request) for request in requests]


@lru_cache(maxsize=8)
def _many_backend(path: str):
    try:
        return import_string(f"{path}_many")
    except ImportError:
        return None


@lru_cache(maxsize=8)
def _backend(path: str, default: str = DEFAULT_BACKEND):
    # Cached per path: a failed import is not cached by Python and would search the disk on
    # every order.
    try:
        return import_string(path)
    except ImportError:
        logger.warning("delivery quote backend %s not available; using %s", path, default)
        return import_string(default)


# --- the default backend --------------------------------------------------------------------------


# Active warehouses change a few times a year; reading them once a minute per process saves a
# query on every order (as oms.money does for VAT rates).
_WAREHOUSES_SECONDS = 60
_warehouses_cache: dict = {"at": 0.0, "rows": None}


def active_warehouses() -> dict:
    now = time.monotonic()
    if _warehouses_cache["rows"] is None or now - _warehouses_cache["at"] > _WAREHOUSES_SECONDS:
        _warehouses_cache["rows"] = {w.pk: w for w in inventory_selectors.warehouses_active()}
        _warehouses_cache["at"] = now
    return _warehouses_cache["rows"]


def clear_warehouse_cache() -> None:
    _warehouses_cache["rows"] = None


FLAT_CARRIER, FLAT_SERVICE = "flat", "standard"


def delivery_options(request: QuoteRequest) -> tuple[DeliveryQuote, ...]:
    """The default backend's one service."""
    return (quote_delivery(request),)


def quote_delivery(request: QuoteRequest) -> DeliveryQuote:
    if request.service_code and (request.carrier_code, request.service_code) != (FLAT_CARRIER, FLAT_SERVICE):
        raise ValidationFailed(
            f"No service {request.carrier_code}:{request.service_code}; this shop ships {FLAT_CARRIER}:{FLAT_SERVICE}.",
            code=UNKNOWN_SHIPPING_METHOD,
            field="shipping_method",
        )
    now = timezone.localtime(request.now) if request.now else timezone.localtime()
    warehouses = active_warehouses()
    plans = _plans(request.lines, warehouses)
    short = [line.product_id for line, (_, waiting) in zip(request.lines, plans, strict=True) if waiting]
    receipts = inventory_selectors.next_expected_receipts(short, after=now.date()) if short else {}
    line_quotes = [
        _line_quote(index, line, allocations, waiting, warehouses, receipts, now)
        for index, (line, (allocations, waiting)) in enumerate(zip(request.lines, plans, strict=True))
    ]
    ship_dates = [q.ship_date for q in line_quotes] or [_ship_day(now, settings.OMS_DEFAULT_CUTOFF)]
    first_ship = min(ship_dates)
    last_ship = max(ship_dates)
    ship = last_ship if request.ship_complete else first_ship
    return DeliveryQuote(
        carrier_code=FLAT_CARRIER,
        carrier_name="Standard delivery",
        service_code=FLAT_SERVICE,
        shipping_net=quantize(settings.OMS_FLAT_SHIPPING_AMOUNT),
        ship_date=ship,
        delivery_date=next_working_day(last_ship),
        first_delivery_date=next_working_day(last_ship if request.ship_complete else first_ship),
        lines=tuple(line_quotes),
    )


def _plans(lines, warehouses) -> list[tuple[tuple[tuple[int, int], ...], int]]:
    """Per line: the (warehouse, quantity) parts in stock and the quantity that must wait."""
    unknown = [line.product_id for line in lines if line.allocations is None]
    stock = inventory_selectors.stock_by_product(unknown) if unknown else {}
    left = {(p, s.warehouse_id): s.available for p, levels in stock.items() for s in levels}
    plans = []
    for line in lines:
        if line.allocations is not None:
            parts = tuple(line.allocations)
        else:
            parts = _plan_from_stock(line, stock.get(line.product_id, []), left)
        plans.append((parts, max(line.quantity - sum(q for _, q in parts), 0)))
    return plans


def _plan_from_stock(line: QuoteLine, levels, left: dict) -> tuple[tuple[int, int], ...]:
    wanted, parts = line.quantity, []
    for level in levels:
        take = min(wanted, max(left[(line.product_id, level.warehouse_id)], 0))
        if take:
            left[(line.product_id, level.warehouse_id)] -= take
            parts.append((level.warehouse_id, take))
            wanted -= take
    return tuple(parts)


def _line_quote(index, line, allocations, waiting, warehouses, receipts, now: datetime) -> LineQuote:
    dates = [_ship_day(now, _cutoff(warehouses.get(w))) for w, _ in allocations]
    expected = None
    if waiting:
        receipt = receipts.get(line.product_id)
        expected = receipt.expected_date if receipt else None
        arrival = expected or add_working_days(now.date(), getattr(settings, "OMS_UNKNOWN_LEAD_DAYS", 10))
        dates.append(next_working_day(arrival))
    ship = max(dates)
    return LineQuote(
        line_index=index,
        quantity_in_stock=line.quantity - waiting,
        quantity_backordered=waiting,
        ship_date=ship,
        delivery_date=next_working_day(ship),
        expected_receipt_date=expected,
    )


def _cutoff(warehouse):
    return warehouse.effective_cutoff if warehouse is not None else settings.OMS_DEFAULT_CUTOFF


def _ship_day(now: datetime, cutoff) -> date:
    today = now.date()
    return today if is_working_day(today) and now.time() < cutoff else next_working_day(today)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    for _ in range(max(count, 0)):
        day = next_working_day(day)
    return day
