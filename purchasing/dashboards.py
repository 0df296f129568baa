"""The purchasing panels of the home dashboards (registered in ``oms.dashboards``)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from oms.dashboards import PanelData, Stat, link, register
from oms.roles import Role
from purchasing import selectors


@register("purchasing.buying", gettext_noop("Purchasing"), (Role.PURCHASING,), order=30)
def buying(user) -> PanelData:
    counts = selectors.purchasing_dashboard()
    return PanelData(
        stats=[
            Stat(_("Open reorder requests"), counts["open_requests"], link("purchasing:requests"), key="open-requests"),
            Stat(
                _("Overdue purchase orders"),
                counts["overdue"],
                link("purchasing:po_list", status="overdue"),
                alert=True,
                key="overdue-pos",
            ),
        ]
    )


@register("purchasing.receipts", gettext_noop("Goods expected"), (Role.WAREHOUSE,), order=22)
def receipts(user) -> PanelData:
    today = timezone.localdate()
    counts = selectors.purchasing_dashboard(today)
    return PanelData(
        stats=[
            Stat(
                _("Receipts expected today"),
                counts["expected_today"],
                link("purchasing:receipts", expected=today.isoformat()),
                key="expected-today",
            ),
        ]
    )
