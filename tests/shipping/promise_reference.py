"""The delivery promise's dates as first written, one part at a time: the reference that
``test_promise_fast_path.py`` holds ``shipping.promise.build_quote`` to.

``build_quote`` answers each distinct question of a quote once (a line's parts mostly share a
warehouse and a date); this module asks it anew for every part, as the rules in
``shipping.promise``'s docstring read. Kept in the tests only: it is the slow path, never run in
production. The service choice, the sources and the charge are ``shipping.promise``'s own.
"""

from __future__ import annotations

from datetime import date, datetime

from oms.delivery import DeliveryQuote, LineQuote, QuoteRequest
from shipping import workdays
from shipping.promise import (
    Part,
    PromiseData,
    TimedPart,
    WarehouseInfo,
    _free_above,
    _validate,
    choose_service,
    local_now,
    plan_sources,
    receipt_ship_date,
    shipping_charge,
    stock_ship_date,
    total_weight,
)
from shipping.zones import zone_for


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
    ships = [[part_ship_date(part, now, data) for part in parts] for parts in planned]
    latest = max((day for line in ships for day in line), default=None)
    timed = []
    for parts, line_ships in zip(planned, ships, strict=True):
        line = []
        for part, ship in zip(parts, line_ships, strict=True):
            country = _warehouse(data, part.warehouse_id).country
            if ship_complete:
                ship = workdays.roll_forward(latest, _closed(data, country))
            delivery = workdays.add_working_days(ship, transit_days, _closed(data, country, destination))
            line.append(TimedPart(part, ship, delivery))
        timed.append(tuple(line))
    return timed


def build_quote(request: QuoteRequest, data: PromiseData) -> DeliveryQuote:
    """The carrier, the charge and the dates for ``request`` (rules in the module docstring).

    Raises ``ValidationFailed`` for negative quantities and ``ShippingUnavailable`` (409) when no
    service takes the order's weight to the address.
    """
    _validate(request)
    now = local_now(request)
    destination = (request.country or data.default_country).upper()
    weight = total_weight(request.lines, data.weights)
    choice = choose_service(data.services, country=destination, postal_code=request.postal_code, weight_grams=weight)
    zone = zone_for(destination)
    timed = schedule(
        plan_sources(request.lines, data),
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
    )


def _empty_order_dates(now: datetime, data: PromiseData, destination: str, transit_days: int) -> list[TimedPart]:
    part = Part(data.preference[0] if data.preference else None, 0, True)
    ship = part_ship_date(part, now, data)
    country = _warehouse(data, part.warehouse_id).country
    return [TimedPart(part, ship, workdays.add_working_days(ship, transit_days, _closed(data, country, destination)))]


def _line_quote(index: int, parts: tuple[TimedPart, ...], first_ship: date, first_delivery: date) -> LineQuote:
    receipts = [t.part.expected_date for t in parts if not t.part.in_stock and t.part.expected_date]
    return LineQuote(
        line_index=index,
        quantity_in_stock=sum(t.part.quantity for t in parts if t.part.in_stock),
        quantity_backordered=sum(t.part.quantity for t in parts if not t.part.in_stock),
        ship_date=max((t.ship_date for t in parts), default=first_ship),
        delivery_date=max((t.delivery_date for t in parts), default=first_delivery),
        expected_receipt_date=max(receipts, default=None),
    )
