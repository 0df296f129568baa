"""Plain promise data for the planner's tests: no database, dates of late 2026 (Thursday the 26th
of November is "today" unless a test says otherwise)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from oms.delivery import QuoteLine, QuoteRequest
from shipping.promise import Bracket, PostcodeArea, PromiseData, Receipt, ServiceOption, WarehouseInfo
from shipping.workdays import belgian_public_holidays, dutch_public_holidays

AMS = ZoneInfo("Europe/Amsterdam")
AMS_WH, TIL_WH, ANT_WH = 1, 2, 3
MUG, PLATE, TEAPOT = 101, 102, 103


def at(day: str, clock: str = "10:00") -> datetime:
    """An aware Amsterdam time: ``at("2026-11-26", "16:30")``."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=AMS)


def d(day: str) -> date:
    return date.fromisoformat(day)


def kg(value: float) -> int:
    return int(value * 1000)


def brackets(*pairs: tuple[float, str]) -> tuple[Bracket, ...]:
    return tuple(Bracket(kg(weight), Decimal(price)) for weight, price in pairs)


PARCEL = ServiceOption(
    carrier_code="pakketpost",
    carrier_name="PakketPost",
    service_code="standard",
    transit_days=1,
    rates={
        "nl": brackets((2, "4.10"), (10, "6.95"), (23, "10.95")),
        "be_lu": brackets((2, "8.50"), (10, "13.50"), (23, "17.95")),
    },
)
EUROPE = ServiceOption(
    carrier_code="euroexpress",
    carrier_name="EuroExpress",
    service_code="europe",
    transit_days=3,
    rates={"be_lu": brackets((10, "12.00"), (31.5, "19.95")), "eu": brackets((2, "12.95"), (31.5, "39.95"))},
)
WORLD = ServiceOption(
    carrier_code="euroexpress",
    carrier_name="EuroExpress",
    service_code="world",
    transit_days=6,
    rates={"world": brackets((2, "29.95"), (20, "99.95"))},
)
VAN = ServiceOption(
    carrier_code="own-fleet",
    carrier_name="Own van",
    service_code="randstad",
    transit_days=1,
    rates={"nl": brackets((30, "3.95"), (500, "24.95"))},
    areas=(PostcodeArea("NL", 1000, 1299), PostcodeArea("NL", 3500, 3599)),
)
SERVICES = (PARCEL, EUROPE, WORLD, VAN)

WAREHOUSES = {
    AMS_WH: WarehouseInfo(AMS_WH, "AMS", "NL", time(15, 0)),
    TIL_WH: WarehouseInfo(TIL_WH, "TIL", "NL", time(17, 0)),
    ANT_WH: WarehouseInfo(ANT_WH, "ANT", "BE", time(14, 0)),
}


def holidays(*years: int) -> dict[str, frozenset[date]]:
    years = years or (2026, 2027)
    return {
        "NL": frozenset(day for y in years for day, _ in dutch_public_holidays(y)),
        "BE": frozenset(day for y in years for day, _ in belgian_public_holidays(y)),
    }


def data(
    stock=None, receipts=None, *, preference=(AMS_WH, TIL_WH), services=SERVICES, free=None, weights=None, **extra
) -> PromiseData:
    return PromiseData(
        warehouses=WAREHOUSES,
        preference=preference,
        services=services,
        stock=stock or {},
        receipts={p: Receipt(*r) for p, r in (receipts or {}).items()},
        holidays=extra.pop("holidays", None) or holidays(),
        free_shipping_above=free if free is not None else {"nl": Decimal("50.00"), "be_lu": Decimal("75.00")},
        weights=weights or {},
        **extra,
    )


def request(*lines: QuoteLine | tuple, now: datetime, **fields) -> QuoteRequest:
    built = tuple(line if isinstance(line, QuoteLine) else QuoteLine(*line) for line in lines)
    fields.setdefault("postal_code", "2011 AB")  # Haarlem: outside the van's area
    return QuoteRequest(lines=built, now=now, **fields)
