"""The stock panel of the home dashboards (registered in ``oms.dashboards``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from inventory import selectors
from oms.dashboards import PanelData, Stat, bounded_count, link, register
from oms.roles import Role


@register("inventory.stock", gettext_noop("Stock"), (Role.WAREHOUSE, Role.PURCHASING), order=21)
def stock(user) -> PanelData:
    """Stock levels below their reorder point (available < reorder point), as the stock screen's
    "Below reorder point" filter shows them; counted up to 1,000."""
    low, low_capped = bounded_count(selectors.stock_overview(status="low"))
    return PanelData(
        stats=[
            Stat(
                _("Below reorder point"), low, link("inventory:stock", status="low"), key="low-stock", capped=low_capped
            ),
        ]
    )
