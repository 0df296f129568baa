"""Carrier, service-level, rate and holiday screens (warehouse and manager; prices: manager)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from oms.errors import NotFound, OmsError, add_to_form
from oms.htmx import is_partial
from oms.roles import Role, has_role, role_required
from shipping import selectors, services
from shipping.forms import (
    CarrierForm,
    FreeShippingForm,
    HolidayForm,
    HolidayLoadForm,
    RatesForm,
    ServiceLevelForm,
    format_brackets,
    format_postcode_ranges,
)
from shipping.models import CarrierKind
from shipping.zones import Zone

WAREHOUSE = Role.WAREHOUSE
# Prices charged to customers are a commercial decision: ``role_required()`` with no role lets only
# managers (and superusers) through.
PRICING: tuple[str, ...] = ()


def _found(load, *args):
    try:
        return load(*args)
    except NotFound as exc:
        raise Http404(exc.message) from exc


# --- carriers and services -----------------------------------------------------------------------


@require_GET
@role_required(WAREHOUSE)
def carrier_list(request):
    return render(request, "shipping/carrier_list.html", {"carriers": selectors.carrier_list()})


@require_http_methods(["GET", "POST"])
@role_required(WAREHOUSE)
def carrier_edit(request, carrier_id: int | None = None):
    carrier = _found(selectors.carrier_get, carrier_id) if carrier_id else None
    form = CarrierForm(request.POST or None, initial=_carrier_initial(carrier))
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.carrier_save(user=request.user, carrier_id=carrier_id, **form.service_kwargs())
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Carrier %(name)s saved.") % {"name": saved.name})
            return redirect("shipping:carriers")
    return render(request, "shipping/carrier_form.html", {"form": form, "carrier": carrier})


def _carrier_initial(carrier) -> dict:
    if carrier is None:
        return {"kind": CarrierKind.EXTERNAL, "adapter": "generic", "active": True, "sort_order": 0}
    return {
        "code": carrier.code,
        "name": carrier.name,
        "kind": carrier.kind,
        "active": carrier.active,
        "tracking_url_template": carrier.tracking_url_template,
        "api_endpoint": carrier.api_endpoint,
        "adapter": carrier.adapter,
        "options": json.dumps(carrier.options, indent=1) if carrier.options else "",
        "sort_order": carrier.sort_order,
        "postcode_ranges": format_postcode_ranges(carrier.postcode_ranges.all()),
    }


@require_http_methods(["GET", "POST"])
@role_required(WAREHOUSE)
def service_edit(request, carrier_id: int, service_id: int | None = None):
    carrier = _found(selectors.carrier_get, carrier_id)
    service = _found(selectors.service_level_get, service_id) if service_id else None
    if service is not None and service.carrier_id != carrier.pk:
        raise Http404("No such service level.")
    initial = {"code": service.code, "name": service.name, "transit_days": service.transit_days,
               "active": service.active, "free_shipping": service.free_shipping,
               "to_pickup_point": service.to_pickup_point} if service else {
        "transit_days": 1, "active": True, "free_shipping": True}  # fmt: skip
    form = ServiceLevelForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.service_level_save(
                user=request.user, carrier_id=carrier.pk, service_id=service_id, **form.cleaned_data
            )
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Service %(name)s saved.") % {"name": str(saved)})
            return redirect("shipping:carriers")
    return render(request, "shipping/service_form.html", {"form": form, "carrier": carrier, "service": service})


# --- rates ---------------------------------------------------------------------------------------


@require_GET
@role_required(WAREHOUSE)
def rate_table(request):
    free = selectors.free_shipping_thresholds()
    table = selectors.rate_table()
    services = [service for carrier in selectors.carrier_list() for service in carrier.services.all()]
    zones = []
    for zone in Zone:
        rows = table[zone.value]
        present = {row.service.pk for row in rows}
        zones.append(
            {
                "code": zone.value,
                "label": zone.label,
                "rows": rows,
                "free_from": free.get(zone.value),
                "addable": [service for service in services if service.pk not in present],
            }
        )
    return render(request, "shipping/rate_table.html", {"zones": zones, "can_price": has_role(request.user, *PRICING)})


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
@role_required(*PRICING)
def rates_edit(request, service_id: int, zone: str):
    """One service's brackets for one zone, edited in place on the rate table (htmx) or as a page."""
    service = _found(selectors.service_level_get, service_id)
    if zone not in Zone.values:
        raise Http404("No such zone.")
    rows = selectors.rate_table()[zone]
    current = next((row.rates for row in rows if row.service.pk == service.pk), [])
    form = RatesForm(request.POST or None, initial={"brackets": format_brackets(current)})
    if request.method == "POST" and form.is_valid():
        try:
            rates = services.rates_set(
                user=request.user, service_id=service.pk, zone=zone, brackets=form.cleaned_data["brackets"]
            )
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            if is_partial(request):
                row = selectors.RateRow(service, zone, rates)
                context = {"row": row, "zone_code": zone, "can_price": True}
                return render(request, "shipping/rate_table.html#rate-row", context)
            messages.success(request, _("Rates of %(service)s saved.") % {"service": str(service)})
            return redirect("shipping:rates")
    context = {"form": form, "service": service, "zone": zone, "zone_label": Zone(zone).label}
    template = "shipping/rates_form.html#rates-form" if is_partial(request) else "shipping/rates_form.html"
    return render(request, template, context)


