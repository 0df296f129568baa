"""Exception-inbox rules owned by ``orders`` (registered from ``OrdersConfig.ready``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_noop

from oms import exceptions
from oms.roles import Role
from orders import selectors


def _waiting_for_stock() -> list[exceptions.Finding]:
    rows = selectors.orders_waiting_for_stock(
        placed_before=exceptions.hours_ago("OMS_EXCEPTION_UNALLOCATED_HOURS"), limit=exceptions.rule_limit()
    )
    findings = []
    for row in rows:
        state = "on hold" if row["status"] == "on_hold" else "waiting for stock"
        promised = row["promised_delivery_date"]
        findings.append(
            exceptions.Finding(
                subject=f"order:{row['id']}",
                title=f"{row['number']} {state} since {row['placed_at']:%d-%m-%Y %H:%M}",
                url=reverse("orders:detail", kwargs={"number": row["number"]}),
                detail={"status": row["status"], "promised": promised.isoformat() if promised else None},
                occurrence=row["status"],
            )
        )
    return findings


def register() -> None:
    exceptions.register(
        exceptions.Rule(
            code="orders.unallocated",
            label=gettext_noop("Orders not allocated in time"),
            role=Role.CUSTOMER_SERVICE,
            find=_waiting_for_stock,
        )
    )
