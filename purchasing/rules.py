"""The arithmetic of purchasing, pure and without the database: how much to suggest, how a
supplier's minimum order quantity and pack size round it, when goods will arrive, and how much
over-delivery a goods receipt accepts. Settings (with their defaults) are read here too."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings

DEFAULT_LARGE_ORDER_SHARE = Decimal("0.5")
DEFAULT_RECEIPT_TOLERANCE_PERCENT = Decimal("10")


def large_order_share() -> Decimal:
    """``OMS_REORDER_LARGE_ORDER_SHARE``: an order line taking more than this share of the
    stock available before it raises a reorder request (default 0.5)."""
    return Decimal(str(getattr(settings, "OMS_REORDER_LARGE_ORDER_SHARE", DEFAULT_LARGE_ORDER_SHARE)))


def receipt_tolerance_percent() -> Decimal:
    """``OMS_RECEIPT_TOLERANCE_PERCENT``: how much more than ordered a goods receipt accepts
    per line (default 10 percent)."""
    return Decimal(str(getattr(settings, "OMS_RECEIPT_TOLERANCE_PERCENT", DEFAULT_RECEIPT_TOLERANCE_PERCENT)))


def round_to_supplier(quantity: int, *, min_order_quantity: int = 1, pack_size: int = 1) -> int:
    """At least the minimum order quantity, then up to a whole number of packs.

    >>> round_to_supplier(7, min_order_quantity=10, pack_size=6)
    12
    """
    pack = max(int(pack_size), 1)
    wanted = max(int(quantity), int(min_order_quantity), 1)
    return math.ceil(wanted / pack) * pack


def suggested_quantity(
    *,
    reorder_point: int,
    reorder_quantity: int,
    available: int,
    incoming: int,
    demand: int = 0,
    at_least: int = 0,
    min_order_quantity: int = 1,
    pack_size: int = 1,
) -> int:
    """How much to order for one stock level; 0 when nothing is needed.

    The reorder quantity is the level to fill up to (never below the reorder point): the need
    is that level plus unmet ``demand`` (a backordered quantity) minus what is available and
    on its way. ``at_least`` is a floor on the need (a large order replaces what it took). A
    need above zero is rounded to the supplier's minimum order quantity and pack size.
    """
    target = max(reorder_quantity, reorder_point)
    need = max(target + demand - available - incoming, at_least)
    if need <= 0:
        return 0
    return round_to_supplier(need, min_order_quantity=min_order_quantity, pack_size=pack_size)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def expected_arrival(order_date: date, lead_time_days: int) -> date:
    """The day goods ordered on ``order_date`` arrive: the lead time in calendar days; a
    delivery that would fall on a Saturday or Sunday comes the Monday after."""
    day = order_date + timedelta(days=max(int(lead_time_days), 0))
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def receipt_limit(quantity_ordered: int, tolerance_percent: Decimal | None = None) -> int:
    """The most a line may have received in total: ordered plus the tolerance, rounded down
    (10 ordered at 10 % accepts 11; 5 ordered at 10 % accepts 5)."""
    tolerance = receipt_tolerance_percent() if tolerance_percent is None else tolerance_percent
    return int(quantity_ordered + math.floor(quantity_ordered * tolerance / Decimal(100)))
