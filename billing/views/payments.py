"""The billing panels other apps' pages load with htmx: the order panel (invoices, payments,
amount due; for accounting: invoice shipped or ordered quantities, record a payment, refund)
and the customer panel (open balance, credit, invoices, payments; record a payment on the
account). Each action answers with the panel re-rendered (errors inside it, status 200)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from billing import selectors, services
from billing.forms import OrderInvoiceForm, PaymentForm, RefundForm
from billing.services import payment_links
from customers import selectors as customer_selectors
from customers.models import Customer
from oms.errors import NotFound, OmsError, add_to_form
from oms.htmx import HtmxHttpRequest, is_partial
from oms.numbers import plain_int
from oms.roles import Role, has_role, role_required
from orders import selectors as order_selectors
from orders.services import payment as order_payment_services

ACC, CS = Role.ACCOUNTING, Role.CUSTOMER_SERVICE
ORDER_PANEL = "billing/partials/_order_panel.html"
CUSTOMER_PANEL = "billing/partials/_customer_panel.html"
# Polls (one every two seconds) of the invoice a worker is issuing before the panel stops asking.
INVOICE_POLLS = 30


def _order_billing_or_404(order_id: int) -> selectors.OrderBilling:
    try:
        return selectors.order_billing(order_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _order_panel(request, order_id: int, **forms) -> HttpResponse:
    billing = _order_billing_or_404(order_id)
    can_account = has_role(request.user, ACC)
    due = billing.amount_due if billing.amount_due > 0 else None
    context = {
        "billing": billing,
        "order": billing.order,
        "can_account": can_account,
        "payment_form": forms.get("payment_form")
        or PaymentForm(prefix="payment", initial={"method": billing.order.payment_method, "amount": due}),
        "refund_form": forms.get("refund_form") or RefundForm(),
        "refund_payment_id": forms.get("refund_payment_id"),
        "links": selectors.order_payment_links(order_id),
        "order_id": order_id,
        "invoice_polls": 0,
        "invoice_max_polls": INVOICE_POLLS,
    }
    sent = selectors.provider_refunds_by_refund(p.pk for p in billing.payments if p.is_refund)
    for payment in billing.payments:
        payment.provider_refund = sent.get(payment.pk)
    return render(request, ORDER_PANEL, context)


def _after_action(request, order_id: int, **forms) -> HttpResponse:
    if is_partial(request):
        return _order_panel(request, order_id, **forms)
    return redirect(reverse("billing:order_panel", kwargs={"order_id": order_id}))


@require_GET
@role_required(ACC, CS)
@vary_on_headers("HX-Request")
def order_panel(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """The invoices-and-payments panel of the order page (loaded there by URL name). While a
    prepaid order is paid in full and its invoice not issued yet (a worker issues it on the
    payment's event), the panel's invoices polls with ``?invoice_wait=<polls>``: the answer is
    that waiting line again while the invoice is not there (it stops polling after a while),
    then the whole panel, once."""
    polls = request.GET.get("invoice_wait")
    if polls is not None and is_partial(request):
        return _invoice_wait(request, order_id, plain_int(polls) or 0)
    return _order_panel(request, order_id)


def _invoice_wait(request, order_id: int, polls: int) -> HttpResponse:
    if selectors.order_invoice_pending(order_id):
        context = {"order_id": order_id, "invoice_polls": polls + 1, "invoice_max_polls": INVOICE_POLLS}
        return render(request, f"{ORDER_PANEL}#invoice-wait", context)
    return reswap(retarget(_order_panel(request, order_id), "#billing-order-panel"), "outerHTML")


@require_POST
@role_required(ACC)
def order_invoice(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    form = OrderInvoiceForm(request.POST)
    if form.is_valid():
        try:
            invoice = services.order_invoice(order_id=order_id, basis=form.cleaned_data["basis"], user=request.user)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except OmsError as exc:
            messages.warning(request, exc.message)
        else:
            messages.success(
                request,
                _("Invoice %(number)s issued: %(amount)s.")
                % {"number": invoice.number, "amount": f"{invoice.gross_amount:.2f}"},
            )
    return _after_action(request, order_id)


@require_POST
@role_required(ACC)
def order_payment(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    # the order and its customer are what the payment needs; the panel is read after it
    order = order_selectors.orders_by_ids([order_id]).get(order_id)
    if order is None:
        raise Http404(f"No order with id {order_id}.")
    form = PaymentForm(request.POST, prefix="payment")
    if form.is_valid():
        try:
            result = services.payment_record(order=order, user=request.user, **form.values())
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            done = (
                _("Recorded %(method)s %(amount)s.")
                if result.created
                else _("Already recorded: %(method)s %(amount)s.")
            )
            shown = {"method": result.payment.get_method_display(), "amount": f"{result.payment.amount:.2f}"}
            messages.success(request, done % shown)
            return _after_action(request, order_id)
    return _after_action(request, order_id, payment_form=form)


@require_POST
@role_required(ACC)
def payment_refund(request: HtmxHttpRequest, payment_id: int) -> HttpResponse:
    try:
        payment = selectors.payment_get(payment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            services.payment_refund(payment=payment, user=request.user, **form.cleaned_data)
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Refunded %(amount)s of %(reference)s.")
                % {"amount": f"{form.cleaned_data['amount']:.2f}", "reference": payment.reference},
            )
            form = None
    if payment.order_id is None:
        return _after_customer_action(request, payment.customer_id)
    if form is None:
        return _after_action(request, payment.order_id)
    return _after_action(request, payment.order_id, refund_form=form, refund_payment_id=payment.pk)


@require_POST
@role_required(ACC, CS)
def order_payment_link_new(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """Make a new payment link (the old one expired or was lost); customer service reads it out
    or sends it. The provider being away is not an error here: the link follows."""
    billing = _order_billing_or_404(order_id)
    try:
        link = payment_links.payment_link_new(order=billing.order, user=request.user)
    except OmsError as exc:
        messages.warning(request, exc.message)
    else:
        if link.checkout_url:
            messages.success(request, _("New payment link made."))
        else:
            messages.info(request, _("The payment provider cannot be reached now; the link follows automatically."))
    return _after_action(request, order_id)


@require_POST
@role_required(ACC, CS)
def order_payment_link_send(request: HtmxHttpRequest, order_id: int) -> HttpResponse:
    """E-mail the order's current payment link to the customer again."""
    billing = _order_billing_or_404(order_id)
    if order_payment_services.order_payment_link_send(order=billing.order, user=request.user):
        messages.success(request, _("Payment link sent to %(email)s.") % {"email": billing.order.customer.email})
    else:
        messages.warning(request, _("Nothing sent: no valid link, or it was sent less than a minute ago."))
    return _after_action(request, order_id)


# --- customer panel --------------------------------------------------------------------------------


def _customer_panel(
    request, customer_id: int, payment_form: PaymentForm | None = None, customer: Customer | None = None
) -> HttpResponse:
    """``customer``: when the request read it already (a payment does not change the row)."""
    if customer is None:
        try:
            customer = customer_selectors.customer_get(customer_id)
        except NotFound as exc:
            raise Http404(exc.message) from exc
    context = {
        "customer": customer,
        "account": selectors.customer_account(customer.pk),
        "can_account": has_role(request.user, ACC),
        "payment_form": payment_form or PaymentForm(prefix="payment", initial={"method": "bank_transfer"}),
    }
    return render(request, CUSTOMER_PANEL, context)


def _after_customer_action(request, customer_id: int, **kwargs) -> HttpResponse:
    if is_partial(request):
        return _customer_panel(request, customer_id, **kwargs)
    return redirect(reverse("billing:customer_panel", kwargs={"customer_id": customer_id}))


@require_GET
@role_required(ACC, CS)
@vary_on_headers("HX-Request")
def customer_panel(request: HtmxHttpRequest, customer_id: int) -> HttpResponse:
    """The invoices-and-payments panel of the customer page (loaded there with htmx)."""
    return _customer_panel(request, customer_id)


@require_POST
@role_required(ACC)
def customer_payment(request: HtmxHttpRequest, customer_id: int) -> HttpResponse:
    """A payment on the customer's account (a bank transfer for invoices): pays the oldest open
    invoices first; what is left is credit."""
    try:
        customer = customer_selectors.customer_get(customer_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = PaymentForm(request.POST, prefix="payment")
    if form.is_valid():
        try:
            result = services.payment_record(customer=customer, user=request.user, **form.values())
        except OmsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Recorded %(amount)s (%(reference)s).")
                % {"amount": f"{result.payment.amount:.2f}", "reference": result.payment.reference},
            )
            return _after_customer_action(request, customer_id, customer=customer)
    return _after_customer_action(request, customer_id, payment_form=form, customer=customer)
