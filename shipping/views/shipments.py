"""Shipments (warehouse and customer service): the list, a shipment with its hand-off tries and
tracking, its label, and the exception list of hand-offs that gave up (warehouse: retry or
unpack)."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from oms.errors import OmsError
from oms.numbers import plain_int
from oms.pagination import paginate
from oms.roles import role_required
from shipping import selectors as carrier_selectors
from shipping.models import ShipmentStatus
from shipping.selectors import fulfilment as selectors
from shipping.services import handoff, packing
from shipping.views._common import CS, WH, current_warehouse, found, page_or_fragment


@require_GET
@role_required(WH, CS)
@vary_on_headers("HX-Request")
def shipment_list(request):
    status = request.GET.get("status", "")
    status = status if status in ShipmentStatus.values else ""
    carrier_id = request.GET.get("carrier", "")
    handed_off = _day(request.GET.get("handed_off", ""))
    qs = selectors.shipment_list(
        status=status,
        carrier_id=plain_int(carrier_id),
        search=request.GET.get("q", "")[:60],
        handed_off_on=handed_off,
    )
    context = {
        "page": paginate(qs, request.GET, per_page=50, hx_target="#shipment-table"),
        "statuses": ShipmentStatus.choices,
        "carriers": carrier_selectors.carrier_list(),
        "status": status,
        "carrier_id": carrier_id,
        "q": request.GET.get("q", ""),
        "handed_off": handed_off,
        "active": "shipments",
    }
    return page_or_fragment(request, "shipping/shipment_list.html", "shipment-table", context)


def _day(value: str):
    """``?handed_off=2026-11-27`` -> that date; anything else -> None (no filter)."""
    try:
        return parse_date(value[:10])
    except ValueError:
        return None


@require_GET
@role_required(WH, CS)
@vary_on_headers("HX-Request")
def shipment_detail(request, shipment_id: int):
    """The page, or (htmx) its status region, which polls while the hand-off is under way."""
    shipment = found(selectors.shipment_get, shipment_id)
    context = {"shipment": shipment, "active": "shipments", "waiting": _waiting(shipment)}
    return page_or_fragment(request, "shipping/shipment_detail.html", "shipment-status", context)


def _waiting(shipment) -> bool:
    """Packed and due: a worker is about to hand it off (the page polls)."""
    return shipment.status == ShipmentStatus.PACKED and shipment.handoff_due_at is not None


@require_GET
@role_required(WH, CS)
def shipment_label(request, shipment_id: int):
    shipment = found(selectors.shipment_get, shipment_id)
    if not shipment.label or not default_storage.exists(shipment.label.name):
        raise Http404("This shipment has no label yet.")
    return FileResponse(
        default_storage.open(shipment.label.name, "rb"),
        content_type="application/pdf",
        filename=f"{shipment.number}-label.pdf",
    )


def _back(request, default: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@require_POST
@role_required(WH)
def shipment_retry(request, shipment_id: int):
    shipment = found(selectors.shipment_get, shipment_id)
    try:
        handoff.shipment_hand_off_retry(shipment_id=shipment.pk, user=request.user)
    except OmsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(number)s goes to %(carrier)s again.") % {
            "number": shipment.number, "carrier": shipment.carrier.name})  # fmt: skip
    return _back(request, "shipping:exceptions")


@require_POST
@role_required(WH)
def shipment_cancel(request, shipment_id: int):
    shipment = found(selectors.shipment_get, shipment_id)
    try:
        packing.shipment_cancel(shipment_id=shipment.pk, user=request.user)
    except OmsError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, _("%(number)s unpacked; the goods stay reserved for the order.") % {
            "number": shipment.number})  # fmt: skip
    return _back(request, "shipping:exceptions")


@require_GET
@role_required(WH)
def exception_list(request):
    warehouse, warehouses = current_warehouse(request)
    context = {
        "failed": selectors.shipment_exceptions(),
        "retrying": selectors.shipments_retrying(),
        "warehouse": warehouse,
        "active": "exceptions",
    }
    return render(request, "shipping/exception_list.html", context)
