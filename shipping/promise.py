"""The delivery promise as pure functions over plain data (no database, no clock).

``build_quote(request, data)`` answers a ``QuoteRequest`` from a ``PromiseData`` snapshot: the
warehouses with their cut-offs, stock available per warehouse, the next expected receipts, the
services that could carry the parcel with their rates for the destination zone, the holidays and
the free-shipping thresholds. ``shipping.quotes.quote_delivery`` loads that snapshot from the
database and calls it; tests call it directly with hand-made data.

The rules, in the order they apply:

1. Carrier and service: the customer's chosen one (``QuoteRequest.service_code``) when it serves
   the address at the weight, else the cheapest service that serves the destination zone (and,
   for one with postcode areas such as the own fleet, the postcode) at the order's total weight,
   leaving out services to pick-up points (they need the customer's choice of a point); ties go
   to the faster service. Shipping is free when the goods' net reaches the zone's threshold and that
   service takes part in free shipping (``ServiceOption.free_shipping``: parcels do, pallet
   freight does not, whatever the order's weight picks).
2. Sources per line: the given allocations, else stock taken warehouse by warehouse in preference
   order. What is short is backordered: first against the product's next expected receipt, the
   rest with no known date.
3. Ship date per part: in stock, today when today is a working day in the warehouse's country and
   it is before the warehouse's cut-off, else the next working day. Backordered, the expected
   receipt date plus the handling days (working days), or the unknown lead time when no receipt is
   expected. Ship-complete holds every part until the latest of these dates.
4. Delivery date per part: the ship date plus the service's transit days, counting only days that
   are working days in the warehouse's country and in the destination country.

A line's dates are those of its last unit; the order's ``ship_date`` and ``first_delivery_date``
are the earliest part's, its ``delivery_date`` the latest part's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone

from oms.delivery import (
    SHIPPING_METHOD_UNAVAILABLE,
    UNKNOWN_SHIPPING_METHOD,
    DeliveryQuote,
    LineQuote,
    QuoteLine,
    QuoteRequest,
)
from oms.errors import Conflict, ValidationFailed
from oms.money import ZERO, quantize
from shipping import workdays
from shipping.zones import postcode_number, zone_for

DEFAULT_HANDLING_DAYS = 1  # a received delivery is put away and can leave the next working day
DEFAULT_UNKNOWN_LEAD_DAYS = 10  # backordered with nothing on order: a cautious two weeks
DEFAULT_CUTOFF = time(15, 0)


class ShippingUnavailable(Conflict):
    code = "shipping_unavailable"
    title = "No carrier delivers to this address at this weight."


@dataclass(frozen=True)
class WarehouseInfo:
    id: int
    code: str
    country: str
    cutoff: time


@dataclass(frozen=True)
class Receipt:
    expected_date: date
    quantity: int
    warehouse_id: int


@dataclass(frozen=True)
class Bracket:
    max_weight_grams: int
    price: Decimal


@dataclass(frozen=True)
class PostcodeArea:
    country: str
    first: int
    last: int


@dataclass(frozen=True)
class ServiceOption:
    carrier_code: str
    carrier_name: str
    service_code: str
    transit_days: int
    rates: Mapping[str, tuple[Bracket, ...]]  # zone -> weight brackets
    areas: tuple[PostcodeArea, ...] = ()  # empty: the whole of every zone it has rates for
    local_only: bool = False  # the own fleet: only inside ``areas``, nowhere when it has none
    service_id: int | None = None
    free_shipping: bool = True  # the zone's free-shipping threshold applies to this service
    service_name: str = ""
    to_pickup_point: bool = False  # delivers to a pick-up point the customer chooses

    def serves(self, country: str, postcode: int | None) -> bool:
        if not self.areas:
            return not self.local_only
        country = country.upper()
        return postcode is not None and any(a.country == country and a.first <= postcode <= a.last for a in self.areas)

    def price_for(self, zone: str, weight_grams: int) -> Decimal | None:
        fitting = [b for b in self.rates.get(zone, ()) if b.max_weight_grams >= weight_grams]
        return min(fitting, key=lambda b: b.max_weight_grams).price if fitting else None


@dataclass(frozen=True)
class PromiseData:
    warehouses: Mapping[int, WarehouseInfo]
    preference: tuple[int, ...]  # warehouse ids, most preferred first
    services: Sequence[ServiceOption]
    stock: Mapping[int, Mapping[int, int]] = field(default_factory=dict)  # product -> warehouse -> available
    receipts: Mapping[int, Receipt] = field(default_factory=dict)  # product -> next expected receipt
    holidays: Mapping[str, frozenset[date]] = field(default_factory=dict)  # country -> closed days
    free_shipping_above: Mapping[str, Decimal] = field(default_factory=dict)  # zone -> goods net
    weights: Mapping[int, int] = field(default_factory=dict)  # product -> grams, for lines without one
    handling_days: int = DEFAULT_HANDLING_DAYS
    unknown_lead_days: int = DEFAULT_UNKNOWN_LEAD_DAYS
    default_country: str = "NL"
    default_cutoff: time = DEFAULT_CUTOFF


@dataclass(frozen=True)
class Part:
    """Some units of a line that leave from one warehouse at one time."""

    warehouse_id: int | None
    quantity: int
    in_stock: bool
    expected_date: date | None = None  # backordered: the receipt it waits for (None: unknown)


@dataclass(frozen=True)
class ServiceChoice:
    service: ServiceOption
    price: Decimal  # the carrier's rate for the parcel, before any free-shipping rule


# --- carrier, service and price ------------------------------------------------------------------


def choose_service(
    services: Sequence[ServiceOption],
    *,
    country: str,
    postal_code: str,
    weight_grams: int,
    to_pickup_points: bool = False,
) -> ServiceChoice:
    """The cheapest service that takes this weight to this address (ties: fewer transit days).
    A service to pick-up points only with ``to_pickup_points``: without the customer's choice
    of a point there is nowhere to deliver it."""
    zone = zone_for(country)
    postcode = postcode_number(postal_code)
    best: tuple | None = None
    for service in services:
        if service.to_pickup_point and not to_pickup_points:
            continue
        price = service.price_for(zone, weight_grams) if service.serves(country, postcode) else None
        if price is None:
            continue
        key = (price, service.transit_days, service.carrier_code, service.service_code)
        if best is None or key < best[0]:
            best = (key, ServiceChoice(service, price))
    if best is None:
        raise ShippingUnavailable(
            f"No carrier delivers {weight_grams / 1000:g} kg to {country} {postal_code}".strip(), field="country"
        )
    return best[1]


def chosen_service(
    services: Sequence[ServiceOption],
    *,
    carrier_code: str,
    service_code: str,
    country: str,
    postal_code: str,
    weight_grams: int,
) -> ServiceChoice:
    """The customer's chosen service, when it takes this weight to this address (else 400 on
    ``shipping_method``: ``unknown_shipping_method`` or ``shipping_method_unavailable``)."""
    named = [s for s in services if s.service_code == service_code and s.carrier_code == carrier_code]
    if not named:
        raise ValidationFailed(
            f"No service {carrier_code}:{service_code} delivers to {country.upper()}.",
            code=UNKNOWN_SHIPPING_METHOD,
            field="shipping_method",
        )
    zone, postcode = zone_for(country), postcode_number(postal_code)
    service = named[0]
    price = service.price_for(zone, weight_grams) if service.serves(country, postcode) else None
    if price is None:
        raise ValidationFailed(
            f"{service.carrier_name} {service.service_name or service.service_code} does not deliver "
            f"{weight_grams / 1000:g} kg to {country} {postal_code}".strip()
            + ".",
            code=SHIPPING_METHOD_UNAVAILABLE,
            field="shipping_method",
        )
    return ServiceChoice(service, price)


def serving_services(
    services: Sequence[ServiceOption], *, country: str, postal_code: str, weight_grams: int
) -> list[ServiceChoice]:
    """Every service that takes this weight to this address, cheapest first (ties: faster)."""
    zone, postcode = zone_for(country), postcode_number(postal_code)
    found = []
    for service in services:
        price = service.price_for(zone, weight_grams) if service.serves(country, postcode) else None
        if price is not None:
            found.append(ServiceChoice(service, price))
    found.sort(key=lambda c: (c.price, c.service.transit_days, c.service.carrier_code, c.service.service_code))
    return found


def shipping_charge(price: Decimal, order_net: Decimal, free_above: Decimal | None) -> Decimal:
    """What the customer pays for shipping, excluding VAT."""
    if free_above is not None and order_net >= free_above:
        return ZERO
    return quantize(price)


def _free_above(service: ServiceOption, zone: str, data: PromiseData) -> Decimal | None:
    """The zone's free-shipping threshold when the chosen service takes part in free shipping."""
    return data.free_shipping_above.get(zone) if service.free_shipping else None


