"""The store's counter sale: scan (Enter adds), pick or skip the customer, PIN or cash (the
change shown as the cash is typed), complete, and the receipt-invoice. The cart lives in the
form and the URL (repeated ``sku``/``qty``), never in the session."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from billing import selectors, services
from billing.forms import CounterForm, parse_scan
from customers import selectors as customer_selectors
from customers.models import Customer, PaymentMethod
from oms.errors import NotFound, OmsError
from oms.htmx import HtmxHttpRequest, is_partial
from oms.roles import Role, role_required

ACC, CS = Role.ACCOUNTING, Role.CUSTOMER_SERVICE
TEMPLATE = "billing/counter.html"


def _find_customer(text: str) -> Customer | None:
    """A customer by number (``C-000123``) or e-mail; raises ``NotFound``."""
    text = (text or "").strip()
    if not text:
        return None
    found = customer_selectors.customer_find_by_email(text) if "@" in text else None
    return found or customer_selectors.customer_get_by_number(text)


def _state(form: CounterForm, *, edit: bool = True) -> dict:
    """The cart after this request's scan or removal (``edit``), priced, and what went wrong."""
    cart, errors = list(form.cart), []
    removed = form.remove_index() if edit else None
    if removed is not None and 0 <= removed < len(cart):
        cart.pop(removed)
    code, quantity = parse_scan(form.data.get("scan", "") if form.data and edit else "")
    if code:
        product = selectors.product_for_scan(code)
        if product is None:
            errors.append(f"No product with barcode or SKU '{code}'.")
        else:
            cart = _add(cart, product.sku, quantity)
    customer = None
    try:
        customer = _find_customer(form.data.get("customer", "") if form.data else "")
    except NotFound:
        errors.append("No customer with that number or e-mail address.")
    # A consumer (or the walk-in) pays shelf prices incl. VAT, a business list prices plus VAT.
    preview = selectors.counter_preview(cart, prices_include_vat=customer is None or not customer.is_b2b)
    errors += [f"'{sku}' is no longer sold." for sku in preview.unknown]
    return {"cart": cart, "preview": preview, "errors": errors, "customer": customer}


def _add(cart: list[tuple[str, int]], sku: str, quantity: int) -> list[tuple[str, int]]:
    for index, (line_sku, line_quantity) in enumerate(cart):
        if line_sku == sku:
            return [*cart[:index], (sku, line_quantity + quantity), *cart[index + 1 :]]
    return [*cart, (sku, quantity)]


def _change(tendered: Decimal | None, total: Decimal) -> Decimal | None:
    return tendered - total if tendered is not None and tendered >= total else None


def _context(request, form: CounterForm, state: dict, error: str = "") -> dict:
    tendered = form.cleaned_data.get("tendered") if form.is_valid() else None
    method = form.method_value()
    change = _change(tendered, state["preview"].total) if method == PaymentMethod.CASH else None
    return {
        **state,
        "form": form,
        "method": method,
        "methods": [(PaymentMethod.PIN, _("PIN"), "p"), (PaymentMethod.CASH, _("Cash"), "c")],
        "tendered": tendered,
        "change": change,
        "short": tendered is not None and method == PaymentMethod.CASH and tendered < state["preview"].total,
        "error": error,
        "focus": _focus(request, form, method, change),
    }


def _focus(request, form: CounterForm, method: str, change) -> str:
    """Where the cursor goes after a change, so the whole sale runs from the keyboard: back to
    the scanner after a scan; to the cash field when cash is chosen; to "Complete" once the
    cash covers the total (Enter then completes the sale)."""
    trigger = getattr(getattr(request, "htmx", None), "trigger_name", None)
    if form.data and form.data.get("scan"):
        return "scan"
    if trigger == "method" and method == PaymentMethod.CASH:
        return "tendered"
    if change is not None:
        return "complete"
    return "scan"


@require_GET
@role_required(CS, ACC)
@vary_on_headers("HX-Request")
def counter(request: HtmxHttpRequest) -> HttpResponse:
    """The counter: GET with the cart (and a scan or removal) renders it priced; no writes."""
    form = CounterForm(request.GET if request.GET else QueryDict())
    context = _context(request, form, _state(form))
    response = render(request, f"{TEMPLATE}#counter-sale" if is_partial(request) else TEMPLATE, context)
    if is_partial(request):
        # The URL keeps the cart (without the scanned code), so a reload shows the same sale.
        response["HX-Replace-Url"] = f"{reverse('billing:counter')}?{_url_state(form, context['cart'])}"
    return response


def _url_state(form: CounterForm, cart: list[tuple[str, int]]) -> str:
    params = [pair for sku, quantity in cart for pair in (("sku", sku), ("qty", quantity))]
    for name in ("customer", "method"):
        if form.data.get(name):
            params.append((name, form.data[name]))
    return urlencode(params)


@require_POST
@role_required(CS, ACC)
def counter_checkout(request: HtmxHttpRequest) -> HttpResponse:
    """Complete the sale (one service call); the receipt-invoice, or the counter with the error."""
    form = CounterForm(request.POST)
    state = _state(form, edit=False)  # sell what the screen shows, not a code still being typed
    error = "; ".join(state["errors"])
    if not error and not state["cart"]:
        error = "Scan at least one product."
    if not error and form.is_valid():
        try:
            sale = services.counter_sale(
                lines=[{"sku": sku, "quantity": quantity} for sku, quantity in state["cart"]],
                method=form.method_value(),
                customer=state["customer"],
                tendered=form.cleaned_data.get("tendered"),
                reference=form.cleaned_data.get("reference") or "",
                user=request.user,
            )
        except OmsError as exc:
            error = "; ".join(e.message for e in getattr(exc, "errors", [exc]))
        else:
            url = reverse("billing:counter_receipt", kwargs={"number": sale.invoice.number})
            if sale.tendered is not None:
                url += f"?tendered={sale.tendered:.2f}"
            return HttpResponseClientRedirect(url) if is_partial(request) else redirect(url)
    elif not error:
        error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    context = _context(request, form, state, error)
    return render(request, f"{TEMPLATE}#counter-sale" if is_partial(request) else TEMPLATE, context)


@require_GET
@role_required(CS, ACC)
def counter_receipt(request: HtmxHttpRequest, number: str) -> HttpResponse:
    """The receipt-invoice of a counter sale: lines, VAT per rate, total, how it was paid and
    the change; Enter starts the next sale."""
    try:
        invoice = selectors.invoice_get_by_number(number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = CounterForm(request.GET)
    tendered = form.cleaned_data.get("tendered") if form.is_valid() else None
    context = {
        "invoice": invoice,
        "payments": selectors.invoice_payments(invoice),
        "tendered": tendered,
        "change": _change(tendered, invoice.gross_amount),
    }
    return render(request, "billing/counter_receipt.html", context)
