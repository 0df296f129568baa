"""Helpers of the fulfilment pages: the warehouse being worked in, 404s, page or fragment."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect

from inventory import selectors as inventory_selectors
from oms.errors import NotFound
from oms.htmx import is_partial
from oms.roles import Role

WH, CS, AC = Role.WAREHOUSE, Role.CUSTOMER_SERVICE, Role.ACCOUNTING
SESSION_WAREHOUSE = "shipping_warehouse"


def current_warehouse(request):
    """The warehouse chosen with ``?warehouse=CODE`` (remembered in the session), else the first
    active one; and all active warehouses for the switcher."""
    warehouses = inventory_selectors.warehouses_active()
    code = request.GET.get("warehouse") or request.POST.get("warehouse") or request.session.get(SESSION_WAREHOUSE)
    code = code or ""
    chosen = next((w for w in warehouses if w.code == code.upper()), warehouses[0] if warehouses else None)
    if chosen is not None and request.session.get(SESSION_WAREHOUSE) != chosen.code:
        request.session[SESSION_WAREHOUSE] = chosen.code
    return chosen, warehouses


def found(load, *args):
    try:
        return load(*args)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def page_or_fragment(request, template: str, fragment: str, context: dict) -> HttpResponse:
    return render(request, f"{template}#{fragment}" if is_partial(request) else template, context)


def redirect_htmx_aware(request, url: str) -> HttpResponse:
    """A redirect that htmx follows as a full navigation."""
    if getattr(request, "htmx", None):
        return HttpResponseClientRedirect(url)
    return redirect(url)
