"""Goods receipt for the warehouse: find the purchase order (type or scan its number), then
type or scan what arrived per line and post it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from oms.errors import MultipleErrors, NotFound, OmsError
from oms.htmx import is_partial
from oms.pagination import paginate
from oms.roles import Role, role_required
from purchasing import selectors, services
from purchasing.forms import ReceiptForm

QUEUE_TEMPLATE = "purchasing/receipt_queue.html"
FORM_TEMPLATE = "purchasing/receipt_form.html"


@require_GET
@role_required(Role.WAREHOUSE)
@vary_on_headers("HX-Request")
def receipt_queue(request):
    """Purchase orders waiting for goods, earliest expected first. A scanned or typed purchase
    order number that matches one goes straight to its receipt form."""
    q = (request.GET.get("q") or "").strip()[:50]
    if q and not is_partial(request):
        try:
            po = selectors.purchase_order_get(q)
        except NotFound:
            po = None
        if po is not None and po.can_receive:
            return redirect("purchasing:receipt_create", number=po.number)
    expected = _day(request.GET.get("expected", ""))
    page = paginate(
        selectors.receipt_queue(q=q, expected=expected), request.GET, per_page=50, hx_target="#receipt-table"
    )
    context = {"page": page, "q": q, "expected": expected}
    return render(request, f"{QUEUE_TEMPLATE}#receipt-table" if is_partial(request) else QUEUE_TEMPLATE, context)


def _day(value: str):
    """``?expected=2026-11-27`` -> that date; anything else -> None (no filter)."""
    try:
        return parse_date(value[:10])
    except ValueError:
        return None


def _po_or_404(number: str):
    try:
        return selectors.purchase_order_get(number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_http_methods(["GET", "POST"])
@role_required(Role.WAREHOUSE)
@vary_on_headers("HX-Request")
def receipt_create(request, number: str):
    po = _po_or_404(number)
    lines = list(po.lines.all())
    if request.method == "GET":
        return _render(request, po, ReceiptForm(lines=lines))
    form = ReceiptForm(request.POST, lines=lines)
    if request.POST.get("action") == "post":
        return _post(request, po, form)
    return _scan(request, po, form, lines)


def _render(request, po, form, *, scanned: str = ""):
    context = {"po": po, "form": form, "scanned": scanned, "can_receive": po.can_receive}
    return render(request, f"{FORM_TEMPLATE}#receipt-form" if is_partial(request) else FORM_TEMPLATE, context)


def _scan(request, po, form, lines):
    """Add one to the line whose barcode, SKU or supplier SKU was scanned; the quantities typed
    so far come back as they were."""
    code = (request.POST.get("scan") or "").strip()
    data = request.POST.copy()
    data["scan"] = ""
    scanned = ""
    if code:
        line = _line_for(code, lines)
        if line is None:
            form = ReceiptForm(data, lines=lines)
            form.is_valid()
            form.add_error(
                "scan", _("No line of %(po)s has the barcode or SKU “%(code)s”.") % {"po": po.number, "code": code}
            )
            return _render(request, po, form)
        field_name = f"line_{line.pk}"
        data[field_name] = str(_int(data.get(field_name)) + 1)
        scanned = _("%(sku)s: %(count)s") % {"sku": line.sku, "count": data[field_name]}
    return _render(request, po, ReceiptForm(data, lines=lines), scanned=scanned)


def _line_for(code: str, lines):
    upper = code.upper()
    for line in lines:
        if code == (line.product.barcode or "") or upper == line.sku.upper() or upper == line.supplier_sku.upper():
            return line
    return None


def _int(value) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def _post(request, po, form):
    if form.is_valid():
        try:
            services.goods_receipt_post(
                purchase_order_id=po.pk,
                quantities=form.quantities(),
                user=request.user,
                key=form.cleaned_data["key"],
                note=form.cleaned_data["note"],
            )
        except OmsError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Receipt for %(po)s booked into stock.") % {"po": po.number})
            url = reverse("purchasing:po_detail", kwargs={"number": po.number})
            return HttpResponseClientRedirect(url) if is_partial(request) else redirect(url)
    return _render(request, po, form)


def _add_errors(form, exc: OmsError) -> None:
    """``lines.<id>`` errors go on that line's quantity box, the rest on top of the form."""
    for error in exc.errors if isinstance(exc, MultipleErrors) else [exc]:
        field_name = (error.field or "").replace("lines.", "line_")
        form.add_error(field_name if field_name in form.fields else None, error.message)