def total_weight(lines: Sequence[QuoteLine], weights: Mapping[int, int]) -> int:
    """Grams of the whole order; a line's ``weight_grams`` is per unit, 0 means the product's."""
    return sum(line.quantity * (line.weight_grams or weights.get(line.product_id, 0)) for line in lines)


# --- where each unit comes from ------------------------------------------------------------------


def plan_sources(lines: Sequence[QuoteLine], data: PromiseData) -> list[tuple[Part, ...]]:
    """Per line, the parts it ships in: allocated or planned stock, then backordered quantities.

    Stock and incoming quantities are used up line by line, so two lines of one product do not
    both count the same units.
    """
    available = {product: dict(per_warehouse) for product, per_warehouse in data.stock.items()}
    incoming = {product: receipt.quantity for product, receipt in data.receipts.items()}
    planned = []
    for line in lines:
        if line.allocations is not None:
            parts = [Part(warehouse, quantity, True) for warehouse, quantity in line.allocations if quantity > 0]
        else:
            parts = _take_from_stock(line.quantity, available.get(line.product_id, {}), data.preference)
        short = line.quantity - sum(part.quantity for part in parts)
        if short > 0:
            parts += _backorder(line.product_id, short, data, incoming)
        planned.append(tuple(parts))
    return planned


