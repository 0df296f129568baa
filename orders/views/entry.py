"""The phone-order screen: one page, keyboard first, each step an htmx swap on a draft order
that lives in the database while it is entered (``orders.services.drafts``).

Steps: find the customer (search as you type) or create one inline, which starts the draft;
add lines (search as you type, arrow keys and Enter, quantity and Enter); choose the delivery
address, the delivery service (each with its price and promised date; for a pick-up service,
a point near a postcode) and the payment method; place. Each change answers with the regions it changed: a
line's row (added, changed or deleted), and the totals out of band.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, push_url, reswap, retarget, trigger_client_event

from customers import selectors as customers_selectors
from customers.models import AddressKind, PaymentMethod
from oms.errors import Conflict, NotFound, OmsError
from oms.htmx import HtmxHttpRequest, is_partial
from oms.numbers import plain_int
from oms.roles import Role, role_required
from orders import selectors, services
from orders.forms import (
    AddLineForm,
    AddressForm,
    LinePriceForm,
    LineQuantityForm,
    NewCustomerForm,
    PaymentForm,
    WarehouseNoteForm,
)
from orders.models import Channel, Order, OrderLine
from orders.services.delivery_options import draft_offers
from orders.services.payment import order_expects_payment_link
from orders.views._common import add_errors, error_messages, render_parts

CS = Role.CUSTOMER_SERVICE
PAGE = "orders/order_entry.html"
CUSTOMER_RESULTS = 8
PRODUCT_RESULTS = 10
RECENT_ORDERS = 3


# --- context ----------------------------------------------------------------------------------------


def _customer_context(order: Order) -> dict:
    customer = order.customer
    stats = selectors.customer_order_stats(customer.pk)
    return {
        "customer": customer,
        "stats": stats,
        "credit_left": customer.credit_limit - stats.open_on_account if customer.credit_limit else None,
        "recent_orders": selectors.customer_recent_orders(customer.pk, limit=RECENT_ORDERS),
    }


def _lines_context(order: Order) -> dict:
    lines = selectors.entry_lines(order)
    return {
        "lines": lines,
        "short_lines": [row for row in lines if row.short],
        "vat": selectors.order_vat_breakdown(order),
        "add_form": AddLineForm(),
    }


def _address_context(order: Order) -> dict:
    """The customer's addresses to deliver to: shipping ones first, a billing address only when
    it is not also a shipping address; and the one the draft has now."""
    addresses = customers_selectors.customer_addresses(order.customer_id)
    shipping = [a for a in addresses if a.kind == AddressKind.SHIPPING]
    seen = [a.as_snapshot() for a in shipping]
    choices = shipping + [a for a in addresses if a.kind != AddressKind.SHIPPING and a.as_snapshot() not in seen]
    chosen = next((a.pk for a in choices if a.as_snapshot() == order.shipping_address), None)
    return {"addresses": choices, "chosen_address": chosen}


def _context(request: HtmxHttpRequest, order: Order | None, **extra) -> dict:
    context = {
        "order": order,
        "payment_methods": PaymentMethod.choices,
        "can_price": services.can_change_line_price(request.user),
    }
    if order is None:
        context["drafts"] = selectors.drafts_of_user(request.user.pk)
    else:
        context.update(_customer_context(order), **_lines_context(order), **_address_context(order))
    return {**context, **extra}


def _draft(order_id: int) -> Order:
    try:
        return selectors.draft_get(order_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _draft_head(order_id: int) -> Order:
    """The draft without its lines, for a change whose service reads (and returns) them."""
    try:
        return selectors.draft_head(order_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _entry(request: HtmxHttpRequest, order: Order | None, **extra) -> HttpResponse:
    """The whole screen: a page, or its ``entry`` region for htmx (with the URL pushed)."""
    context = _context(request, order, **extra)
    if not is_partial(request):
        return render(request, PAGE, context)
    response = render(request, f"{PAGE}#entry", context)
    url = reverse("orders:draft", kwargs={"order_id": order.pk}) if order else reverse("orders:enter")
    return push_url(response, url)


def _gone(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """The draft was placed or discarded meanwhile (another tab): show what became of it."""
    order = selectors.draft_get(order_id)
    url = reverse("orders:detail", kwargs={"number": order.number})
    messages.info(request, _("Order %(number)s is no longer a draft.") % {"number": order.number})
    return HttpResponseClientRedirect(url) if is_partial(request) else redirect(url)


def _after_change_context(request: HtmxHttpRequest, order: Order) -> dict:
    """The draft as the service left it, with its lines (not read again), as ``_lines_context``."""
    return {"order": order, "can_price": services.can_change_line_price(request.user), **_lines_context(order)}


def _changed(request: HtmxHttpRequest, order: Order, main: str, **extra) -> HttpResponse:
    """After a change: ``main`` (the swap target) and the totals out of band; PRG without htmx.
    ``order``: the draft as the service left it, with its lines (not read again)."""
    if not is_partial(request):
        return redirect("orders:draft", order_id=order.pk)
    context = {**_after_change_context(request, order), **extra}
    if main == "entry-address":
        context.update(_address_context(context["order"]))
    # the delivery options follow the lines and the address; they load in a request of their own
    parts = [(main, {}), ("entry-totals", {"oob": True}), ("entry-delivery", {"oob": True})]
    return render_parts(request, PAGE, parts, context)


# What follows the lines out of band: the totals, and the delivery options (they load in a
# request of their own, since the services that can deliver depend on the lines).
_FOLLOW_LINES = (("entry-totals", {"oob": True}), ("entry-delivery", {"oob": True}))


def _rows_changed(request: HtmxHttpRequest, line: OrderLine, *, added: bool) -> HttpResponse:
    """After a line was added or its quantity changed: that row (appended, or in place) and the
    rows of the same product after it (their backorder preview takes stock in line order), the
    line count and the totals, instead of every row again; the add form, fresh, after an add.
    The first line brings the table itself, so it answers with the whole lines region.

    ``line.order`` is the draft as the service left it, with its lines: read again, every
    keystroke would read (and build) every line of the draft once more."""
    order, line_id = line.order, line.pk
    if not is_partial(request):
        return redirect("orders:draft", order_id=order.pk)
    context = _after_change_context(request, order)
    rows = context["lines"]
    at = next((index for index, row in enumerate(rows) if row.line.pk == line_id), None)
    if at is None or len(rows) == 1:  # the add form's own target is itself
        response = render_parts(request, PAGE, [("entry-lines", {}), *_FOLLOW_LINES], context)
        return reswap(retarget(response, "#entry-lines"), "outerHTML settle:0ms") if added else response
    product_id = rows[at].line.product_id
    changed = [
        (row, number) for number, row in enumerate(rows, start=1) if number > at and row.line.product_id == product_id
    ]
    parts = [
        ("entry-rows-oob", {"changed_rows": changed, "appended": added, "in_place": not added}),
        ("entry-line-count", {"oob": True}),
        *_FOLLOW_LINES,
    ]
    if added:
        return render_parts(request, PAGE, [("entry-add", {}), *parts], context)
    return reswap(render_parts(request, PAGE, parts, context), "none")


def _row_removed(request: HtmxHttpRequest, order: Order, removed: OrderLine | None) -> HttpResponse:
    """After a line was removed: its row deleted where it stands (the answer retargets that row
    with the ``delete`` swap), the numbers shown on the rows after it, those rows of the same
    product again (their backorder preview took stock after it), the line count and the totals
    out of band; the cursor goes to the quantity of the row now in its place (else the row
    before). The last line takes the table with it: then the whole lines region answers."""
    if not is_partial(request):
        return redirect("orders:draft", order_id=order.pk)
    context = _after_change_context(request, order)
    rows = context["lines"]
    if not rows or removed is None:
        return render_parts(request, PAGE, [("entry-lines", {}), *_FOLLOW_LINES], context)
    after = [(row, number) for number, row in enumerate(rows, start=1) if row.line.line_no > removed.line_no]
    same = [(row, number) for row, number in after if row.line.product_id == removed.product_id]
    others = [(row, number) for row, number in after if row.line.product_id != removed.product_id]
    parts = [
        ("entry-rows-oob", {"changed_rows": same, "renumbered_rows": others, "in_place": True}),
        ("entry-line-count", {"oob": True}),
        *_FOLLOW_LINES,
    ]
    response = render_parts(request, PAGE, parts, context)
    cursor = after[0][0] if after else rows[-1]
    # the focused remove button went with its row; "body" is there whatever this page shows
    trigger_client_event(response, "oms:focus", {"target": "body", "field": f"#line-qty-{cursor.line.pk}"},
                         after="settle")  # fmt: skip
    return reswap(retarget(response, f"#entry-line-{removed.pk}"), "delete")


def _refused(request: HtmxHttpRequest, order: Order, partial: str, **extra) -> HttpResponse:
    """A step refused: its region again with the errors, swapped where it is (200)."""
    context = _context(request, order, **extra)
    if not is_partial(request):
        return render(request, PAGE, context)
    return reswap(retarget(render(request, f"{PAGE}#{partial}", context), f"#{partial}"), "outerHTML")


# --- the customer step -------------------------------------------------------------------------------


@require_GET
@role_required(CS)
@vary_on_headers("HX-Request")
def order_entry(request: HtmxHttpRequest) -> HttpResponse:
    """The screen before a customer is chosen: search, create, or continue one of my drafts."""
    return _entry(request, None)


@require_GET
@role_required(CS)
@vary_on_headers("HX-Request")
def entry_customers(request: HtmxHttpRequest) -> HttpResponse:
    """Search as you type: name, e-mail, phone, postcode or number (customers' search)."""
    query = request.GET.get("q", "").strip()
    draft = request.GET.get("draft", "")
    context = {
        "query": query,
        "hint": customers_selectors.search_hint(query),
        "customers": customers_selectors.customer_search(query, limit=CUSTOMER_RESULTS) if query else [],
        "pick_url": _pick_url(plain_int(draft)),
    }
    return render(request, f"{PAGE}#customer-results", context)


def _pick_url(draft_id: int | None) -> str:
    if draft_id:
        return reverse("orders:draft_customer", kwargs={"order_id": draft_id})
    return reverse("orders:enter_start")


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def entry_start(request: HtmxHttpRequest) -> HttpResponse:
    """Start a draft for the chosen customer (their addresses and payment preference)."""
    try:
        customer = customers_selectors.customer_get(int(request.POST.get("customer_id") or 0))
    except (NotFound, ValueError) as exc:
        raise Http404("No such customer.") from exc
    order = services.order_draft_create(channel=Channel.PHONE, customer=customer, user=request.user)
    if not is_partial(request):
        return redirect("orders:draft", order_id=order.pk)
    return _entry(request, selectors.draft_get(order.pk))


@require_http_methods(["GET", "POST"])
@role_required(CS)
@vary_on_headers("HX-Request")
def entry_new_customer(request: HtmxHttpRequest) -> HttpResponse:
    """A consumer created inline (name, e-mail, phone, address), and their draft started."""
    form = NewCustomerForm(request.POST or None, initial={"country": "NL"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_draft_start_for_new_customer(
                channel=Channel.PHONE,
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                address=form.address(),
                user=request.user,
            )
        except OmsError as exc:
            add_errors(form, exc)
        else:
            if not is_partial(request):
                return redirect("orders:draft", order_id=order.pk)
            return _entry(request, selectors.draft_get(order.pk))
    if not is_partial(request):
        return _entry(request, None, new_customer_form=form)
    response = render(request, f"{PAGE}#new-customer", {"new_customer_form": form})
    return reswap(retarget(response, "#new-customer"), "outerHTML") if request.method == "POST" else response


# --- the draft ---------------------------------------------------------------------------------------


@require_GET
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_detail(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    order = _draft(order_id)
    if not order.is_draft:
        return redirect("orders:detail", number=order.number)
    return _entry(request, order)


@require_http_methods(["GET", "POST"])
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_customer(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """GET: the customer search in place of the customer card; POST: give the draft to another
    customer (their addresses and payment preference)."""
    order = _draft(order_id)
    if request.method == "GET":
        context = {"order": order, "changing": True, "pick_url": _pick_url(order.pk)}
        return render(request, f"{PAGE}#customer-step", context)
    try:
        customer = customers_selectors.customer_get(int(request.POST.get("customer_id") or 0))
        services.order_draft_set_customer(order=order, customer=customer, user=request.user)
    except (NotFound, ValueError) as exc:
        raise Http404("No such customer.") from exc
    except Conflict as exc:
        if exc.code == "not_a_draft":
            return _gone(request, order_id)
        raise
    return _entry(request, _draft(order_id))


@require_GET
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_products(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """Products as you type: SKU, name or barcode, with stock per warehouse and next receipt."""
    query = request.GET.get("code", "").strip()
    context = {
        "query": query,
        "choices": selectors.entry_product_choices(query, limit=PRODUCT_RESULTS) if query else [],
        "order_id": order_id,
    }
    return render(request, f"{PAGE}#product-results", context)


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_add_line(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    order = _draft_head(order_id)
    form = AddLineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        product_id = data["product_id"]
        if not product_id:
            product = selectors.entry_product_by_code(data["code"])
            product_id = product.pk if product else None
            if product is None:
                form.add_error("code", _("No product has SKU or barcode “%(code)s”.") % {"code": data["code"]})
        if product_id:
            try:
                line = services.order_draft_add_line(
                    order=order, product_id=product_id, quantity=data["quantity"], user=request.user
                )
            except Conflict as exc:
                if exc.code == "not_a_draft":
                    return _gone(request, order_id)
                add_errors(form, exc, {"product_id": "code", "sku": "code"})
            except OmsError as exc:
                add_errors(form, exc, {"product_id": "code", "sku": "code"})
            else:
                return _rows_changed(request, line, added=True)
    return _refused(request, _draft(order_id), "entry-add", add_form=form)


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_line(request: HtmxHttpRequest, order_id: int, line_id: int) -> HttpResponse:
    """A line's new quantity; 0 removes the line."""
    order = _draft_head(order_id)
    form = LineQuantityForm(request.POST)
    if form.is_valid():
        quantity = form.cleaned_data["quantity"]
        removed = next((line for line in order.lines.all() if line.pk == line_id), None) if quantity == 0 else None
        try:
            if quantity == 0:
                order = services.order_draft_remove_line(order=order, line_id=line_id, user=request.user)
            else:
                line = services.order_draft_update_line(
                    order=order, line_id=line_id, quantity=quantity, user=request.user
                )
        except Conflict as exc:
            if exc.code == "not_a_draft":
                return _gone(request, order_id)
            errors = error_messages(exc)
        except OmsError as exc:
            errors = error_messages(exc)
        else:
            if quantity:
                return _rows_changed(request, line, added=False)
            return _row_removed(request, order, removed)
    else:
        errors = [error for messages_ in form.errors.values() for error in messages_]
    return _refused(request, _draft(order_id), "entry-lines", line_errors={line_id: " ".join(errors)})


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_line_price(request: HtmxHttpRequest, order_id: int, line_id: int) -> HttpResponse:
    """A discount and/or another price for a line, with the reason (needs the permission)."""
    order = _draft_head(order_id)
    form = LinePriceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            line = services.order_draft_price_line(
                order=order,
                line_id=line_id,
                user=request.user,
                reason=data["reason"],
                discount_percent=data["discount_percent"],
                unit_price=data["unit_price"],
            )
        except Conflict as exc:
            if exc.code == "not_a_draft":
                return _gone(request, order_id)
            add_errors(form, exc)
        except OmsError as exc:
            add_errors(form, exc)
        else:
            return _changed(request, line.order, "entry-lines")
    return _refused(request, _draft(order_id), "entry-lines", price_form=form, price_line=line_id)


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_note(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """The order's note for the warehouse (on the pick list and the pick screen)."""
    order = _draft(order_id)
    form = WarehouseNoteForm(request.POST)
    if form.is_valid():
        try:
            order = services.order_draft_update(order=order, notes=form.cleaned_data["notes"], user=request.user)
        except Conflict as exc:
            if exc.code == "not_a_draft":
                return _gone(request, order_id)
            add_errors(form, exc)
        except OmsError as exc:
            add_errors(form, exc)
    if form.errors:
        return _refused(request, order, "entry-note", note_form=form)
    if not is_partial(request):
        return redirect("orders:draft", order_id=order_id)
    return render(request, f"{PAGE}#entry-note", {"order": order, "note_saved": True})


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_address(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """Deliver to one of the customer's addresses (``address`` = its id) or a new one
    (``address=new``: first the form, then its fields)."""
    order = _draft_head(order_id)

    def refused(**extra) -> HttpResponse:
        return _refused(request, _draft(order_id), "entry-address", **extra)

    choice = request.POST.get("address", "")
    form = None
    if choice == "new":
        form = AddressForm(request.POST if request.POST.get("new_address") else None, initial={"country": "NL"})
        if not form.is_bound or not form.is_valid():
            return refused(address_form=form)
        address = form.cleaned_data
    else:
        found = next(
            (a for a in customers_selectors.customer_addresses(order.customer_id) if str(a.pk) == choice), None
        )
        if found is None:
            return refused(address_errors=[_("Choose an address.")])
        address = found.as_snapshot()
    try:
        order = services.order_draft_set_address(order=order, kind="shipping", address=address, user=request.user)
    except Conflict as exc:
        if exc.code == "not_a_draft":
            return _gone(request, order_id)
        return refused(address_errors=error_messages(exc))
    except OmsError as exc:
        if form is None:
            return refused(address_errors=error_messages(exc))
        add_errors(form, exc)
        return refused(address_form=form)
    return _changed(request, order, "entry-address")


def _delivery_context(order: Order, errors: list[str] | None = None) -> dict:
    try:
        offers = draft_offers(order)
    except OmsError as exc:
        offers, errors = [], [*(errors or []), *error_messages(exc)]
    chosen = next((o for o in offers if o.shipping_method == order.shipping_method), None)
    return {
        "order": order,
        "offers": offers,
        "chosen_offer": chosen,
        "delivery_errors": errors or [],
        "delivery_loaded": True,
    }


def _posted_point(value: str) -> dict | None:
    """The pick-up point's snapshot as the choices list posts it (JSON), or None."""
    if not value:
        return None
    try:
        point = json.loads(value)
    except ValueError:
        return {"id": None}  # refused by the service with a field error, never a 500
    return point if isinstance(point, dict) else {"id": None}


@require_http_methods(["GET", "POST"])
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_delivery(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """GET: the services that can deliver the draft, each with its price and promised date.
    POST ``shipping_method`` (and ``pickup_point``): the customer's choice; the totals follow."""
    order = _draft_head(order_id) if request.method == "POST" else _draft(order_id)
    errors: list[str] = []
    if request.method == "POST":
        method = request.POST.get("shipping_method", "")
        point = _posted_point(request.POST.get("pickup_point", ""))
        if point is None and method == order.shipping_method:
            point = order.pickup_point or None  # the service again: its point stays
        try:
            order = services.order_draft_set_delivery(
                order=order, shipping_method=method, pickup_point=point, user=request.user
            )
        except Conflict as exc:
            if exc.code == "not_a_draft":
                return _gone(request, order_id)
            errors = error_messages(exc)
        except OmsError as exc:
            errors = error_messages(exc)
        if not is_partial(request):
            return redirect("orders:draft", order_id=order_id)
        if errors:  # else the draft as the service left it, with its lines
            order = _draft(order_id)
        context = {**_lines_context(order), **_delivery_context(order, errors)}
        return render_parts(request, PAGE, [("entry-delivery", {}), ("entry-totals", {"oob": True})], context)
    return render(request, f"{PAGE}#entry-delivery", _delivery_context(order))


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_payment(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    order = _draft(order_id)
    form = PaymentForm(request.POST)
    errors = []
    if form.is_valid():
        try:
            order = services.order_draft_set_payment_method(
                order=order, payment_method=form.cleaned_data["payment_method"], user=request.user
            )
        except Conflict as exc:
            if exc.code == "not_a_draft":
                return _gone(request, order_id)
            errors = error_messages(exc)
        except OmsError as exc:
            errors = error_messages(exc)
    else:
        errors = [error for messages_ in form.errors.values() for error in messages_]
    if errors:
        return _refused(request, order, "entry-payment", payment_errors=errors)
    if not is_partial(request):
        return redirect("orders:draft", order_id=order_id)
    return render(request, f"{PAGE}#entry-payment", {"order": order, "payment_methods": PaymentMethod.choices})


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_place(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """Place the draft (reserve, backorder the rest) and go to the order's page."""
    order = _draft(order_id)
    try:
        placed = services.order_draft_place(order=order, user=request.user)
    except Conflict as exc:
        if exc.code == "not_a_draft":
            return _gone(request, order_id)
        return _refused(request, order, "entry-place", place_errors=error_messages(exc))
    except OmsError as exc:
        return _refused(request, order, "entry-place", place_errors=error_messages(exc))
    if is_partial(request) and order_expects_payment_link(placed):
        # the customer is still on the line: the screen waits for the provider's link to read out
        response = render(request, f"{PAGE}#entry-placed", {"order": placed, "poll": 0})
        return push_url(reswap(retarget(response, "#entry"), "outerHTML"), reverse("orders:enter"))
    messages.success(request, _("Order %(number)s placed.") % {"number": placed.number})
    url = reverse("orders:detail", kwargs={"number": placed.number})
    return HttpResponseClientRedirect(url) if is_partial(request) else redirect(url)


# A worker makes the link a moment after placing; the screen asks every second for a minute.
PAYMENT_LINK_POLLS = 60


@require_GET
@role_required(CS)
@vary_on_headers("HX-Request")
def placed_payment_link(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """The placed order's payment link once billing has made it (polled by the placed screen)."""
    try:
        order = selectors.draft_get(order_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if order.is_draft:
        raise Http404("Not placed yet.")
    polls = plain_int(request.GET.get("poll", "0"))
    poll = PAYMENT_LINK_POLLS if polls is None else polls + 1
    return render(request, f"{PAGE}#entry-payment-link", {"order": order, "poll": poll})


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def draft_discard(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """Throw the draft away (it is cancelled: numbers are never reused, nothing was reserved)."""
    order = _draft(order_id)
    if order.is_draft:
        services.order_cancel(order=order, reason=_("Draft discarded"), user=request.user)
        messages.info(request, _("Draft %(number)s discarded.") % {"number": order.number})
    url = reverse("orders:enter")
    return HttpResponseClientRedirect(url) if is_partial(request) else redirect(url)
