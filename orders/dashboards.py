"""The orders panels of the home dashboards (registered in ``oms.dashboards``)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from oms import charts
from oms.dashboards import PanelData, Stat, link, register
from oms.roles import Role
from orders import selectors
from orders.models import Channel, OrderStatus

CS = Role.CUSTOMER_SERVICE


@register("orders.today", gettext_noop("Orders today"), (CS,), order=10)
def orders_today(user) -> PanelData:
    today = timezone.localdate().isoformat()
    counts = selectors.orders_today_by_channel()
    stats = [
        Stat(
            str(label),
            counts.get(channel, 0),
            link("orders:list", channel=channel, date_from=today, date_to=today),
            key=f"today-{channel}",
        )
        for channel, label in Channel.choices
    ]
    total = sum(counts.values())
    stats.append(Stat(_("All channels"), total, link("orders:list", date_from=today, date_to=today), key="today-all"))
    return PanelData(stats=stats)


@register("orders.attention", gettext_noop("Orders needing attention"), (CS,), order=11)
def orders_attention(user) -> PanelData:
    counts = selectors.orders_needing_attention()
    return PanelData(
        stats=[
            Stat(_("On hold"), counts["on_hold"], link("orders:list", status=OrderStatus.ON_HOLD), key="on-hold"),
            Stat(
                _("Backordered"),
                counts["backordered"],
                link("orders:list", status=OrderStatus.BACKORDERED),
                key="backordered",
            ),
            Stat(_("Late"), counts["late"], link("orders:list", late="on"), alert=True, key="late"),
        ]
    )


@register("orders.funnel", gettext_noop("Order to cash, last 30 days"), (), order=90, wide=True)
def order_funnel(user) -> PanelData:
    steps = selectors.order_to_cash_funnel(days=30)
    return PanelData(
        chart=charts.funnel_chart(
            steps, label="Order to cash funnel, orders placed in the last 30 days", testid="funnel"
        )
    )


@register("orders.revenue", gettext_noop("Revenue by channel, last 30 days"), (), order=91, wide=True)
def revenue_by_channel(user) -> PanelData:
    data = selectors.revenue_by_channel(days=30)
    labels = dict(Channel.choices)
    series = {
        str(labels[channel]): [(day.strftime("%d-%m"), float(value)) for day, value in points]
        for channel, points in data.items()
    }
    total = sum(value for points in data.values() for _, value in points)
    return PanelData(
        chart=charts.line_chart(series, label="Revenue by channel per day, last 30 days", money=True, testid="revenue"),
        note=f"Excluding VAT; cancelled orders left out. Total {charts.number(total, 2)} EUR.",
    )
