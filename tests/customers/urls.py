"""Test URLs: the project's, with stand-in customer panels for orders and billing (as those apps
will provide them), to check that the customer page loads whatever panels exist."""

from django.http import HttpResponse
from django.urls import URLResolver, include, path

from oms.urls import urlpatterns as project_urls


def panel(request, customer_id: int):
    return HttpResponse(f'<div class="card" id="stand-in-panel">panel for {customer_id}</div>')


def _panel_app(namespace: str):
    return include(([path("customers/<int:customer_id>/panel/", panel, name="customer_panel")], namespace))


urlpatterns = [
    path("test-orders/", _panel_app("orders")),
    path("test-billing/", _panel_app("billing")),
    *[p for p in project_urls if not (isinstance(p, URLResolver) and p.namespace in ("orders", "billing"))],
]
