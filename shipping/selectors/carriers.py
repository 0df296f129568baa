"""Reads of carriers, services, rates and holidays, for the screens, the promise and (later) the
fulfilment screens. Each selector runs a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch

from oms.errors import NotFound
from shipping.models import Carrier, CarrierKind, FreeShipping, Holiday, PostcodeRange, Rate, ServiceLevel
from shipping.promise import Bracket, PostcodeArea, ServiceChoice, ServiceOption, choose_service
from shipping.zones import Zone, zone_for

# --- carriers and services -----------------------------------------------------------------------


def carrier_list() -> list[Carrier]:
    """All carriers with their services and postcode ranges (three queries)."""
    return list(
        Carrier.objects.prefetch_related(
            Prefetch("services", queryset=ServiceLevel.objects.order_by("transit_days", "code")),
            "postcode_ranges",
        )
    )


def carrier_get(carrier_id: int) -> Carrier:
    carrier = Carrier.objects.filter(pk=carrier_id).prefetch_related("postcode_ranges").first()
    if carrier is None:
        raise NotFound("No such carrier.")
    return carrier


def carrier_get_by_code(code: str) -> Carrier:
    carrier = Carrier.objects.filter(code=code).first()
    if carrier is None:
        raise NotFound(f"No carrier {code!r}.")
    return carrier


def service_level_get(service_id: int) -> ServiceLevel:
    service = ServiceLevel.objects.select_related("carrier").filter(pk=service_id).first()
    if service is None:
        raise NotFound("No such service level.")
    return service


def service_level_by_codes(*, carrier_code: str, service_code: str) -> ServiceLevel:
    """The service a ``DeliveryQuote`` named (orders store the codes; shipments need the row)."""
    service = (
        ServiceLevel.objects.select_related("carrier").filter(carrier__code=carrier_code, code=service_code).first()
    )
    if service is None:
        raise NotFound(f"No service {carrier_code}/{service_code}.")
    return service


# --- rates ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    service: ServiceLevel
    zone: str
    rates: list[Rate]


def rate_table() -> dict[str, list[RateRow]]:
    """Zone -> one row per service with its brackets, for the rate page (one query)."""
    rates = Rate.objects.select_related("service__carrier").order_by(
        "zone", "service__carrier__sort_order", "service__carrier__name", "service__transit_days", "service__code",
        "max_weight_grams",
    )  # fmt: skip
    grouped: dict[str, dict[int, RateRow]] = {zone: {} for zone in Zone.values}
    for rate in rates:
        row = grouped[rate.zone].setdefault(rate.service_id, RateRow(rate.service, rate.zone, []))
        row.rates.append(rate)
    return {zone: list(rows.values()) for zone, rows in grouped.items()}


def free_shipping_thresholds(*zones: str) -> dict[str, Decimal]:
    """Zone -> goods net from which shipping is free; only ``zones`` when given (one query)."""
    rows = FreeShipping.objects.order_by()
    if zones:
        rows = rows.filter(zone__in=zones)
    return dict(rows.values_list("zone", "min_order_net"))


def promise_services(zone: str) -> list[ServiceOption]:
    """The active services with rates for ``zone``, as the planner's plain options (two queries).

    Plain rows and no default ordering: a quote runs on every order-entry keystroke and every
    availability call, and model instances with their ordering joins cost more than the SQL.
    """
    rows = (
        Rate.objects.filter(zone=zone, service__active=True, service__carrier__active=True)
        .order_by()
        .values_list(
            "service_id", "max_weight_grams", "price", "service__code", "service__transit_days",
            "service__carrier_id", "service__carrier__code", "service__carrier__name", "service__carrier__kind",
            "service__free_shipping", "service__name", "service__to_pickup_point",
        )
    )  # fmt: skip
    services: dict[int, dict] = {}
    for (
        service_id,
        weight,
        price,
        code,
        transit,
        carrier_id,
        carrier_code,
        carrier_name,
        kind,
        free,
        name,
        pickup,
    ) in rows:
        entry = services.setdefault(
            service_id,
            {"service_id": service_id, "service_code": code, "transit_days": transit, "carrier_id": carrier_id,
             "carrier_code": carrier_code, "carrier_name": carrier_name, "local_only": kind == CarrierKind.OWN_FLEET,
             "free_shipping": free, "service_name": name, "to_pickup_point": pickup, "brackets": []},
        )  # fmt: skip
        entry["brackets"].append(Bracket(weight, price))
    areas = _areas({entry["carrier_id"] for entry in services.values()})
    return [_service_option(entry, zone, areas.get(entry["carrier_id"], ())) for entry in services.values()]


def _areas(carrier_ids: set[int]) -> dict[int, tuple[PostcodeArea, ...]]:
    if not carrier_ids:
        return {}
    found: dict[int, list[PostcodeArea]] = defaultdict(list)
    rows = PostcodeRange.objects.filter(carrier_id__in=carrier_ids).order_by()
    for carrier_id, country, first, last in rows.values_list("carrier_id", "country", "first", "last"):
        found[carrier_id].append(PostcodeArea(country, first, last))
    return {carrier_id: tuple(areas) for carrier_id, areas in found.items()}


def _service_option(entry: dict, zone: str, areas: tuple[PostcodeArea, ...]) -> ServiceOption:
    return ServiceOption(
        carrier_code=entry["carrier_code"],
        carrier_name=entry["carrier_name"],
        service_code=entry["service_code"],
        transit_days=entry["transit_days"],
        rates={zone: tuple(entry["brackets"])},
        areas=areas,
        local_only=entry["local_only"],
        service_id=entry["service_id"],
        free_shipping=entry["free_shipping"],
        service_name=entry["service_name"],
        to_pickup_point=entry["to_pickup_point"],
    )


def service_choose(*, country: str, postal_code: str, weight_grams: int) -> ServiceChoice:
    """The service the promise would pick for a parcel (for packing: the real weight is known).

    Raises ``shipping.promise.ShippingUnavailable`` when none serves the address and weight.
    """
    services = promise_services(zone_for(country))
    return choose_service(services, country=country, postal_code=postal_code, weight_grams=weight_grams)


# --- holidays ------------------------------------------------------------------------------------


def closed_days(countries: Iterable[str], *, since: date) -> dict[str, frozenset[date]]:
    """Country -> its holidays from ``since`` on (one query); weekends are implied."""
    days: dict[str, set[date]] = {c.upper(): set() for c in countries}
    rows = Holiday.objects.filter(country__in=list(days), date__gte=since).order_by()
    for country, day in rows.values_list("country", "date"):
        days[country].add(day)
    return {country: frozenset(found) for country, found in days.items()}


def holiday_list(*, country: str = "", year: int | None = None) -> list[Holiday]:
    holidays = Holiday.objects.all()
    if country:
        holidays = holidays.filter(country=country.upper())
    if year:
        holidays = holidays.filter(date__year=year)
    return list(holidays.order_by("date", "country")[:500])


def holiday_years_missing(years: Iterable[int]) -> list[tuple[str, int]]:
    """(country, year) pairs without any holiday, for the countries that have holidays at all:
    a calendar that runs out would quietly promise deliveries on Christmas Day. Two queries."""
    years = sorted(set(years))
    rows = Holiday.objects.filter(date__year__in=years).order_by().values_list("country", "date__year").distinct()
    present = set(rows)
    return [(country, year) for country in holiday_countries() for year in years if (country, year) not in present]


def holiday_countries() -> list[str]:
    return list(Holiday.objects.order_by("country").values_list("country", flat=True).distinct())
