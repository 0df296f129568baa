"""The exception inbox page: open items for the user's roles (a manager sees all), filters by
rule and role, Retry / Resolve per item via htmx, "Refresh now", and a Closed tab."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from oms import exceptions
from oms.errors import OmsError
from oms.htmx import is_partial
from oms.roles import Role, has_role, role_required

PAGE_ROLES = (Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.PURCHASING, Role.ACCOUNTING)
TEMPLATE = "oms/exceptions.html"
ROLE_LABELS = dict(Role.choices)


def _filters(request) -> tuple[str, str, str]:
    tab = "closed" if request.GET.get("tab") == "closed" else "open"
    rule = request.GET.get("rule", "")[:60]
    role = request.GET.get("role", "")[:30]
    return tab, (rule if rule in exceptions.RULES else ""), (role if role in Role.values else "")


@require_GET
@role_required(*PAGE_ROLES)
@vary_on_headers("HX-Request")
def exception_list(request):
    tab, rule, role = _filters(request)
    scope = exceptions.visible_roles(request.user)
    counts = exceptions.open_counts_by_rule(roles=scope)
    chips = [
        {"rule": code, "role": ROLE_LABELS.get(owner, owner), "label": _label(code), "count": n}
        for (code, owner), n in sorted(counts.items(), key=lambda kv: _label(kv[0][0]))
    ]
    items = (
        exceptions.open_items(roles=scope, rule=rule, role=role)
        if tab == "open"
        else exceptions.closed_items(roles=scope, rule=rule, role=role)
    )
    context = {
        "tab": tab,
        "rule": rule,
        "role": role,
        "chips": chips,
        "total_open": sum(counts.values()),
        "items": [_row(item, request.user) for item in items],
        "limit": exceptions.OPEN_PAGE_LIMIT if tab == "open" else exceptions.CLOSED_PAGE_LIMIT,
        "roles": [(r.value, r.label) for r in Role if r != Role.API_CLIENT],
        "now": timezone.now(),
    }
    if is_partial(request):
        return render(request, f"{TEMPLATE}#item-table", context)
    return render(request, TEMPLATE, context)


def _label(code: str) -> str:
    rule = exceptions.RULES.get(code)
    return rule.label if rule else code


def _row(item, user) -> dict:
    rule = exceptions.RULES.get(item.rule)
    mine = has_role(user, item.role)
    return {
        "item": item,
        "label": rule.label if rule else item.rule,
        "role_label": ROLE_LABELS.get(item.role, item.role),
        "can_retry": bool(item.is_open and mine and rule and rule.retry),
        "retry_label": rule.retry_label if rule else "",
        "can_resolve": item.is_open and mine,
    }


@require_POST
@role_required(*PAGE_ROLES)
def exceptions_refresh(request):
    result = exceptions.refresh_exceptions()
    messages.success(
        request, f"Refreshed: {result.opened} new, {result.closed} closed by themselves, {result.touched} still open."
    )
    return redirect(request.POST["next"]) if _safe(request) else redirect("oms:exceptions")


def _safe(request) -> bool:
    return request.POST.get("next", "").startswith("/exceptions/")


def _act(request, item_id: int, action):
    try:
        item = exceptions.item_get(item_id)
    except OmsError:
        return HttpResponse(status=404)
    if not has_role(request.user, item.role):
        raise PermissionDenied("This exception belongs to another role.")
    error = ""
    try:
        item = action(item)
    except OmsError as exc:
        error = exc.message
        item = exceptions.item_get(item_id)
    if is_partial(request):
        return render(request, f"{TEMPLATE}#item-row", {"row": _row(item, request.user), "error": error, "tab": "open"})
    if error:
        messages.error(request, error)
    return redirect("oms:exceptions")


@require_POST
@role_required(*PAGE_ROLES)
def exception_resolve(request, item_id: int):
    note = request.POST.get("note", "")
    return _act(
        request, item_id, lambda item: exceptions.exception_resolve(item_id=item.pk, user=request.user, note=note)
    )


@require_POST
@role_required(*PAGE_ROLES)
def exception_retry(request, item_id: int):
    return _act(request, item_id, lambda item: exceptions.exception_retry(item_id=item.pk, user=request.user))
