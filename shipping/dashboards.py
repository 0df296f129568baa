"""The fulfilment panels of the home dashboards (registered in ``oms.dashboards``)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from inventory import selectors as inventory_selectors
from oms import charts
from oms.dashboards import PanelData, Stat, link, register
from oms.roles import Role
from shipping.selectors import fulfilment

LIMIT = 1000


@register("shipping.fulfilment", gettext_noop("Pick, pack and ship"), (Role.WAREHOUSE,), order=20)
def fulfilment_panel(user) -> PanelData:
    """Per active warehouse: orders to pick and to pack; handed off today over all warehouses."""
    today = timezone.localdate()
    stats = []
    for warehouse in inventory_selectors.warehouses_active():
        to_pick, to_pack = fulfilment.fulfilment_counts(warehouse.pk, limit=LIMIT)
        stats.append(
            Stat(
                _("To pick") + f" · {warehouse.code}",
                to_pick,
                link("shipping:pick_queue", warehouse=warehouse.code),
                key=f"to-pick-{warehouse.code}",
                capped=to_pick >= LIMIT,
            )
        )
        stats.append(
            Stat(
                _("To pack") + f" · {warehouse.code}",
                to_pack,
                link("shipping:pack", warehouse=warehouse.code),
                key=f"to-pack-{warehouse.code}",
                capped=to_pack >= LIMIT,
            )
        )
    stats.append(
        Stat(
            _("Handed off today"),
            fulfilment.handed_off_count(today),
            link("shipping:shipments", handed_off=today.isoformat()),
            key="handed-off-today",
        )
    )
    return PanelData(stats=stats)


@register("shipping.delivery_time", gettext_noop("Order to delivery, last 30 days"), (), order=92)
def delivery_time(user) -> PanelData:
    times = fulfilment.delivery_times(days=30)
    rows = [("p50", times["p50"] or 0), ("p90", times["p90"] or 0)]
    return PanelData(
        stats=[
            Stat(_("Delivered shipments"), times["count"], key="delivered-30d"),
        ],
        chart=charts.bar_chart(rows, label="Order to delivery time in days, p50 and p90", testid="delivery-time"),
        note=(
            f"Median {charts.number(times['p50'] or 0, 1)} days, 90% within {charts.number(times['p90'] or 0, 1)} "
            "days (placed to delivered)."
        ),
    )
