"""Warehouses: the list, and the form to add or change one (address, cut-off, priority)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from inventory import selectors, services
from inventory.forms import WarehouseForm
from inventory.views.stock import READ_ROLES
from oms.errors import NotFound, OmsError, add_to_form
from oms.roles import Role, has_role, role_required


@require_GET
@role_required(*READ_ROLES)
def warehouse_list(request):
    return render(
        request,
        "inventory/warehouse_list.html",
        {"warehouses": selectors.warehouses_all(), "can_edit": has_role(request.user, Role.WAREHOUSE)},
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.WAREHOUSE)
def warehouse_edit(request, code: str | None = None):
    warehouse = None
    if code:
        try:
            warehouse = selectors.warehouse_get_by_code(code)
        except NotFound as exc:
            raise Http404(exc.message) from exc
    initial = {f: getattr(warehouse, f) for f in WarehouseForm.base_fields} if warehouse else {}
    form = WarehouseForm(request.POST or None, initial=initial, editing=bool(warehouse))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["code"] = warehouse.code if warehouse else data["code"]
        try:
            saved, _created = services.warehouse_upsert(user=request.user, **data)
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Warehouse %(code)s saved.") % {"code": saved.code})
            return redirect("inventory:warehouses")
    return render(request, "inventory/warehouse_form.html", {"form": form, "warehouse": warehouse})
