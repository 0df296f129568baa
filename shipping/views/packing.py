"""The pack screen (warehouse): open a box for an order, scan its items with the keyboard or a
scanner (Enter after each code), give the weight and the parcels, close it. Closing queues the
carrier hand-off; the shipment page shows it land."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from oms.errors import NotFound, OmsError, add_to_form
from oms.htmx import is_partial
from oms.roles import role_required
from orders import selectors as orders_selectors
from shipping import selectors as carrier_selectors
from shipping.forms import OrderNumberForm, PackCloseForm, ScanForm, format_kg
from shipping.models import ShipmentStatus
from shipping.selectors import fulfilment as selectors
from shipping.services import packing
from shipping.views._common import WH, current_warehouse, found, redirect_htmx_aware


@require_http_methods(["GET", "POST"])
@role_required(WH)
def pack_start(request):
    """The orders being picked here, and a box for the order number typed or scanned."""
    warehouse, warehouses = current_warehouse(request)
    form = OrderNumberForm(request.POST or None)
    if request.method == "POST" and warehouse is not None and form.is_valid():
        try:
            order = orders_selectors.order_get_by_number(form.cleaned_data["order"])
            shipment = packing.shipment_start(order_id=order.pk, warehouse_id=warehouse.pk, user=request.user)
        except NotFound as exc:
            form.add_error("order", exc.message)
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            return redirect("shipping:pack_screen", shipment_id=shipment.pk)
    context = {
        "form": form,
        "warehouse": warehouse,
        "warehouses": warehouses,
        "orders": selectors.orders_to_pack(warehouse.pk) if warehouse else [],
        "active": "pack",
    }
    return render(request, "shipping/pack_start.html", context)


def _services():
    return [service for carrier in carrier_selectors.carrier_list() if carrier.active
            for service in carrier.services.all() if service.active]  # fmt: skip


def _context(shipment, *, scan_form=None, close_form=None, feedback=None) -> dict:
    lines = list(shipment.lines.all())
    return {
        "shipment": shipment,
        "lines": lines,
        "complete": all(line.quantity >= line.quantity_expected for line in lines),
        "scanned": sum(line.quantity for line in lines),
        "expected": sum(line.quantity_expected for line in lines),
        "scan_form": scan_form or ScanForm(),
        "close_form": close_form
        or PackCloseForm(initial={"weight": format_kg(shipment.weight_grams), "parcels": 1}, services=_services()),
        "feedback": feedback,
        "active": "pack",
    }


@require_http_methods(["GET"])
@role_required(WH)
def pack_screen(request, shipment_id: int):
    shipment = found(selectors.shipment_for_packing, shipment_id)
    if shipment.status != ShipmentStatus.PENDING:
        return redirect("shipping:shipment_detail", shipment_id=shipment.pk)
    return render(request, "shipping/pack_screen.html", _context(shipment))


@require_POST
@role_required(WH)
@vary_on_headers("HX-Request")
def pack_scan(request, shipment_id: int):
    """One scan: the lines come back with what happened (htmx), or the page (no JavaScript)."""
    form = ScanForm(request.POST)
    feedback = None
    if form.is_valid():
        try:
            result = packing.shipment_scan(
                shipment_id=shipment_id,
                code=form.cleaned_data["code"],
                quantity=form.cleaned_data["quantity"],
                user=request.user,
            )
        except OmsError as exc:
            feedback = {"ok": False, "message": exc.message}
        else:
            line = result.line
            feedback = {"ok": True, "message": f"{line.sku}: {line.quantity}/{line.quantity_expected}",
                        "line_id": line.pk, "complete": result.complete}  # fmt: skip
    else:
        feedback = {"ok": False, "message": _("Scan a barcode or type a SKU.")}
    return _lines_response(request, shipment_id, feedback)


def _lines_response(request, shipment_id: int, feedback: dict | None):
    shipment = found(selectors.shipment_for_packing, shipment_id)
    if not is_partial(request):
        if feedback:
            (messages.success if feedback["ok"] else messages.error)(request, feedback["message"])
        return redirect("shipping:pack_screen", shipment_id=shipment_id)
    return render(request, "shipping/pack_screen.html#pack-lines", _context(shipment, feedback=feedback))


@require_POST
@role_required(WH)
@vary_on_headers("HX-Request")
def pack_line(request, shipment_id: int, line_id: int):
    """Correct a count (an item taken out of the box again)."""
    try:
        quantity = int(request.POST.get("quantity", ""))
        line = packing.shipment_line_set(shipment_id=shipment_id, line_id=line_id, quantity=quantity, user=request.user)
    except ValueError:
        feedback = {"ok": False, "message": _("Give a whole number.")}
    except OmsError as exc:
        feedback = {"ok": False, "message": exc.message}
    else:
        feedback = {"ok": True, "message": f"{line.sku}: {line.quantity}/{line.quantity_expected}", "line_id": line.pk}
    return _lines_response(request, shipment_id, feedback)


@require_POST
@role_required(WH)
@vary_on_headers("HX-Request")
def pack_close(request, shipment_id: int):
    """Close the box: on success to the shipment page (the hand-off is on its way)."""
    shipment = found(selectors.shipment_for_packing, shipment_id)
    form = PackCloseForm(request.POST, services=_services())
    if form.is_valid():
        try:
            packing.shipment_pack(
                shipment_id=shipment.pk,
                weight_grams=form.cleaned_data["weight"],
                parcel_count=form.cleaned_data["parcels"],
                service_id=form.cleaned_data["service"],
                user=request.user,
            )
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("%(number)s packed.") % {"number": shipment.number})
            return redirect_htmx_aware(request, reverse("shipping:shipment_detail", args=[shipment.pk]))
    context = _context(shipment, close_form=form)
    template = "shipping/pack_screen.html#pack-close" if is_partial(request) else "shipping/pack_screen.html"
    return render(request, template, context)


@require_POST
@role_required(WH)
def pack_cancel(request, shipment_id: int):
    """Leave the box unpacked: the goods go back on the shelf, still reserved for the order."""
    shipment = found(selectors.shipment_for_packing, shipment_id)
    try:
        packing.shipment_cancel(shipment_id=shipment.pk, user=request.user)
    except OmsError as exc:
        messages.error(request, exc.message)
        return redirect("shipping:pack_screen", shipment_id=shipment.pk)
    messages.info(request, _("%(number)s cancelled; the goods stay reserved.") % {"number": shipment.number})
    return redirect(f"{reverse('shipping:pack')}?warehouse={shipment.warehouse.code}")