def _take_from_stock(quantity: int, available: dict[int, int], preference: Sequence[int]) -> list[Part]:
    parts = []
    for warehouse in preference:
        take = min(quantity, available.get(warehouse, 0))
        if take > 0:
            available[warehouse] -= take
            quantity -= take
            parts.append(Part(warehouse, take, True))
        if quantity == 0:
            break
    return parts


def _backorder(product_id: int, short: int, data: PromiseData, incoming: dict[int, int]) -> list[Part]:
    receipt = data.receipts.get(product_id)
    parts = []
    if receipt is not None and incoming.get(product_id, 0) > 0:
        take = min(short, incoming[product_id])
        incoming[product_id] -= take
        short -= take
        parts.append(Part(receipt.warehouse_id, take, False, receipt.expected_date))
    if short > 0:
        fallback = receipt.warehouse_id if receipt else (data.preference[0] if data.preference else None)
        parts.append(Part(fallback, short, False, None))
    return parts


# --- dates ---------------------------------------------------------------------------------------


def stock_ship_date(now: datetime, cutoff: time, closed) -> date:
    """Today when it is a working day and before the cut-off, else the next working day."""
    today = now.date()
    if workdays.is_working_day(today, closed) and now.time() < cutoff:
        return today
    return workdays.next_working_day(today, closed)


def receipt_ship_date(
    expected: date | None, *, today: date, handling_days: int, unknown_lead_days: int, closed
) -> date:
    """When backordered units can leave: the receipt date (not before today) plus handling."""
    if expected is None:
        return workdays.add_working_days(today, unknown_lead_days, closed)
    arrival = workdays.roll_forward(max(expected, today), closed)
    return workdays.add_working_days(arrival, handling_days, closed)


def _warehouse(data: PromiseData, warehouse_id: int | None) -> WarehouseInfo:
    known = data.warehouses.get(warehouse_id) if warehouse_id is not None else None
    return known or WarehouseInfo(warehouse_id or 0, "", data.default_country, data.default_cutoff)


