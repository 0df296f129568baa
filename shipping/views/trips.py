"""The own fleet (warehouse): vehicles, planning delivery trips by capacity, the trip with its
stops (delivered / not delivered), dispatching and the driver's manifest."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import selectors as inventory_selectors
from oms.errors import OmsError, add_to_form
from oms.numbers import plain_int
from oms.roles import role_required
from shipping import documents
from shipping import selectors as carrier_selectors
from shipping.forms import StopForm, TripPlanForm, VehicleForm, format_kg
from shipping.selectors import fulfilment as selectors
from shipping.services import stored_pdf, trips
from shipping.views._common import WH, found
from shipping.views._pdf import stored_pdf_response


@require_GET
@role_required(WH)
def vehicle_list(request):
    return render(request, "shipping/vehicle_list.html", {"vehicles": selectors.vehicle_list(), "active": "trips"})


@require_http_methods(["GET", "POST"])
@role_required(WH)
def vehicle_edit(request, vehicle_id: int | None = None):
    vehicle = found(selectors.vehicle_get, vehicle_id) if vehicle_id else None
    carriers = [c for c in carrier_selectors.carrier_list() if c.is_own_fleet]
    initial = _vehicle_initial(vehicle)
    form = VehicleForm(
        request.POST or None, initial=initial, carriers=carriers, warehouses=inventory_selectors.warehouses_active()
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = trips.vehicle_save(user=request.user, vehicle_id=vehicle_id, **form.service_kwargs())
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Vehicle %(name)s saved.") % {"name": saved.name})
            return redirect("shipping:vehicles")
    return render(request, "shipping/vehicle_form.html", {"form": form, "vehicle": vehicle, "active": "trips"})


def _vehicle_initial(vehicle) -> dict:
    if vehicle is None:
        return {"active": True}
    return {
        "code": vehicle.code, "name": vehicle.name, "registration": vehicle.registration,
        "carrier": str(vehicle.carrier_id), "warehouse": str(vehicle.warehouse_id),
        "capacity": format_kg(vehicle.capacity_grams), "active": vehicle.active,
    }  # fmt: skip


@require_GET
@role_required(WH)
def trip_list(request):
    vehicles = selectors.vehicle_list(active_only=True)
    vehicle = next((v for v in vehicles if str(v.pk) == request.GET.get("vehicle")), vehicles[0] if vehicles else None)
    waiting = selectors.trip_waiting(vehicle) if vehicle else []
    form = TripPlanForm(
        initial={"vehicle": str(vehicle.pk) if vehicle else "", "day": timezone.localdate()},
        vehicles=vehicles,
        shipment_ids=[s.pk for s in waiting],
    )
    context = {
        "trips": selectors.trip_list(),
        "vehicles": vehicles,
        "vehicle": vehicle,
        "waiting": waiting,
        "waiting_weight": sum(s.weight_grams for s in waiting),
        "form": form,
        "active": "trips",
    }
    return render(request, "shipping/trip_list.html", context)


@require_POST
@role_required(WH)
def trip_plan(request):
    vehicles = selectors.vehicle_list(active_only=True)
    ids = [number for v in request.POST.getlist("shipments") if (number := plain_int(v)) is not None]
    form = TripPlanForm(request.POST, vehicles=vehicles, shipment_ids=ids)
    if not form.is_valid():
        messages.error(request, _("Choose a vehicle and a date."))
        return redirect("shipping:trips")
    try:
        trip = trips.trip_plan(
            vehicle_id=int(form.cleaned_data["vehicle"]),
            day=form.cleaned_data["day"],
            shipment_ids=form.cleaned_data["shipments"] or None,
            user=request.user,
        )
    except OmsError as exc:
        messages.error(request, exc.message)
        return redirect(f"{_trips_url()}?vehicle={form.cleaned_data['vehicle']}")
    messages.success(request, _("Trip %(number)s planned with %(count)s stops.") % {
        "number": trip.number, "count": trip.stops.count()})  # fmt: skip
    return redirect("shipping:trip_detail", trip_id=trip.pk)


def _trips_url() -> str:
    return reverse("shipping:trips")


@require_GET
@role_required(WH)
def trip_detail(request, trip_id: int):
    trip = found(selectors.trip_get, trip_id)
    return render(request, "shipping/trip_detail.html", {"trip": trip, "stop_form": StopForm(), "active": "trips"})


@require_POST
@role_required(WH)
def trip_dispatch(request, trip_id: int):
    try:
        trip = trips.trip_dispatch(trip_id=trip_id, user=request.user)
    except OmsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(number)s is on the road.") % {"number": trip.number})
    return redirect("shipping:trip_detail", trip_id=trip_id)


@require_POST
@role_required(WH)
def trip_cancel(request, trip_id: int):
    try:
        trip = trips.trip_cancel(trip_id=trip_id, user=request.user)
    except OmsError as exc:
        messages.error(request, exc.message)
        return redirect("shipping:trip_detail", trip_id=trip_id)
    messages.info(request, _("%(number)s called off; its shipments wait for another trip.") % {"number": trip.number})
    return redirect("shipping:trips")


@require_POST
@role_required(WH)
def trip_stop(request, stop_id: int):
    form = StopForm(request.POST)
    trip_id = request.POST.get("trip", "")
    if form.is_valid():
        try:
            trips.trip_stop_complete(
                stop_id=stop_id,
                delivered=form.cleaned_data["outcome"] == "delivered",
                note=form.cleaned_data["note"],
                user=request.user,
            )
        except OmsError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Say whether the stop was delivered."))
    trip = plain_int(trip_id)
    return redirect("shipping:trip_detail", trip_id=trip) if trip is not None else redirect("shipping:trips")


@require_GET
@role_required(WH)
@vary_on_headers("HX-Request")
def trip_manifest(request, trip_id: int):
    """The driver's manifest: the stored file, or a page that waits for the worker's render, or a
    render in the request with tasks inline (``views._pdf.stored_pdf_response``)."""
    trip = found(selectors.trip_get, trip_id)
    render = partial(documents.trip_manifest_pdf, trip, list(trip.stops.all()))
    queue = partial(stored_pdf.pdf_queue, trips.MANIFEST_TASK, trip_id=trip.pk)
    return stored_pdf_response(request, "manifest", trip, selectors.trip_manifest_stamp(trip), render, queue)
