"""orders: Celery tasks (thin, idempotent)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="orders.tasks.daily_stats_refresh", ignore_result=True)
def daily_stats_refresh() -> int:
    """Recompute the revenue-by-channel summary of the last weeks (the manager's dashboard)."""
    from orders.services import daily_stats_refresh as refresh

    return refresh()
