"""The product page (levels, incoming, movement history, adjust/count/transfer forms) and
product create/edit."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from inventory import selectors, services
from inventory.forms import AdjustForm, CountForm, ProductForm, ReorderForm, TransferForm
from inventory.views.stock import READ_ROLES
from oms.errors import NotFound, OmsError, add_to_form
from oms.htmx import is_partial
from oms.pagination import paginate
from oms.roles import Role, has_role, role_required

TEMPLATE = "inventory/product_detail.html"
HISTORY_PER_PAGE = 25


def _product_or_404(sku: str):
    try:
        return selectors.product_get_by_sku(sku)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _stock_context(request, product, forms: dict | None = None, saved: str = "") -> dict:
    warehouses = selectors.warehouses_all()
    forms = forms or {}
    return {
        "product": product,
        "levels": selectors.product_stock_levels(product),
        "adjust_form": forms.get("adjust") or AdjustForm(warehouses=warehouses),
        "count_form": forms.get("count") or CountForm(warehouses=warehouses),
        "transfer_form": forms.get("transfer") or TransferForm(warehouses=warehouses),
        "can_edit": has_role(request.user, Role.WAREHOUSE),
        "can_reorder": has_role(request.user, Role.WAREHOUSE, Role.PURCHASING),
        "saved": saved,
        "warehouses": warehouses,
    }


@require_http_methods(["GET"])
@role_required(*READ_ROLES)
@vary_on_headers("HX-Request", "HX-Target")
def product_detail(request, sku: str):
    product = _product_or_404(sku)
    warehouse_id = _int_or_none(request.GET.get("warehouse"))
    history = paginate(
        selectors.product_movements(product, warehouse_id=warehouse_id),
        request.GET,
        per_page=HISTORY_PER_PAGE,
        hx_target="#movement-history",
    )
    if is_partial(request) and request.htmx.target == "movement-history":
        return render(request, f"{TEMPLATE}#movement-history", {"product": product, "history": history})
    context = _stock_context(request, product)
    context.update(
        history=history,
        receipts=selectors.product_expected_receipts(product),
        consumer_price=selectors.consumer_price(product),
    )
    return render(request, TEMPLATE, context)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _stock_action(request, sku: str, form_class, key: str, call) -> HttpResponse:
    """Shared shape of adjust, count and transfer: parse, call the service, answer with the
    refreshed stock panel (htmx) or redirect (plain POST); errors re-render the form."""
    product = _product_or_404(sku)
    form = form_class(request.POST, warehouses=selectors.warehouses_all())
    saved = ""
    if form.is_valid():
        try:
            saved = call(product, form.cleaned_data)
        except OmsError as exc:
            add_to_form(form, exc)
    if saved and not is_partial(request):
        messages.success(request, saved)
        return redirect("inventory:product_detail", sku=product.sku)
    context = _stock_context(request, product, forms={} if saved else {key: form}, saved=saved)
    if not is_partial(request):
        context.update(
            history=paginate(selectors.product_movements(product), QueryDict(), per_page=HISTORY_PER_PAGE),
            receipts=selectors.product_expected_receipts(product),
        )
        return render(request, TEMPLATE, context)
    response = render(request, f"{TEMPLATE}#stock-panel", context)
    return trigger_client_event(response, "stock-changed") if saved else response


@require_POST
@role_required(Role.WAREHOUSE)
def stock_adjust(request, sku: str):
    def call(product, data):
        services.stock_adjust(
            product_id=product.pk,
            warehouse_id=data["warehouse"],
            delta=data["delta"],
            reason=data["reason"],
            user=request.user,
            reference=data["reference"],
        )
        return _("Adjusted by %(delta)+d.") % {"delta": data["delta"]}

    return _stock_action(request, sku, AdjustForm, "adjust", call)


@require_POST
@role_required(Role.WAREHOUSE)
def stock_count(request, sku: str):
    def call(product, data):
        services.stock_count(
            product_id=product.pk,
            warehouse_id=data["warehouse"],
            counted=data["counted"],
            user=request.user,
            reference=data["reference"],
        )
        return _("Count of %(counted)d booked.") % {"counted": data["counted"]}

    return _stock_action(request, sku, CountForm, "count", call)


@require_POST
@role_required(Role.WAREHOUSE)
def stock_transfer(request, sku: str):
    def call(product, data):
        services.stock_transfer(
            product_id=product.pk,
            from_warehouse_id=data["from_warehouse"],
            to_warehouse_id=data["to_warehouse"],
            quantity=data["quantity"],
            user=request.user,
            reference=data["reference"],
        )
        return _("Transferred %(quantity)d.") % {"quantity": data["quantity"]}

    return _stock_action(request, sku, TransferForm, "transfer", call)


@require_POST
@role_required(Role.WAREHOUSE, Role.PURCHASING)
def stock_level_configure(request, pk: int):
    try:
        level = selectors.stock_level_get(pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = ReorderForm(request.POST)
    saved = error = ""
    if form.is_valid():
        try:
            services.stock_level_configure(stock_level_id=level.pk, user=request.user, **form.cleaned_data)
            saved = _("Reorder settings of %(code)s saved.") % {"code": level.warehouse.code}
        except OmsError as exc:
            error = exc.message
    else:
        error = " ".join(message for messages_ in form.errors.values() for message in messages_)
    if not is_partial(request):
        messages.add_message(request, messages.SUCCESS if saved else messages.ERROR, saved or error)
        return redirect("inventory:product_detail", sku=level.product.sku)
    context = _stock_context(request, level.product, saved=saved)
    context["reorder_error"] = error
    return render(request, f"{TEMPLATE}#stock-panel", context)


# --- create and edit ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(Role.WAREHOUSE)
def product_create(request):
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if selectors.products_by_skus([form.cleaned_data["sku"]]):
            form.add_error("sku", _("A product with this SKU exists already."))
        else:
            product = _save(request, form)
            if product:
                messages.success(request, _("Product %(sku)s created.") % {"sku": product.sku})
                return redirect("inventory:product_detail", sku=product.sku)
    return render(request, "inventory/product_form.html", {"form": form, "product": None})


@require_http_methods(["GET", "POST"])
@role_required(Role.WAREHOUSE)
def product_edit(request, sku: str):
    product = _product_or_404(sku)
    initial = {f: getattr(product, f) for f in ProductForm.base_fields}
    form = ProductForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, sku=product.sku)
        if saved:
            messages.success(request, _("Product %(sku)s saved.") % {"sku": saved.sku})
            return redirect("inventory:product_detail", sku=saved.sku)
    return render(request, "inventory/product_form.html", {"form": form, "product": product})


def _save(request, form: ProductForm, sku: str | None = None):
    data = form.cleaned_data
    try:
        product, _created = services.product_upsert(
            sku=sku or data["sku"],
            name=data["name"],
            list_price=data["list_price"],
            consumer_price=data["consumer_price"],
            vat_category=data["vat_category"],
            weight_grams=data["weight_grams"],
            barcode=data["barcode"] or None,
            description=data["description"],
            active=data["active"],
            user=request.user,
        )
    except OmsError as exc:
        add_to_form(form, exc)
        return None
    return product
