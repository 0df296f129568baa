"""Purchase order list and page: lines, document state, receipts, timeline; send, cancel,
change a draft line, download the PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from oms.errors import NotFound, OmsError
from oms.htmx import is_partial
from oms.pagination import paginate
from oms.roles import Role, has_role, role_required
from purchasing import selectors, services
from purchasing.forms import CancelForm, LineQuantityForm, PurchaseOrderFilterForm, RescheduleForm

READ_ROLES = (Role.PURCHASING, Role.WAREHOUSE)
LIST_TEMPLATE = "purchasing/po_list.html"
DETAIL_TEMPLATE = "purchasing/po_detail.html"


def _po_or_404(number: str):
    try:
        return selectors.purchase_order_get(number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_GET
@role_required(*READ_ROLES)
@vary_on_headers("HX-Request")
def po_list(request):
    form = PurchaseOrderFilterForm(request.GET or None, suppliers=selectors.suppliers_active())
    page = paginate(selectors.purchase_order_list(**form.filters()), request.GET, per_page=50, hx_target="#po-table")
    context = {"form": form, "page": page}
    return render(request, f"{LIST_TEMPLATE}#po-table" if is_partial(request) else LIST_TEMPLATE, context)


def _detail_context(request, po, **extra) -> dict:
    context = {
        "po": po,
        "lines": list(po.lines.all()),
        "document": selectors.purchase_order_document_state(po),
        "receipts": selectors.purchase_order_receipts(po),
        "timeline": selectors.purchase_order_timeline(po),
        "can_buy": has_role(request.user, Role.PURCHASING),
        "can_receive": has_role(request.user, Role.WAREHOUSE) and po.can_receive,
        "cancel_form": CancelForm(),
    }
    context.update(extra)
    return context


@require_GET
@role_required(*READ_ROLES)
def po_detail(request, number: str):
    po = _po_or_404(number)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, po))


def _action(request, number: str, call, done: str):
    """Shared shape of send and cancel: one service call, then back to the page (errors as
    messages: the page shows them above the actions)."""
    po = _po_or_404(number)
    try:
        call(po)
    except OmsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"number": po.number})
    return redirect("purchasing:po_detail", number=po.number)


@require_POST
@role_required(Role.PURCHASING)
def po_send(request, number: str):
    def call(po):
        services.purchase_order_send(purchase_order_id=po.pk, user=request.user)

    return _action(request, number, call, _("%(number)s is sent; the PDF goes to the supplier by e-mail."))


@require_POST
@role_required(Role.PURCHASING)
def po_cancel(request, number: str):
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""

    def call(po):
        services.purchase_order_cancel(purchase_order_id=po.pk, user=request.user, reason=reason)

    return _action(request, number, call, _("%(number)s is cancelled."))


@require_POST
@role_required(Role.PURCHASING)
def po_reschedule(request, number: str):
    """The supplier's new delivery date; the customer orders waiting for it are re-promised."""
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the new expected date."))
        return redirect("purchasing:po_detail", number=number)

    def call(po):
        services.purchase_order_reschedule(
            purchase_order_id=po.pk,
            expected_date=form.cleaned_data["expected_date"],
            user=request.user,
            reason=form.cleaned_data["reason"],
        )

    return _action(request, number, call, _("%(number)s is now expected on the new date."))


@require_POST
@role_required(Role.PURCHASING)
def po_document_resend(request, number: str):
    def call(po):
        services.purchase_order_document_resend(purchase_order_id=po.pk, user=request.user)

    return _action(request, number, call, _("The document of %(number)s is queued to be sent again."))


@require_POST
@role_required(Role.PURCHASING)
def po_line_update(request, number: str, line_id: int):
    """Change a draft line's quantity (0 removes it); htmx swaps the lines table."""
    po = _po_or_404(number)
    if line_id not in {line.pk for line in po.lines.all()}:
        raise Http404(_("No such line on this purchase order."))
    form = LineQuantityForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.purchase_order_line_set_quantity(
                line_id=line_id, quantity=form.cleaned_data["quantity"], user=request.user
            )
        except OmsError as exc:
            error = exc.message
    else:
        error = " ".join(form.errors["quantity"])
    if not is_partial(request):
        if error:
            messages.error(request, error)
        return redirect("purchasing:po_detail", number=po.number)
    po = _po_or_404(number)
    return render(request, f"{DETAIL_TEMPLATE}#po-lines", _detail_context(request, po, line_error=error))


@require_GET
@role_required(*READ_ROLES)
def po_pdf(request, number: str):
    po = _po_or_404(number)
    pdf = selectors.purchase_order_pdf(po)
    if pdf is None:
        raise Http404(_("The PDF is made when the purchase order is sent."))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{po.number}.pdf"'
    return response
