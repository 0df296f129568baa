"""The order list and the order page with the actions its status allows (cancel, hold,
release, change lines before picking), and the slots where billing and shipping put panels."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget, trigger_client_event

from oms.errors import MultipleErrors, NotFound, OmsError, ValidationFailed
from oms.htmx import HtmxHttpRequest, is_partial
from oms.numbers import plain_int
from oms.roles import Role, has_role, role_required
from orders import selectors, services
from orders.forms import OrderFilterForm, ReasonForm
from orders.models import AllocationStatus, Order, OrderStatus
from orders.views._common import error_messages

CS, WH, ACC = Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.ACCOUNTING
READ_ROLES = (CS, WH, ACC)
PER_PAGE = 50
LIST = "orders/order_list.html"
DETAIL = "orders/order_detail.html"

# Panels other apps put on the order page, by URL name. Each is reversed with
# kwargs={"order_id": order.pk} at render time and loaded with htmx; a name that does not exist
# (its app does not provide it yet) is skipped.
ORDER_PANELS = ["billing:order_panel", "shipping:order_panel"]

COLUMNS = [
    ("number", gettext_lazy("Number"), False),
    ("date", gettext_lazy("Date"), False),
    ("", gettext_lazy("Customer"), False),
    ("", gettext_lazy("Channel"), False),
    ("", gettext_lazy("Status"), False),
    ("", gettext_lazy("Ship to"), False),
    ("", gettext_lazy("Promised"), False),
    ("total", gettext_lazy("Total"), True),
]


# --- the list -------------------------------------------------------------------------------------


@require_GET
@role_required(*READ_ROLES)
@vary_on_headers("HX-Request")
def order_list(request: HtmxHttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    values = form.values()
    sort = values.get("sort") or "-date"
    filters = form.filters()
    search = filters.pop("search")
    page = selectors.order_list_page(
        selectors.order_list(**filters, exclude_drafts=True),
        search=search,
        sort=sort,
        after=values.get("after"),
        before=values.get("before"),
        size=PER_PAGE,
    )
    base = _query_without(request.GET, "after", "before")
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "query": base.urlencode(),
        "next_query": _with(base, after=page.next_after) if page.has_next else "",
        "previous_query": _with(base, before=page.previous_before) if page.has_previous else "",
        "first_query": base.urlencode() if page.has_previous else "",
        "columns": _columns(sort, _query_without(base, "sort")),
        "can_enter": has_role(request.user, CS),
        "partial": is_partial(request),
    }
    return render(request, f"{LIST}#order-table" if context["partial"] else LIST, context)


def _query_without(params: QueryDict, *names: str) -> QueryDict:
    query = params.copy()
    for name in names:
        query.pop(name, None)
    return query


def _with(params: QueryDict, **values) -> str:
    query = params.copy()
    for name, value in values.items():
        query[name] = str(value)
    return query.urlencode()


def _columns(sort: str, base: QueryDict) -> list[dict]:
    """Sortable headers: a click sorts by the column (newest/highest first), a second reverses."""
    columns = []
    for key, label, numeric in COLUMNS:
        if not key:
            columns.append({"label": label, "query": "", "arrow": "", "numeric": numeric, "current": False})
            continue
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        target = key if current and descending else f"-{key}"
        arrow = ("▼" if descending else "▲") if current else ""
        columns.append(
            {"label": label, "query": _with(base, sort=target), "arrow": arrow, "numeric": numeric, "current": current}
        )
    return columns


# --- the order page -------------------------------------------------------------------------------


def _order_or_404(number: str) -> Order:
    try:
        return selectors.order_page_get(number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def order_panels(order: Order) -> list[dict]:
    panels = []
    for name in ORDER_PANELS:
        try:
            url = reverse(name, kwargs={"order_id": order.pk})
        except NoReverseMatch:
            continue
        panels.append({"name": name, "id": "panel-" + name.replace(":", "-").replace("_", "-"), "url": url})
    return panels


def _main_context(
    request: HtmxHttpRequest, order: Order, *, posted=None, line_errors: dict | None = None, **extra
) -> dict:
    user = request.user
    lines = list(order.lines.all())
    for line in lines:
        line.sources = _sources(line)
    if extra.get("editing"):
        extra["add_line"] = _edit_values(lines, posted or {}, line_errors or {})
        extra["can_price"] = services.can_change_line_price(user)  # a permission query: editing only
    return {
        "order": order,
        "lines": lines,
        "active_lines": [line for line in lines if not line.is_cancelled],
        "vat": selectors.order_vat_breakdown(order),
        "timeline": selectors.order_timeline_with_notifications(order),
        "can_cancel": has_role(user, CS) and order.can_transition_to(OrderStatus.CANCELLED) and not order.is_draft,
        "can_hold": has_role(user, CS, ACC) and order.can_transition_to(OrderStatus.ON_HOLD),
        "can_release": has_role(user, CS, ACC) and order.status == OrderStatus.ON_HOLD,
        "can_change": has_role(user, CS) and order.lines_changeable,
        "can_enter": has_role(user, CS) and order.is_draft,
        "can_revoke_link": has_role(user, CS) and not order.is_draft,
        "today": timezone.localdate(),
        "cancel_form": ReasonForm(prefix="cancel"),
        "hold_form": ReasonForm(prefix="hold"),
        **extra,
    }


@require_GET
@role_required(*READ_ROLES)
@vary_on_headers("HX-Request")
def order_detail(request: HtmxHttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(number)
    context = _main_context(request, order, editing=request.GET.get("edit") == "lines" and order.lines_changeable)
    if is_partial(request):
        return render(request, f"{DETAIL}#order-main", context)
    return render(request, DETAIL, {**context, "panels": order_panels(order)})


def _sources(line) -> list[tuple[str, int, bool]]:
    """Where a line's units are: (warehouse code, units, shipped), one entry per warehouse and
    state however many allocations (a change, a partial shipment) made them."""
    totals: dict[tuple[str, bool], int] = {}
    for allocation in line.allocations.all():
        if allocation.status != AllocationStatus.RELEASED:
            key = (allocation.warehouse.code, allocation.status == AllocationStatus.ISSUED)
            totals[key] = totals.get(key, 0) + allocation.quantity
    return [(code, quantity, shipped) for (code, shipped), quantity in totals.items()]


def _edit_values(lines, posted, errors: dict) -> dict:
    """What the change-lines form shows: the typed values after an error, else the quantities."""
    for line in lines:
        line.form_value = posted.get(f"qty-{line.pk}", line.quantity)
        line.form_error = errors.get(f"qty-{line.pk}", "")
    return {
        "code": posted.get("add-code", ""),
        "quantity": posted.get("add-quantity", 1),
        "code_error": errors.get("add-code", ""),
        "quantity_error": errors.get("add-quantity", ""),
        "price": posted.get("add-price", ""),
        "discount": posted.get("add-discount", ""),
        "reason": posted.get("add-reason", ""),
        "terms_error": errors.get("add-price-terms", ""),
    }


def _done(request: HtmxHttpRequest, number: str, message: str) -> HttpResponse:
    """After an action: the refreshed order (htmx; panels hear ``order-changed``) or PRG."""
    if not is_partial(request):
        messages.success(request, message)
        return redirect("orders:detail", number=number)
    order = _order_or_404(number)
    response = render(request, f"{DETAIL}#order-main", _main_context(request, order, done=message))
    return trigger_client_event(response, "order-changed", {"order_id": order.pk})


def _failed(request: HtmxHttpRequest, order: Order, partial: str = "order-actions", **forms) -> HttpResponse:
    """An action refused: its form again with the errors (200, so htmx swaps it in place)."""
    context = _main_context(request, order, **forms)
    if not is_partial(request):
        return render(request, DETAIL, {**context, "panels": order_panels(order)})
    response = render(request, f"{DETAIL}#{partial}", context)
    return reswap(retarget(response, f"#{partial}"), "outerHTML")


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def order_cancel(request: HtmxHttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(number)
    form = ReasonForm(request.POST, prefix="cancel")
    errors: list[str] = []
    if form.is_valid():
        try:
            services.order_cancel(order=order, reason=form.cleaned_data["reason"], user=request.user)
        except OmsError as exc:
            errors = _reason_or_action_errors(form, exc)
        else:
            return _done(request, order.number, _("Order %(number)s cancelled.") % {"number": order.number})
    return _failed(request, order, cancel_form=form, action_errors=errors)


def _reason_or_action_errors(form: ReasonForm, exc: OmsError) -> list[str]:
    """A wrong reason is marked on its field; anything else (the status moved on) is said
    above the actions, since the form it came from may no longer be shown."""
    if exc.field == "reason":
        form.add_error("reason", exc.message)
        return []
    return error_messages(exc)


@require_POST
@role_required(CS, ACC)
@vary_on_headers("HX-Request")
def order_hold(request: HtmxHttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(number)
    form = ReasonForm(request.POST, prefix="hold")
    errors: list[str] = []
    if form.is_valid():
        try:
            services.order_hold(order=order, reason=form.cleaned_data["reason"], user=request.user)
        except OmsError as exc:
            errors = _reason_or_action_errors(form, exc)
        else:
            return _done(request, order.number, _("Order %(number)s is on hold.") % {"number": order.number})
    return _failed(request, order, hold_form=form, action_errors=errors)


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def order_status_link_revoke(request: HtmxHttpRequest, number: str) -> HttpResponse:
    """A new link for the customer's order page; the ones sent so far stop working."""
    order = _order_or_404(number)
    try:
        services.order_status_link_revoke(order_id=order.pk, user=request.user)
    except OmsError as exc:
        return _failed(request, order, action_errors=error_messages(exc))
    return _done(request, order.number, _("The customer's link is revoked; a new one was made."))