def _closed(data: PromiseData, *countries: str) -> frozenset[date]:
    return frozenset().union(*(data.holidays.get(country.upper(), frozenset()) for country in countries))


def part_ship_date(part: Part, now: datetime, data: PromiseData) -> date:
    warehouse = _warehouse(data, part.warehouse_id)
    closed = _closed(data, warehouse.country)
    earliest = stock_ship_date(now, warehouse.cutoff, closed)
    if part.in_stock:
        return earliest
    planned = receipt_ship_date(
        part.expected_date,
        today=now.date(),
        handling_days=data.handling_days,
        unknown_lead_days=data.unknown_lead_days,
        closed=closed,
    )
    return max(earliest, planned)


@dataclass(frozen=True)
class TimedPart:
    part: Part
    ship_date: date
    delivery_date: date


class _Calendar:
    """The date questions of one quote, each answered once: an order's parts mostly share a
    warehouse (and a backordered part's receipt date), so ten lines ask one or two distinct
    questions. Answers are those of ``part_ship_date`` and ``add_working_days`` (tests hold
    ``build_quote`` to a reference that asks every part anew)."""

    def __init__(self, now: datetime, data: PromiseData, destination: str, transit_days: int) -> None:
        self.now, self.data, self.destination, self.transit_days = now, data, destination, transit_days
        self._countries: dict[int | None, str] = {}
        self._ships: dict[tuple, date] = {}
        self._deliveries: dict[tuple[str, date], date] = {}
        self._rolled: dict[str, date] = {}

    def country(self, warehouse_id: int | None) -> str:
        found = self._countries.get(warehouse_id)
        if found is None:
            found = self._countries[warehouse_id] = _warehouse(self.data, warehouse_id).country
        return found

    def ship(self, part: Part) -> date:
        key = (part.warehouse_id, part.in_stock, part.expected_date)
        found = self._ships.get(key)
        if found is None:
            found = self._ships[key] = part_ship_date(part, self.now, self.data)
        return found

    def held_until(self, latest: date, country: str) -> date:
        """Ship-complete: the latest part's date, rolled to a working day of ``country``."""
        found = self._rolled.get(country)
        if found is None:
            found = self._rolled[country] = workdays.roll_forward(latest, _closed(self.data, country))
        return found

    def delivery(self, ship: date, country: str) -> date:
        key = (country, ship)
        found = self._deliveries.get(key)
        if found is None:
            closed = _closed(self.data, country, self.destination)
            found = self._deliveries[key] = workdays.add_working_days(ship, self.transit_days, closed)
        return found


def schedule(
    planned: list[tuple[Part, ...]],
    *,
    now: datetime,
    data: PromiseData,
    destination: str,
    transit_days: int,
    ship_complete: bool,
) -> list[tuple[TimedPart, ...]]:
    """Ship and delivery dates for every part; ship-complete holds all parts for the latest."""
    calendar = _Calendar(now, data, destination, transit_days)
    ships = [[calendar.ship(part) for part in parts] for parts in planned]
    latest = max((day for line in ships for day in line), default=None)
    timed = []
    for parts, line_ships in zip(planned, ships, strict=True):
        line = []
        for part, ship in zip(parts, line_ships, strict=True):
            country = calendar.country(part.warehouse_id)
            if ship_complete:
                ship = calendar.held_until(latest, country)
            line.append(TimedPart(part, ship, calendar.delivery(ship, country)))
        timed.append(tuple(line))
    return timed


# --- the quote -----------------------------------------------------------------------------------


def _validate(request: QuoteRequest) -> None:
    for index, line in enumerate(request.lines):
        if line.quantity < 0:
            raise ValidationFailed("Quantity must not be negative.", field=f"lines.{index}.quantity")
        if line.allocations is not None and any(quantity < 0 for _, quantity in line.allocations):
            raise ValidationFailed("Allocated quantities must not be negative.", field=f"lines.{index}.allocations")


def local_now(request: QuoteRequest) -> datetime:
    now = request.now or timezone.now()
    if timezone.is_naive(now):
        now = timezone.make_aware(now)
    return timezone.localtime(now)


