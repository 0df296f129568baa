"""The customer's own order page, ``/s/<token>/`` (no login; ``orders.status_links``): the
order's status, the promised delivery, its parcels with their tracking links, its invoices and
credit notes, the payment link while unpaid, and a return request within the return period.

Everything shown is the token's order's and nothing links to the staff screens. A return
request registers a return through ``shipping.services.returns.return_register`` like customer
service does; the form carries a key made when the page was shown, so submitting it twice (a
double click, the browser's back and resend) makes one return. None of the carrier adapters
(``shipping.carriers``) that offers returns makes the return label in a worker
(``shipping.services.return_labels``); the page links to it once it is there
(``customer_return_label``), and otherwise tells the customer where to send the parcel.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from oms.errors import OmsError
from oms.numbers import plain_int
from orders.models import Order
from orders.status_links import NOT_FOUND_TEMPLATE, order_token, public_page, status_path
from shipping.models import Return, ReturnLabelStatus, ReturnReason
from shipping.selectors.customer_page import CustomerShipping, customer_shipping, return_by_request_key
from shipping.services import returns

TEMPLATE = "shipping/customer_page.html"
# What a customer can give as the reason (the carrier's "undeliverable" is not theirs to pick).
CUSTOMER_REASONS = [choice for choice in ReturnReason.choices if choice[0] != ReturnReason.UNDELIVERABLE]
MAX_KEY = 64
CUSTOMER_NOTE = "Asked for on the customer's order page."


@require_http_methods(["GET", "POST"])
@public_page
def customer_page(request, order: Order):
    shipping = customer_shipping(order)
    errors: dict[str, str] = {}
    posted: dict = {}
    if request.method == "POST":
        posted = request.POST
        key = request.POST.get("request_key", "")[:MAX_KEY]
        earlier = return_by_request_key(order.pk, key)
        if earlier is not None:  # the same form again: what it made the first time
            return redirect(f"{status_path(order)}?return={earlier.number}#returns")
        wanted, reason, note, errors = _read_request(request.POST, order, shipping)
        if not errors:
            try:
                ret = returns.return_register(
                    order_id=order.pk,
                    lines=sorted(wanted.items()),
                    reason=reason,
                    note=f"{CUSTOMER_NOTE} {note}".strip()[:300],
                    user=None,
                    request_key=key or None,
                    with_label=True,
                )
            except OmsError as exc:
                errors["form"] = _service_error(exc)
            else:
                return redirect(f"{status_path(order)}?return={ret.number}#returns")
    return render(request, TEMPLATE, _context(request, order, shipping, errors=errors, posted=posted))


def _read_request(data, order: Order, shipping: CustomerShipping):
    """The lines, reason and note of a posted return request, with the customer's errors by
    field (in their language; the service checks again under its lock)."""
    errors: dict[str, str] = {}
    wanted: dict[int, int] = {}
    if not shipping.can_return:
        errors["form"] = _("A return can no longer be requested for this order.")
        return wanted, "", "", errors
    for line in order.lines.all():
        left = shipping.returnable.get(line.pk, 0)
        raw = (data.get(f"qty-{line.pk}") or "").strip()
        if not raw or left <= 0:
            continue
        quantity = plain_int(raw)
        if quantity is None:
            errors[f"qty-{line.pk}"] = _("Enter a whole number.")
        elif quantity > left:
            errors[f"qty-{line.pk}"] = _("At most %(count)s can be returned.") % {"count": left}
        elif quantity:
            wanted[line.pk] = quantity
    if not wanted and not errors:
        errors["lines"] = _("Choose at least one item to return.")
    reason = data.get("reason", "")
    if reason not in dict(CUSTOMER_REASONS):
        errors["reason"] = _("Choose a reason.")
    note = (data.get("note") or "").strip()
    if len(note) > 200:
        errors["note"] = _("At most 200 characters.")
    return wanted, reason, note, errors


def _service_error(exc: OmsError) -> str:
    if exc.code == "more_than_shipped":
        return _("Some of these items are already being returned. Please check the quantities.")
    return _("The return could not be registered. Please check your choices.")


def _context(request, order: Order, shipping: CustomerShipping, *, errors: dict, posted) -> dict:
    lines = [line for line in order.lines.all() if not line.is_cancelled]
    for line in lines:
        # The line's own promise (lines placed before lines kept one: the order's).
        line.promise = line.promised_delivery_date or order.promised_delivery_date
        line.returnable = max(shipping.returnable.get(line.pk, 0), 0)
        line.posted_quantity = posted.get(f"qty-{line.pk}", "") if posted else ""
        line.error = errors.get(f"qty-{line.pk}", "")
    return {
        "order": order,
        "lines": lines,
        "shipping": shipping,
        "documents": _documents(order),
        "payment_url": order.current_payment_url,  # valid and unpaid only
        "reasons": CUSTOMER_REASONS,
        "errors": errors,
        "posted": posted,
        "request_key": posted.get("request_key") if posted else secrets.token_urlsafe(24),
        "registered": request.GET.get("return", "")[:20],
        "token": order_token(order),
        "seller": settings.OMS_SELLER,
    }


def _documents(order: Order) -> list[dict]:
    """The order's invoices and credit notes (billing's, through the order API's extension
    point), each with its download link on this page's token."""
    path = settings.OMS_ORDER_API_EXTRAS.get("invoices")
    if not path:
        return []
    token = order_token(order)
    documents = import_string(path)([order]).get(order.pk, [])
    for document in documents:
        document["download_url"] = reverse(
            "status_documents:document", kwargs={"token": token, "number": document["number"]}
        )
    return documents


@require_GET
@public_page
def customer_return_label(request, order: Order, number: str):
    """The PDF of one of the token's order's return labels; 404 for anything else."""
    ret = Return.objects.filter(order_id=order.pk, number=number, label_status=ReturnLabelStatus.READY).first()
    if ret is None or not ret.label_file or not default_storage.exists(ret.label_file.name):
        return render(request, NOT_FOUND_TEMPLATE, status=404)
    return FileResponse(
        default_storage.open(ret.label_file.name, "rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{ret.number}-return-label.pdf",
    )