@require_POST
@role_required(CS, ACC)
@vary_on_headers("HX-Request")
def order_release(request: HtmxHttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(number)
    try:
        services.order_release_hold(order=order, user=request.user)
    except OmsError as exc:
        return _failed(request, order, action_errors=error_messages(exc))
    return _done(request, order.number, _("Hold released."))


@require_http_methods(["GET", "POST"])
@role_required(CS)
@vary_on_headers("HX-Request")
def order_change_lines(request: HtmxHttpRequest, number: str) -> HttpResponse:
    """GET: the lines as a form (quantities, a new line); POST: apply the changes."""
    order = _order_or_404(number)
    if request.method == "GET":
        if not is_partial(request):
            return redirect(f"{reverse('orders:detail', kwargs={'number': order.number})}?edit=lines")
        return render(request, f"{DETAIL}#order-lines", _main_context(request, order, editing=True))
    changes, mapping = _line_changes(order, request.POST)
    try:
        if not changes:
            raise ValidationFailed(_("Change a quantity or add a line first."), code="required", field="changes")
        services.order_lines_change(order=order, changes=changes, user=request.user)
    except OmsError as exc:
        errors = exc.errors if isinstance(exc, MultipleErrors) else [exc]
        by_input = {mapping[e.field]: e.message for e in errors if e.field in mapping}
        general = [e.message for e in errors if e.field not in mapping]
        return _failed(
            request,
            order,
            partial="order-lines",
            editing=True,
            posted=request.POST,
            line_errors=by_input,
            lines_errors=general,
        )
    return _done(request, order.number, _("Lines changed."))


def _typed_quantity(raw: str) -> int | str:
    """A typed quantity as a number when it is one; else as typed, for the service to refuse
    with its own message."""
    quantity = plain_int(raw)
    return raw if quantity is None else quantity


def _line_changes(order: Order, data: QueryDict) -> tuple[list[dict], dict[str, str]]:
    """The changes the form asks for, and which input each service field path belongs to."""
    changes: list[dict] = []
    mapping: dict[str, str] = {}
    for line in order.lines.all():
        if line.is_cancelled:
            continue
        raw = (data.get(f"qty-{line.pk}") or "").strip()
        if raw == "" or raw == str(line.quantity):
            continue
        quantity = _typed_quantity(raw)
        mapping[f"changes.{len(changes)}.quantity"] = f"qty-{line.pk}"
        mapping[f"changes.{len(changes)}.line_id"] = f"qty-{line.pk}"
        changes.append({"line_id": line.pk, "quantity": quantity})
    code = (data.get("add-code") or "").strip()
    if code:
        raw = (data.get("add-quantity") or "1").strip()
        product = selectors.entry_product_by_code(code)
        index = len(changes)
        for part in ("sku", "quantity"):
            mapping[f"changes.{index}.{part}"] = "add-code" if part == "sku" else "add-quantity"
        change = {"sku": product.sku if product else code, "quantity": _typed_quantity(raw)}
        change.update(_price_terms(data, index, mapping))
        changes.append(change)
    return changes, mapping


def _price_terms(data: QueryDict, index: int, mapping: dict[str, str]) -> dict:
    """The new line's own price, discount and reason, as typed (a decimal comma is fine);
    the service applies the price rule (``orders.services.line_prices``)."""
    terms = {}
    for name, key in (("unit_price", "add-price"), ("discount_percent", "add-discount"), ("reason", "add-reason")):
        mapping[f"changes.{index}.{name}"] = "add-price-terms"
        value = (data.get(key) or "").strip()
        if value:
            terms[name] = value if name == "reason" else value.replace(",", ".")
    return terms
