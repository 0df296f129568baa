"""Suppliers: list, page with the products they sell us, create and edit."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import selectors as inventory_selectors
from oms.errors import NotFound, OmsError, add_to_form
from oms.htmx import is_partial
from oms.pagination import paginate
from oms.roles import Role, role_required
from purchasing import selectors, services
from purchasing.forms import SupplierForm, SupplierProductForm
from purchasing.services.suppliers import SUPPLIER_FIELDS

DETAIL_TEMPLATE = "purchasing/supplier_detail.html"


def _supplier_or_404(pk: int):
    try:
        return selectors.supplier_get(pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_GET
@role_required(Role.PURCHASING)
@vary_on_headers("HX-Request")
def supplier_list(request):
    q = (request.GET.get("q") or "").strip()[:100]
    page = paginate(selectors.supplier_list(q=q), request.GET, per_page=50, hx_target="#supplier-table")
    template = "purchasing/supplier_list.html"
    return render(request, f"{template}#supplier-table" if is_partial(request) else template, {"page": page, "q": q})


def _detail_context(supplier, product_form=None) -> dict:
    return {
        "supplier": supplier,
        "offers": list(selectors.supplier_products(supplier)),
        "product_form": product_form or SupplierProductForm(initial={"lead_time_days": None}),
    }


@require_GET
@role_required(Role.PURCHASING)
def supplier_detail(request, pk: int):
    return render(request, DETAIL_TEMPLATE, _detail_context(_supplier_or_404(pk)))


@require_http_methods(["GET", "POST"])
@role_required(Role.PURCHASING)
def supplier_edit(request, pk: int | None = None):
    supplier = _supplier_or_404(pk) if pk else None
    initial = {field: getattr(supplier, field) for field in SUPPLIER_FIELDS} if supplier else None
    form = SupplierForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.supplier_save(
                supplier_id=supplier.pk if supplier else None, user=request.user, **form.cleaned_data
            )
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": saved.name})
            return redirect("purchasing:supplier_detail", pk=saved.pk)
    return render(request, "purchasing/supplier_form.html", {"form": form, "supplier": supplier})


@require_POST
@role_required(Role.PURCHASING)
def supplier_product_save(request, pk: int):
    """Add or change what the supplier sells us (by our SKU); htmx swaps the products panel."""
    supplier = _supplier_or_404(pk)
    form = SupplierProductForm(request.POST)
    saved = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            product = inventory_selectors.product_get_by_sku(data.pop("sku").strip())
            services.supplier_product_save(supplier_id=supplier.pk, product_id=product.pk, user=request.user, **data)
            saved = True
        except OmsError as exc:
            add_to_form(form, exc)
    if not is_partial(request):
        if saved:
            messages.success(request, _("Saved."))
            return redirect("purchasing:supplier_detail", pk=supplier.pk)
        return render(request, DETAIL_TEMPLATE, _detail_context(supplier, form))
    return render(request, f"{DETAIL_TEMPLATE}#supplier-products", _detail_context(supplier, None if saved else form))


@require_POST
@role_required(Role.PURCHASING)
def supplier_product_remove(request, pk: int, offer_id: int):
    supplier = _supplier_or_404(pk)
    if offer_id in {offer.pk for offer in selectors.supplier_products(supplier)}:
        services.supplier_product_remove(supplier_product_id=offer_id, user=request.user)
    if is_partial(request):
        return render(request, f"{DETAIL_TEMPLATE}#supplier-products", _detail_context(supplier))
    return redirect("purchasing:supplier_detail", pk=supplier.pk)
