"""Customer screens: search as you type, the customer page (with other apps' panels), create,
edit, addresses and credit hold. One view serves the page and its htmx fragment."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from customers import selectors, services
from customers.forms import AddressForm, CreditHoldForm, CustomerForm, add_nested_errors
from customers.models import Address, AddressKind, Customer
from oms.errors import NotFound, OmsError, add_to_form
from oms.htmx import HtmxHttpRequest, is_partial
from oms.pagination import paginate
from oms.roles import Role, has_role, role_required

CS, ACC = Role.CUSTOMER_SERVICE, Role.ACCOUNTING
SEARCH_LIMIT = 50

# Panels other apps put on the customer page, by URL name. Each is reversed with
# kwargs={"customer_id": customer.pk} and loaded with htmx; a name that does not exist yet
# (its app is not built) is skipped.
CUSTOMER_PANELS = ["orders:customer_panel", "billing:customer_panel", "shipping:customer_panel"]


def _customer_or_404(number: str) -> Customer:
    try:
        return selectors.customer_get_by_number(number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def customer_panels(customer: Customer) -> list[dict]:
    panels = []
    for name in CUSTOMER_PANELS:
        try:
            url = reverse(name, kwargs={"customer_id": customer.pk})
        except NoReverseMatch:
            continue
        panels.append({"name": name, "id": "panel-" + name.replace(":", "-").replace("_", "-"), "url": url})
    return panels


@require_GET
@role_required(CS, ACC)
@vary_on_headers("HX-Request")
def customer_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    context = {"query": query, "hint": selectors.search_hint(query), "page": None}
    context["can_create"] = has_role(request.user, CS)
    if query:
        context["customers"] = selectors.customer_search(query, limit=SEARCH_LIMIT)
        context["more"] = len(context["customers"]) == SEARCH_LIMIT
    else:
        page = paginate(selectors.customer_list(), request.GET, per_page=50, hx_target="#customer-results")
        context.update(customers=page.rows, page=page)
    template = "customers/customer_list.html"
    return render(request, f"{template}#customer-results" if is_partial(request) else template, context)


@require_GET
@role_required(CS, ACC)
@vary_on_headers("HX-Request")
def customer_detail(request: HtmxHttpRequest, number: str) -> HttpResponse:
    return _detail_with(request, _customer_or_404(number))


@require_http_methods(["GET", "POST"])
@role_required(CS)
@vary_on_headers("HX-Request")
def customer_create(request: HtmxHttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    billing = AddressForm(request.POST or None, prefix="billing", with_kind=False)
    shipping = AddressForm(request.POST or None, prefix="shipping", with_kind=False)
    separate_shipping = request.POST.get("separate_shipping") == "on"
    if request.method == "POST" and all(f.is_valid() for f in (form, billing, shipping)):
        addresses = _new_addresses(billing, shipping, separate_shipping)
        try:
            customer = services.customer_create(**form.cleaned_data, addresses=addresses, user=request.user)
        except OmsError as exc:
            indexes = {str(i): f for i, f in enumerate(_address_forms(billing, shipping, separate_shipping))}
            if len(addresses) > len(indexes):  # the shipping copy of the billing address
                indexes[str(len(indexes))] = None
            add_nested_errors(exc, form, indexes)
        else:
            return _go_to(request, customer)
    context = {"form": form, "billing": billing, "shipping": shipping, "separate_shipping": separate_shipping}
    return _render_form(request, context)


def _address_forms(billing: AddressForm, shipping: AddressForm, separate: bool) -> list[AddressForm]:
    forms = [billing] if billing.is_filled() else []
    if separate and shipping.is_filled():
        forms.append(shipping)
    return forms


def _new_addresses(billing: AddressForm, shipping: AddressForm, separate: bool) -> list[dict]:
    """Billing first; the shipping address is its copy unless another one was filled in, so that
    orders always find a default shipping address."""
    rows = []
    if billing.is_filled():
        rows.append({"kind": AddressKind.BILLING, **billing.address_values()})
    if separate and shipping.is_filled():
        rows.append({"kind": AddressKind.SHIPPING, **shipping.address_values()})
    elif rows:
        rows.append({**rows[0], "kind": AddressKind.SHIPPING})
    return rows


def _go_to(request: HtmxHttpRequest, customer: Customer) -> HttpResponse:
    url = reverse("customers:detail", kwargs={"number": customer.number})
    return HttpResponseClientRedirect(url) if is_partial(request) else redirect(url)


def _render_form(request: HtmxHttpRequest, context: dict) -> HttpResponse:
    _focus_first_error([f for f in (context["form"], context.get("billing"), context.get("shipping")) if f])
    template = "customers/customer_form.html"
    return render(request, f"{template}#customer-form" if is_partial(request) else template, context)


@require_http_methods(["GET", "POST"])
@role_required(CS)
@vary_on_headers("HX-Request")
def customer_edit(request: HtmxHttpRequest, number: str) -> HttpResponse:
    customer = _customer_or_404(number)
    form = CustomerForm(request.POST or None, initial=_initial(customer))
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_update(customer=customer, user=request.user, **form.cleaned_data)
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            return _go_to(request, customer)
    return _render_form(request, {"form": form, "customer": customer})


def _focus_first_error(forms: list) -> None:
    """Put the cursor on the first field to correct (htmx focuses ``autofocus`` after a swap)."""
    failing = [(form, name) for form in forms if form.is_bound for name in form.fields if name in form.errors]
    if not failing:
        return
    for form in forms:
        for field in form.fields.values():
            field.widget.attrs.pop("autofocus", None)
    form, name = failing[0]
    form.fields[name].widget.attrs["autofocus"] = True


def _initial(customer: Customer) -> dict:
    initial = {field: getattr(customer, field) for field in CustomerForm.base_fields}
    phone = customer.phone
    initial["phone"] = (phone.as_national if phone.country_code == 31 else phone.as_international) if phone else ""
    return initial


@require_POST
@role_required(CS, ACC)
@vary_on_headers("HX-Request")
def customer_credit_hold(request: HtmxHttpRequest, number: str) -> HttpResponse:
    customer = _customer_or_404(number)
    form = CreditHoldForm(request.POST)
    if form.is_valid():
        try:
            customer = services.customer_set_credit_hold(
                customer=customer, hold=form.cleaned_data["hold"], reason=form.cleaned_data["reason"], user=request.user
            )
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            if not is_partial(request):
                return redirect("customers:detail", number=customer.number)
            form = CreditHoldForm()
    if not is_partial(request):
        return _detail_with(request, customer, hold_form=form)
    context = {"customer": customer, "hold_form": form, "can_edit": has_role(request.user, CS), "oob": True}
    return render(request, "customers/customer_detail.html#customer-credit", context)


def _detail_with(request: HtmxHttpRequest, customer: Customer, **extra) -> HttpResponse:
    panels = customer_panels(customer)
    context = {
        "customer": customer,
        "addresses": selectors.customer_addresses(customer.pk),
        "history": selectors.customer_history(customer),
        "panels": panels,
        "orders_panel": any(p["name"] == "orders:customer_panel" for p in panels),
        "can_edit": has_role(request.user, CS),
        "hold_form": CreditHoldForm(),
        "ibans": selectors.customer_ibans(customer.pk),
        **extra,
    }
    return render(request, "customers/customer_detail.html", context)


def _addresses_response(request: HtmxHttpRequest, customer: Customer, **extra) -> HttpResponse:
    context = {
        "customer": customer,
        "addresses": selectors.customer_addresses(customer.pk),
        "can_edit": True,
        **extra,
    }
    if is_partial(request):
        return render(request, "customers/customer_detail.html#customer-addresses", context)
    if request.method == "POST" and not extra.get("address_form"):
        return redirect("customers:detail", number=customer.number)
    return _detail_with(request, customer, **extra)


@require_http_methods(["GET", "POST"])
@role_required(CS)
@vary_on_headers("HX-Request")
def address_add(request: HtmxHttpRequest, number: str) -> HttpResponse:
    customer = _customer_or_404(number)
    initial = {"kind": request.GET.get("kind", AddressKind.SHIPPING), "country": "NL"}
    form = AddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.address_add(
                customer=customer,
                kind=form.cleaned_data["kind"],
                is_default=form.cleaned_data["is_default"],
                user=request.user,
                **form.address_values(),
            )
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            return _addresses_response(request, customer)
    return _addresses_response(request, customer, address_form=form, form_url=request.path)


def _address_of(customer: Customer, address_id: int) -> Address:
    address = next((a for a in selectors.customer_addresses(customer.pk) if a.pk == address_id), None)
    if address is None:
        raise Http404("No such address for this customer.")
    return address


@require_http_methods(["GET", "POST"])
@role_required(CS)
@vary_on_headers("HX-Request")
def address_edit(request: HtmxHttpRequest, number: str, address_id: int) -> HttpResponse:
    customer = _customer_or_404(number)
    address = _address_of(customer, address_id)
    form = AddressForm(request.POST or None, initial=address.as_snapshot(), with_kind=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.address_update(address=address, user=request.user, **form.address_values())
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            return _addresses_response(request, customer)
    return _addresses_response(request, customer, address_form=form, form_url=request.path, editing=address)


@require_POST
@role_required(CS)
@vary_on_headers("HX-Request")
def address_make_default(request: HtmxHttpRequest, number: str, address_id: int) -> HttpResponse:
    customer = _customer_or_404(number)
    services.address_set_default(address=_address_of(customer, address_id), user=request.user)
    return _addresses_response(request, customer)


@require_POST
@role_required(CS, ACC)
@vary_on_headers("HX-Request")
def customer_iban_add(request: HtmxHttpRequest, number: str) -> HttpResponse:
    """Remember a bank account the customer pays from (bank statement matching uses it)."""
    customer = _customer_or_404(number)
    error = ""
    try:
        services.customer_iban_add(customer=customer, iban=request.POST.get("iban", ""), user=request.user)
    except OmsError as exc:
        error = exc.message
    if not is_partial(request):
        if not error:
            return redirect("customers:detail", number=customer.number)
        return _detail_with(request, customer, iban_error=error)
    context = {"customer": customer, "ibans": selectors.customer_ibans(customer.pk), "iban_error": error}
    return render(request, "customers/customer_detail.html#customer-ibans", context)
