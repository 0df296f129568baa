"""The role dashboards of the home page: a registry of panels that the apps fill.

A panel belongs to one app and one or more roles. The home page lists the panels of the
user's roles (``manager`` sees them all) and loads each one with htmx from
``/dashboard/<key>/``, so a slow panel never holds up the page. That view calls the panel's
``compute`` function, which lives in the app that owns the data (``orders.dashboards`` ...,
registered in the app's ``AppConfig.ready()``), so ``oms`` imports no app.

``compute(user)`` returns a ``PanelData``: numbers (each a link to the list behind it, with
the filter applied) and/or an SVG chart from ``oms.charts``. Every number must be cheap at a
million orders: an indexed count, a bounded count, or a summary table the app keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from oms.roles import has_role


@dataclass(frozen=True)
class Stat:
    """One number on a panel. ``url`` is the list that shows the same records; ``money``
    prints it as euros; ``alert`` colours it when it is not zero (late orders, overdue POs);
    ``capped`` says the count stopped at a bound (shown as "1.000+")."""

    label: str
    value: int | Decimal
    url: str = ""
    money: bool = False
    alert: bool = False
    key: str = ""
    capped: bool = False


@dataclass
class PanelData:
    stats: list[Stat] = field(default_factory=list)
    chart: str = ""  # SVG markup from oms.charts
    note: str = ""


@dataclass(frozen=True)
class Panel:
    key: str  # "<app>.<name>", the URL part
    title: str
    roles: tuple[str, ...]
    compute: Callable[..., PanelData]
    order: int = 100
    wide: bool = False  # a chart: the full row

    @property
    def url(self) -> str:
        return reverse("dashboard_panel", kwargs={"key": self.key})

    @property
    def dom_id(self) -> str:
        return "panel-" + self.key.replace(".", "-").replace("_", "-")


PANELS: dict[str, Panel] = {}


def register(key: str, title: str, roles: tuple[str, ...], *, order: int = 100, wide: bool = False) -> Callable:
    """Decorator for a panel's compute function: ``@register("orders.today", "Orders today", (CS,))``."""

    def decorator(compute: Callable[..., PanelData]) -> Callable[..., PanelData]:
        PANELS[key] = Panel(key=key, title=title, roles=tuple(roles), compute=compute, order=order, wide=wide)
        return compute

    return decorator


def panels_for(user) -> list[Panel]:
    """The panels the user's roles may see, in display order."""
    return sorted((p for p in PANELS.values() if has_role(user, *p.roles)), key=lambda p: (p.order, p.key))


def link(url_name: str, **params) -> str:
    """``link("orders:list", status="on_hold")`` -> ``/orders/?status=on_hold`` (empty values left out)."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "", False)})
    url = reverse(url_name)
    return f"{url}?{query}" if query else url


def bounded_count(queryset, limit: int = 1000) -> tuple[int, bool]:
    """Count at most ``limit`` rows (one query; the index walk stops there) -> (count, capped)."""
    count = queryset.order_by().values("pk")[: limit + 1].count()
    return min(count, limit), count > limit
