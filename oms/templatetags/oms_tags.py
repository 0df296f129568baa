from django import template
from django.utils.html import format_html

from oms.money import format_eur, rate_label
from oms.numbers import format_decimal_input

register = template.Library()


@register.filter
def money(value) -> str:
    """``{{ amount|money }}`` prints ``€ 1.234,56``."""
    return format_eur(value)


@register.filter
def vat_rate(value) -> str:
    return f"{rate_label(value)}%" if value is not None and value != "" else ""


@register.simple_tag
def status_badge(status: str, label: str = "") -> str:
    colour = {
        "draft": "secondary",
        "on_hold": "warning",
        "allocated": "primary",
        "backordered": "warning",
        "picking": "info",
        "partially_shipped": "info",
        "shipped": "info",
        "delivered": "success",
        "completed": "success",
        "cancelled": "dark",
        "pending": "secondary",
        "done": "success",
        "dead": "danger",
        "issued": "primary",
        "paid": "success",
        "overdue": "danger",
        "partially_paid": "warning",
        "credited": "dark",
        "sent": "primary",
        "received": "success",
        "partially_received": "info",
        "failed": "danger",
        "returned": "dark",
        "open": "warning",
    }.get(status, "secondary")
    return format_html(
        '<span class="badge text-bg-{}" data-status="{}">{}</span>',
        colour,
        status,
        label or status.replace("_", " "),
    )


@register.filter
def nl_int(value) -> str:
    """``{{ 12345|nl_int }}`` prints ``12.345`` (Dutch thousands separator)."""
    if value is None or value == "":
        return ""
    return f"{int(value):,}".replace(",", ".")


@register.filter
def amount_input(value, places: int = 2) -> str:
    """``{{ amount|amount_input }}``: a value for an amount field, "107,85" in Dutch (no €, no
    thousands separator), "107.85" in English; the fields read both (``oms.forms.AmountField``)."""
    return format_decimal_input(value, int(places))
