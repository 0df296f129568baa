"""The orders panel of the customer page (customers' ``CUSTOMER_PANELS``, loaded with htmx)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from customers import selectors as customers_selectors
from oms.errors import NotFound
from oms.htmx import HtmxHttpRequest
from oms.roles import Role, role_required
from orders import selectors

RECENT = 10


@require_GET
@role_required(Role.CUSTOMER_SERVICE, Role.ACCOUNTING)
def customer_panel(request: HtmxHttpRequest, customer_id: int) -> HttpResponse:
    """Order history (the latest orders, linked) and volume: orders, revenue over the last 12
    months, average order. Three queries besides the session."""
    try:
        customer = customers_selectors.customer_get(customer_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    context = {
        "customer": customer,
        "stats": selectors.customer_order_stats(customer.pk),
        "orders": selectors.customer_recent_orders(customer.pk, limit=RECENT),
        "recent": RECENT,
    }
    return render(request, "orders/partials/_customer_panel.html", context)