def build_quote(request: QuoteRequest, data: PromiseData) -> DeliveryQuote:
    """The carrier, the charge and the dates for ``request`` (rules in the module docstring).

    With ``request.service_code`` the quote is for that service (``chosen_service``). Raises
    ``ValidationFailed`` for negative quantities or a chosen service that cannot deliver, and
    ``ShippingUnavailable`` (409) when no service takes the order's weight to the address.
    """
    _validate(request)
    destination = (request.country or data.default_country).upper()
    weight = total_weight(request.lines, data.weights)
    where = {"country": destination, "postal_code": request.postal_code, "weight_grams": weight}
    if request.service_code:
        choice = chosen_service(
            data.services, carrier_code=request.carrier_code, service_code=request.service_code, **where
        )
    else:
        choice = choose_service(data.services, **where)
    planned = plan_sources(request.lines, data)
    return _quote(request, data, choice, planned, local_now(request), destination)


def build_options(request: QuoteRequest, data: PromiseData) -> tuple[DeliveryQuote, ...]:
    """A quote for every service that can deliver ``request``, cheapest first; the stock is
    planned once and only the transit differs. Empty when none can."""
    _validate(request)
    destination = (request.country or data.default_country).upper()
    weight = total_weight(request.lines, data.weights)
    choices = serving_services(data.services, country=destination, postal_code=request.postal_code, weight_grams=weight)
    if not choices:
        return ()
    planned, now = plan_sources(request.lines, data), local_now(request)
    return tuple(_quote(request, data, choice, planned, now, destination) for choice in choices)


def _quote(
    request: QuoteRequest,
    data: PromiseData,
    choice: ServiceChoice,
    planned: list[tuple[Part, ...]],
    now: datetime,
    destination: str,
) -> DeliveryQuote:
    zone = zone_for(destination)
    timed = schedule(
        planned,
        now=now,
        data=data,
        destination=destination,
        transit_days=choice.service.transit_days,
        ship_complete=request.ship_complete,
    )
    every = [t for line in timed for t in line]
    if not every:  # nothing to ship: what an in-stock parcel from the first warehouse would do
        every = _empty_order_dates(now, data, destination, choice.service.transit_days)
    first_ship = min(t.ship_date for t in every)
    first_delivery = min(t.delivery_date for t in every)
    return DeliveryQuote(
        carrier_code=choice.service.carrier_code,
        carrier_name=choice.service.carrier_name,
        service_code=choice.service.service_code,
        shipping_net=shipping_charge(choice.price, request.order_net, _free_above(choice.service, zone, data)),
        ship_date=first_ship,
        delivery_date=max(t.delivery_date for t in every),
        first_delivery_date=first_delivery,
        lines=tuple(_line_quote(index, parts, first_ship, first_delivery) for index, parts in enumerate(timed)),
        service_name=choice.service.service_name,
        to_pickup_point=choice.service.to_pickup_point,
    )


def _empty_order_dates(now: datetime, data: PromiseData, destination: str, transit_days: int) -> list[TimedPart]:
    part = Part(data.preference[0] if data.preference else None, 0, True)
    ship = part_ship_date(part, now, data)
    country = _warehouse(data, part.warehouse_id).country
    return [TimedPart(part, ship, workdays.add_working_days(ship, transit_days, _closed(data, country, destination)))]


def _line_quote(index: int, parts: tuple[TimedPart, ...], first_ship: date, first_delivery: date) -> LineQuote:
    in_stock = backordered = 0
    ship, delivery, receipt = None, None, None
    for timed in parts:
        part = timed.part
        if part.in_stock:
            in_stock += part.quantity
        else:
            backordered += part.quantity
            if part.expected_date and (receipt is None or part.expected_date > receipt):
                receipt = part.expected_date
        if ship is None or timed.ship_date > ship:
            ship = timed.ship_date
        if delivery is None or timed.delivery_date > delivery:
            delivery = timed.delivery_date
    return LineQuote(
        line_index=index,
        quantity_in_stock=in_stock,
        quantity_backordered=backordered,
        ship_date=first_ship if ship is None else ship,
        delivery_date=first_delivery if delivery is None else delivery,
        expected_receipt_date=receipt,
    )
