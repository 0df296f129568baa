"""The accounting panel of the home dashboards (registered in ``oms.dashboards``)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing import selectors
from oms.dashboards import PanelData, Stat, bounded_count, link, register
from oms.roles import Role


@register("billing.accounting", gettext_noop("Accounting"), (Role.ACCOUNTING,), order=40)
def accounting(user) -> PanelData:
    today = timezone.localdate()
    unsent, capped = bounded_count(selectors.unsent_invoices(), limit=5000)
    overdue, overdue_amount = selectors.overdue_receivables(today)
    payments, received = selectors.cash_received(today)
    return PanelData(
        stats=[
            Stat(
                _("Invoices not yet sent"), unsent, link("billing:invoices", unsent="on"), key="unsent", capped=capped
            ),
            Stat(_("Overdue invoices"), overdue, link("billing:invoices", overdue="on"), alert=True, key="overdue"),
            Stat(
                _("Overdue receivables"),
                overdue_amount,
                link("billing:invoices", overdue="on"),
                money=True,
                key="overdue-amount",
            ),
            Stat(_("Payments today"), payments, link("billing:payments", date=today.isoformat()), key="payments-today"),
            Stat(
                _("Cash received today"),
                received,
                link("billing:payments", date=today.isoformat()),
                money=True,
                key="cash-today",
            ),
        ]
    )
