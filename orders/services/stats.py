"""The daily per-channel summary behind the manager's revenue chart (``DailyChannelStats``)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from orders import selectors
from orders.models import Channel, DailyChannelStats

WINDOW_DAYS = 35


@transaction.atomic
def daily_stats_refresh(*, days: int = WINDOW_DAYS, today: date | None = None) -> int:
    """Recompute the summary for the last ``days`` days up to and including ``today`` from the
    orders (cancellations and late edits are picked up on the next run); every channel of
    every day gets a row, zeros included. Idempotent; returns the rows written."""
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    totals = selectors.channel_day_totals(start, today)
    now = timezone.now()
    rows = []
    day = start
    while day <= today:
        for channel in Channel.values:
            orders, revenue = totals.get((day, channel), (0, 0))
            rows.append(DailyChannelStats(day=day, channel=channel, orders=orders, revenue=revenue, refreshed_at=now))
        day += timedelta(days=1)
    DailyChannelStats.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["day", "channel"],
        update_fields=["orders", "revenue", "refreshed_at"],
    )
    return len(rows)
