"""Shipping's panels on other apps' pages, loaded there with htmx: the order page's shipments
(and returns), and the customer page's recent shipments."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from customers import selectors as customers_selectors
from oms.roles import role_required
from orders import selectors as orders_selectors
from orders.services.fulfilment import RETURNABLE
from shipping.selectors import fulfilment as selectors
from shipping.views._common import AC, CS, WH, found


@require_GET
@role_required(CS, WH, AC)
def order_panel(request, order_id: int):
    order = orders_selectors.orders_by_ids([order_id]).get(order_id)
    if order is None:
        raise Http404("No such order.")
    context = {
        "order": order,
        "shipments": selectors.shipments_for_order(order.pk),
        "returns": selectors.returns_for_order(order.pk),
        "can_return": order.status in RETURNABLE,
    }
    return render(request, "shipping/partials/_order_panel.html", context)


@require_GET
@role_required(CS, WH, AC)
def customer_panel(request, customer_id: int):
    customer = found(customers_selectors.customer_get, customer_id)
    context = {"customer": customer, "shipments": selectors.shipments_for_customer(customer.pk)}
    return render(request, "shipping/partials/_customer_panel.html", context)
