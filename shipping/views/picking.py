"""The pick queue of a warehouse and batch pick lists (warehouse)."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import selectors as inventory_selectors
from oms.errors import OmsError
from oms.htmx import is_partial
from oms.pagination import paginate
from oms.roles import role_required
from shipping import documents
from shipping.forms import PickListForm
from shipping.selectors import fulfilment as selectors
from shipping.services import picking
from shipping.views._common import WH, current_warehouse, found, page_or_fragment


@require_GET
@role_required(WH)
@vary_on_headers("HX-Request")
def pick_queue(request):
    warehouse, warehouses = current_warehouse(request)
    context = {"warehouse": warehouse, "warehouses": warehouses, "active": "pick"}
    if warehouse is not None:
        page = paginate(selectors.pick_queue(warehouse.pk), request.GET, per_page=50, hx_target="#pick-queue")
        units = selectors.units_to_pick(page.rows, warehouse.pk)
        context.update(
            page=page,
            rows=[(order, units.get(order.pk)) for order in page.rows],
            pick_lists=selectors.pick_lists_recent(warehouse.pk),
            awaiting_payment=selectors.awaiting_payment(warehouse.pk),
        )
    return page_or_fragment(request, "shipping/pick_queue.html", "pick-queue", context)


@require_POST
@role_required(WH)
def pick_list_create(request):
    warehouse = found(_warehouse, request.POST.get("warehouse", ""))
    form = PickListForm(request.POST, order_ids=_ids(request.POST.getlist("orders")))
    if not form.is_valid():
        messages.error(request, _("Select the orders to pick."))
        return redirect(f"{reverse('shipping:pick_queue')}?warehouse={warehouse.code}")
    try:
        result = picking.pick_list_create(
            warehouse_id=warehouse.pk, order_ids=form.cleaned_data["orders"], user=request.user
        )
    except OmsError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('shipping:pick_queue')}?warehouse={warehouse.code}")
    for number, why in result.skipped:
        messages.warning(request, _("%(order)s left out: %(why)s") % {"order": number, "why": why})
    messages.success(request, _("Pick list %(number)s made.") % {"number": result.pick_list.number})
    return redirect("shipping:pick_list", pick_list_id=result.pick_list.pk)


def _warehouse(code: str):
    return inventory_selectors.warehouse_get_by_code(code)


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


@require_GET
@role_required(WH)
def pick_list_detail(request, pick_list_id: int):
    pick_list = found(selectors.pick_list_get, pick_list_id)
    context = {
        "pick_list": pick_list,
        "rows": selectors.pick_rows(pick_list),
        "orders": selectors.pick_list_orders(pick_list),
        "active": "pick",
    }
    return render(request, "shipping/pick_list.html", context)


# Polls of the preparing page before it offers to print in the request (no worker took the task).
PDF_POLLS_BEFORE_FALLBACK = 20


@require_GET
@role_required(WH)
@vary_on_headers("HX-Request")
def pick_list_pdf(request, pick_list_id: int):
    """The stored PDF when it still agrees with the pick list, at once. Otherwise, with a worker,
    the render is queued and a page polls until the file is there (its htmx polls get the status
    fragment); with tasks inline (or the broker away, or ``?now=1`` after a long wait) it renders
    in the request as before. The request only reads, so no transaction is open while it renders."""
    pick_list = found(selectors.pick_list_get, pick_list_id)
    stored = _stored_pdf(pick_list)
    if is_partial(request):
        polls = _int(request.GET.get("poll"))
        context = {"pick_list": pick_list, "ready": stored is not None, "polls": polls + 1,
                   "fallback": polls + 1 >= PDF_POLLS_BEFORE_FALLBACK}  # fmt: skip
        if stored is not None:
            stored.close()
        return render(request, "shipping/pick_list_pdf.html#pdf-status", context)
    if stored is not None:
        return FileResponse(stored, content_type="application/pdf", filename=f"{pick_list.number}.pdf")
    if (
        request.GET.get("now")
        or not picking.pdf_by_worker()
        or not picking.pick_list_pdf_queue(pick_list_id=pick_list.pk)
    ):
        data = documents.pick_list_pdf(pick_list, selectors.pick_rows(pick_list), selectors.pick_list_notes(pick_list))
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{pick_list.number}.pdf"'
        return response
    context = {"pick_list": pick_list, "ready": False, "polls": 0, "fallback": False, "active": "pick"}
    return render(request, "shipping/pick_list_pdf.html", context)


def _stored_pdf(pick_list):
    """The open stored file when it was rendered from what the pick list shows now, else None."""
    if not pick_list.pdf or pick_list.pdf_stamp != selectors.pick_list_pdf_stamp(pick_list):
        return None
    try:
        return default_storage.open(pick_list.pdf.name, "rb")
    except FileNotFoundError:  # replaced by a newer render meanwhile, or another host's storage
        return None


def _int(value) -> int:
    return int(value) if str(value).isdigit() else 0
