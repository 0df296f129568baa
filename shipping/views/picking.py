"""The pick queue of a warehouse and batch pick lists (warehouse)."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import selectors as inventory_selectors
from oms.errors import OmsError
from oms.numbers import plain_int
from oms.pagination import paginate
from oms.roles import role_required
from shipping import documents
from shipping.forms import PickListForm
from shipping.selectors import fulfilment as selectors
from shipping.services import picking, stored_pdf
from shipping.views._common import WH, current_warehouse, found, page_or_fragment
from shipping.views._pdf import stored_pdf_response


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
    return [number for v in values if (number := plain_int(str(v))) is not None]


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


@require_GET
@role_required(WH)
@vary_on_headers("HX-Request")
def pick_list_pdf(request, pick_list_id: int):
    """The pick list's PDF: the stored file, or a page that waits for the worker's render, or a
    render in the request with tasks inline (``views._pdf.stored_pdf_response``)."""
    pick_list = found(selectors.pick_list_get, pick_list_id)
    rows, notes = selectors.pick_rows(pick_list), selectors.pick_list_notes(pick_list)
    render = partial(documents.pick_list_pdf, pick_list, rows, notes)
    queue = partial(stored_pdf.pdf_queue, picking.PDF_TASK, pick_list_id=pick_list.pk)
    return stored_pdf_response(request, "pick-list", pick_list, selectors.pick_list_pdf_stamp(pick_list), render, queue)
