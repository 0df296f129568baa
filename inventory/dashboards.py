"""The stock panel of the home dashboards (registered in ``oms.dashboards``)."""

from __future__ import annotations

from inventory import selectors
from oms.dashboards import PanelData, Stat, bounded_count, link, register
from oms.roles import Role


@register("inventory.stock", "Stock", (Role.WAREHOUSE, Role.PURCHASING), order=21)
def stock(user) -> PanelData:
    low, low_capped = bounded_count(selectors.stock_overview(status="low"))
    out, out_capped = bounded_count(selectors.stock_overview(status="out"))
    return PanelData(
        stats=[
            Stat("Below reorder point", low, link("inventory:stock", status="low"), key="low-stock", capped=low_capped),
            Stat(
                "Out of stock",
                out,
                link("inventory:stock", status="out"),
                alert=True,
                key="out-of-stock",
                capped=out_capped,
            ),  # fmt: skip
        ]
    )