@require_POST
@role_required(*PRICING)
def free_shipping_edit(request, zone: str):
    if zone not in Zone.values:
        raise Http404("No such zone.")
    form = FreeShippingForm(request.POST)
    if form.is_valid():
        try:
            services.free_shipping_set(user=request.user, zone=zone, min_order_net=form.cleaned_data["min_order_net"])
        except OmsError as exc:
            add_to_form(form, exc)
    if form.errors:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        messages.success(request, _("Free shipping for %(zone)s saved.") % {"zone": Zone(zone).label})
    return redirect("shipping:rates")


# --- holidays ------------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
@role_required(WAREHOUSE)
def holiday_list(request):
    country = request.GET.get("country", "").upper()[:2]
    year = _year(request.GET.get("year"))
    form = HolidayForm(request.POST or None, initial={"country": country or "NL"})
    if request.method == "POST" and form.is_valid():
        try:
            services.holiday_add(user=request.user, **form.cleaned_data)
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Holiday added."))
            return redirect(request.get_full_path())
    context = {
        "form": form,
        "load_form": HolidayLoadForm(initial={"country": "NL", "year": year}),
        "holidays": selectors.holiday_list(country=country, year=year),
        "countries": selectors.holiday_countries(),
        "missing": selectors.holiday_years_missing([timezone.localdate().year, timezone.localdate().year + 1]),
        "country": country,
        "year": year,
        "years": range(year - 1, year + 3),
    }
    template = "shipping/holiday_list.html#holiday-table" if is_partial(request) else "shipping/holiday_list.html"
    return render(request, template, context)


def _year(value) -> int:
    try:
        return max(2000, min(int(value), 2100))
    except (TypeError, ValueError):
        return timezone.localdate().year


@require_POST
@role_required(WAREHOUSE)
def holiday_delete(request, holiday_id: int):
    try:
        services.holiday_delete(user=request.user, holiday_id=holiday_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("Holiday removed."))
    return redirect(_holidays_url(request.POST.get("country", ""), request.POST.get("year")))


@require_POST
@role_required(WAREHOUSE)
def holidays_load(request):
    form = HolidayLoadForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a country and a year."))
        return redirect("shipping:holidays")
    added = services.holidays_load_public(
        user=request.user, country=form.cleaned_data["country"], years=[form.cleaned_data["year"]]
    )
    messages.success(request, _("%(count)s public holidays added.") % {"count": added})
    return redirect(_holidays_url(form.cleaned_data["country"], form.cleaned_data["year"]))


def _holidays_url(country: str, year) -> str:
    query = urlencode({"country": country.upper()[:2], "year": _year(year)})
    return f"{reverse('shipping:holidays')}?{query}"
