"""Returns: customer service or the warehouse registers what a customer sends back; the
warehouse receives it into stock or scraps it."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import selectors as inventory_selectors
from oms.errors import NotFound, OmsError, add_to_form
from oms.pagination import paginate
from oms.roles import role_required
from orders import selectors as orders_selectors
from shipping.forms import OrderNumberForm, ReturnForm, ReturnReceiveForm
from shipping.models import ReturnReason, ReturnStatus
from shipping.selectors import fulfilment as selectors
from shipping.services import return_labels, returns
from shipping.views._common import CS, WH, found, page_or_fragment


@require_GET
@role_required(WH, CS)
@vary_on_headers("HX-Request")
def return_list(request):
    status = request.GET.get("status", "")
    status = status if status in ReturnStatus.values else ""
    qs = selectors.return_list(status=status, search=request.GET.get("q", "")[:60])
    context = {
        "page": paginate(qs, request.GET, per_page=50, hx_target="#return-table"),
        "statuses": ReturnStatus.choices,
        "status": status,
        "q": request.GET.get("q", ""),
        "find_form": OrderNumberForm(),
        "active": "returns",
    }
    return page_or_fragment(request, "shipping/return_list.html", "return-table", context)


@require_http_methods(["GET", "POST"])
@role_required(WH, CS)
def return_new(request):
    """``?order=SO-000123``: the order's shipped lines, how many may come back, and why."""
    number = request.GET.get("order", "").strip()
    try:
        order = orders_selectors.order_get_by_number(number)
    except NotFound:
        message = _("No order %(number)s.") % {"number": number} if number else _("Give an order number.")
        messages.error(request, message)
        return redirect("shipping:returns")
    left = returns.returnable_quantities(order)
    lines = [(line, left[line.pk]) for line in order.lines.all() if line.pk in left]
    shipments = [s for s in selectors.shipments_for_order(order.pk) if s.tracking_number]
    form = ReturnForm(request.POST or None, lines=lines, reasons=ReturnReason.choices, shipments=shipments)
    if request.method == "POST" and form.is_valid():
        try:
            ret = returns.return_register(
                order_id=order.pk,
                lines=form.cleaned_data["lines"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                shipment_id=form.cleaned_data["shipment"],
                user=request.user,
            )
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Return %(number)s registered.") % {"number": ret.number})
            return redirect("shipping:return_detail", return_id=ret.pk)
    context = {"order": order, "form": form, "nothing": not lines, "active": "returns"}
    return render(request, "shipping/return_form.html", context)


@require_GET
@role_required(WH, CS)
def return_detail(request, return_id: int):
    ret = found(selectors.return_get, return_id)
    warehouses = inventory_selectors.warehouses_active()
    initial = {"warehouse": str(ret.shipment.warehouse_id)} if ret.shipment else {}
    context = {
        "ret": ret,
        "receive_form": ReturnReceiveForm(initial=initial, warehouses=warehouses),
        "active": "returns",
    }
    return render(request, "shipping/return_detail.html", context)


@require_POST
@role_required(WH)
def return_receive(request, return_id: int):
    form = ReturnReceiveForm(request.POST, warehouses=inventory_selectors.warehouses_active())
    if not form.is_valid():
        messages.error(request, _("Choose the warehouse."))
        return redirect("shipping:return_detail", return_id=return_id)
    return _process(request, return_id, returns.return_receive, _("received into stock"),
                    warehouse_id=int(form.cleaned_data["warehouse"]))  # fmt: skip


@require_POST
@role_required(WH)
def return_scrap(request, return_id: int):
    return _process(request, return_id, returns.return_scrap, _("scrapped"))


@require_POST
@role_required(WH, CS)
def return_cancel(request, return_id: int):
    return _process(request, return_id, returns.return_cancel, _("cancelled"))


def _process(request, return_id: int, service, done: str, **kwargs):
    try:
        ret = service(return_id=return_id, user=request.user, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except OmsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{ret.number} {done}.")
    return redirect("shipping:return_detail", return_id=return_id)


@require_GET
@role_required(WH, CS)
def return_label(request, return_id: int):
    ret = found(selectors.return_get, return_id)
    if not ret.label_file or not default_storage.exists(ret.label_file.name):
        raise Http404("This return has no label.")
    return FileResponse(
        default_storage.open(ret.label_file.name, "rb"),
        content_type="application/pdf",
        filename=f"{ret.number}-return-label.pdf",
    )


@require_POST
@role_required(WH, CS)
def return_label_retry(request, return_id: int):
    if return_labels.return_label_retry(return_id=return_id):
        messages.success(request, _("The carrier is asked for the return label again."))
    else:
        messages.error(request, _("This return's label is not waiting for a retry."))
    return redirect("shipping:return_detail", return_id=return_id)
