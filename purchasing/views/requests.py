"""The reorder queue: open requests grouped by supplier, quantities editable in place, the
selected ones turned into draft purchase orders (one per supplier and warehouse)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import selectors as inventory_selectors
from oms.errors import MultipleErrors, OmsError
from oms.htmx import is_partial
from oms.money import ZERO, quantize
from oms.pagination import paginate
from oms.roles import Role, role_required
from purchasing import selectors, services
from purchasing.forms import QuantityForm, RequestFilterForm
from purchasing.models import ReorderRequest

TEMPLATE = "purchasing/request_queue.html"
PER_PAGE = 100


@dataclass
class RequestRow:
    request: ReorderRequest
    available: int = 0
    incoming: int = 0
    error: str = ""
    selected: bool = False

    @property
    def amount(self) -> Decimal | None:
        cost = self.request.unit_cost
        return quantize(cost * self.request.quantity) if cost is not None else None


@dataclass
class SupplierGroup:
    """A supplier's rows on this page, with the count and cost of all its open requests."""

    supplier: object
    rows: list[RequestRow] = field(default_factory=list)
    count: int = 0
    total: Decimal = ZERO

    @property
    def key(self) -> str:
        return str(self.supplier.pk) if self.supplier else "none"


def _groups(rows: list[RequestRow]) -> list[SupplierGroup]:
    groups: list[SupplierGroup] = []
    for row in rows:
        if not groups or groups[-1].supplier != row.request.supplier:
            groups.append(SupplierGroup(row.request.supplier))
        groups[-1].rows.append(row)
    totals = selectors.open_request_totals({g.supplier.pk if g.supplier else None for g in groups})
    for group in groups:
        group.count, group.total = totals.get(group.supplier.pk if group.supplier else None, (0, ZERO))
    return groups


def _queue_context(request, *, selected: set[int] = frozenset(), errors: dict[int, str] | None = None) -> dict:
    warehouses = inventory_selectors.warehouses_all()
    form = RequestFilterForm(request.GET or None, suppliers=selectors.suppliers_active(), warehouses=warehouses)
    page = paginate(selectors.reorder_queue(**form.filters()), request.GET, per_page=PER_PAGE, hx_target="#queue")
    positions = selectors.positions_for_requests(page.rows)
    errors = errors or {}
    rows = [
        RequestRow(
            r,
            *positions.get((r.product_id, r.warehouse_id), (0, 0)),
            error=errors.get(r.pk, ""),
            selected=r.pk in selected,
        )
        for r in page.rows
    ]
    return {"form": form, "page": page, "groups": _groups(rows), "query": request.GET.urlencode()}


@require_GET
@role_required(Role.PURCHASING)
@vary_on_headers("HX-Request")
def request_queue(request):
    context = _queue_context(request)
    return render(request, f"{TEMPLATE}#queue" if is_partial(request) else TEMPLATE, context)


@require_POST
@role_required(Role.PURCHASING)
def request_update(request, pk: int):
    """Save one row's quantity (htmx, on change); answers with the row."""
    form = QuantityForm({"quantity": request.POST.get(f"qty_{pk}", request.POST.get("quantity"))})
    error = ""
    if form.is_valid():
        try:
            services.reorder_request_set_quantity(
                request_id=pk, quantity=form.cleaned_data["quantity"], user=request.user
            )
        except OmsError as exc:
            error = exc.message
    else:
        error = " ".join(form.errors["quantity"])
    reorder_request = selectors.reorder_request_get(pk)
    if not is_partial(request):
        if error:
            messages.error(request, error)
        return redirect("purchasing:requests")
    positions = selectors.positions_for_requests([reorder_request])
    row = RequestRow(reorder_request, *positions.get((reorder_request.product_id, reorder_request.warehouse_id)))
    row.error, row.selected = error, True
    (group,) = _groups([row])
    # The row, and the supplier's total out of band (it changed with the quantity).
    return render(request, f"{TEMPLATE}#request-row-and-total", {"row": row, "group": group, "oob": True})


@require_POST
@role_required(Role.PURCHASING)
def request_dismiss(request, pk: int):
    try:
        services.reorder_request_dismiss(request_id=pk, user=request.user)
    except OmsError as exc:
        messages.error(request, exc.message)
    if is_partial(request):
        return HttpResponse("")  # the row goes away
    return redirect("purchasing:requests")


@require_POST
@role_required(Role.PURCHASING)
def requests_order(request):
    """Turn the ticked requests (with the quantities in their boxes) into draft purchase orders."""
    ids, quantities, errors = _selection(request.POST)
    if not errors:
        try:
            orders = services.purchase_orders_create_from_requests(
                request_ids=ids, quantities=quantities, user=request.user
            )
        except OmsError as exc:
            errors = _errors_by_request(exc)
        else:
            numbers = ", ".join(po.number for po in orders)
            messages.success(
                request,
                ngettext("Drafted %(numbers)s.", "Drafted %(numbers)s.", len(orders)) % {"numbers": numbers}
                + " "
                + _("Check the lines and send when ready."),
            )
            if len(orders) == 1:
                return redirect("purchasing:po_detail", number=orders[0].number)
            return redirect(f"{_url('purchasing:po_list')}?status=draft")
    context = _queue_context(request, selected=set(ids), errors={k: v for k, v in errors.items() if k})
    context["order_errors"] = list(errors.values())
    return render(request, TEMPLATE, context)


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


def _selection(post) -> tuple[list[int], dict[int, int], dict[int, str]]:
    ids, quantities, errors = [], {}, {}
    for value in post.getlist("request"):
        try:
            pk = int(value)
        except ValueError:
            continue
        ids.append(pk)
        form = QuantityForm({"quantity": post.get(f"qty_{pk}")})
        if form.is_valid():
            quantities[pk] = form.cleaned_data["quantity"]
        elif post.get(f"qty_{pk}") is not None:
            errors[pk] = _("Quantity: %(error)s") % {"error": " ".join(form.errors["quantity"])}
    if not ids:
        errors[0] = _("Tick the requests to order first.")
    return ids, quantities, errors


def _errors_by_request(exc: OmsError) -> dict[int, str]:
    result: dict[int, str] = {}
    for error in exc.errors if isinstance(exc, MultipleErrors) else [exc]:
        field_name = error.field or ""
        key = int(field_name.rsplit(".", 1)[1]) if field_name.startswith("requests.") else 0
        result[key] = (result.get(key, "") + " " + error.message).strip()
    return result


@require_POST
@role_required(Role.PURCHASING)
def reorder_scan_run(request):
    """Run the reorder scan now (beat runs it every 15 minutes)."""
    created = services.reorder_scan()
    messages.success(
        request,
        ngettext("The scan raised %(n)d new request.", "The scan raised %(n)d new requests.", created) % {"n": created},
    )
    return redirect("purchasing:requests")
