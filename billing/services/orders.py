"""Invoicing orders: what is invoiced when, and never twice.

* Prepaid orders (iDEAL, card, Klarna, Riverty, PIN, cash) are invoiced in full once they are
  placed *and* paid in full, whichever comes last: the ``order.placed`` and ``payment.received``
  handlers both call ``order_invoice_when_paid``, right after the placing or the payment commits
  (on the worker; inline in the quick start), and ``prepaid_orders_invoice_sweep`` (every ten
  minutes) invoices a paid order whose event was lost or failed for good. Invoicing at payment
  rather than at placement means an abandoned or cancelled unpaid order never gets an invoice to
  credit, and a payment that arrives before the invoice waits as the order's credit for it.
  The counter sale invoices in its own transaction (its receipt is printed at once).
* Every other order (on account, bank transfer) is invoiced per shipment: on
  ``shipment.handed_off`` the quantities shipped and not yet invoiced, per order line
  (``order_invoice(basis="shipped")``); the order panel can invoice shipped or ordered
  quantities by hand. The shipping charge goes on the order's first invoice.
* ``InvoicedOrderLine`` keeps per order line the units and net amount invoiced, changed in the
  transaction that issues the invoice and under the customer's billing lock, so a repeated
  event, a second shipment or a double click never invoices the same units twice.
* A cancelled order's invoices are credited in full (``order.cancelled``).

Invoice lines copy the order's snapshots (price, discount, VAT category and rate) and its price
basis: a consumer's order (prices incl. VAT) is invoiced at its shelf prices, the VAT extracted
per rate, and its shipping line at the charge's gross (``orders.pricing``). The last
invoice of a line takes exactly what is left of the line's total, and the invoice that
completes a VAT rate of the order takes the VAT left at that rate (the order computes VAT per
rate over the whole order, each invoice over itself), so the invoices of an order add up to the
order to the cent: net and VAT per rate, and gross.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing import selectors
from billing.models import PREPAID_METHODS, Invoice, InvoicedOrderLine, InvoiceKind, InvoiceVat, LineKind
from billing.services import payments
from billing.services.credits import invoice_credit
from billing.services.invoices import invoice_issue
from billing.services.locks import lock_customer_billing
from oms.errors import Conflict, ValidationFailed
from oms.i18n import english
from oms.money import HUNDRED, ZERO, quantize
from oms.reference_cache import stamps_read_once
from orders import selectors as order_selectors
from orders.models import Order, OrderLine, OrderStatus, VatRegime
from orders.pricing import order_totals, shipping_line_amount

BASES = ("shipped", "ordered")
SHIPPING_DESCRIPTION = "Verzendkosten"
NOT_INVOICEABLE = (OrderStatus.DRAFT, OrderStatus.CANCELLED)
logger = logging.getLogger(__name__)


def order_invoice(
    *,
    order_id: int,
    basis: str,
    user,
    settled_by: str | None = None,
    supply_date: date | None = None,
) -> Invoice:
    """Invoice what of order ``order_id`` is not yet invoiced: per line the shipped quantity
    (``basis="shipped"``) or the ordered quantity (``"ordered"``), less what was invoiced, plus
    the shipping charge on the first invoice. Pays it from the order's credit (and the
    customer's unearmarked credit) at once. ``settled_by`` books a cash sale (the counter).

    Not durable (event handlers call it). Takes the customer's billing lock, then (issuing) the
    yearly invoice counter, then payments and orders as ``credit_apply`` does. Publishes
    ``invoice.issued``. Raises ``ValidationFailed`` ``basis``, ``Conflict`` ``not_invoiceable``
    (a draft or cancelled order) / ``nothing_to_invoice``, and what ``invoice_issue`` raises.
    """
    if basis not in BASES:
        raise ValidationFailed("Invoice the shipped or the ordered quantities.", code="invalid_choice", field="basis")
    order = order_selectors.order_get(order_id)
    if order.status in NOT_INVOICEABLE:
        raise Conflict(
            f"Order {order.number} is {english(order.get_status_display()).lower()}.", code="not_invoiceable"
        )
    with transaction.atomic():
        lock_customer_billing(order.customer_id)
        return invoice_order_locked(order, basis, user=user, settled_by=settled_by, supply_date=supply_date)


def invoice_order_locked(
    order: Order,
    basis: str,
    *,
    user,
    settled_by: str | None = None,
    supply_date: date | None = None,
    done: dict[int, InvoicedOrderLine] | None = None,
) -> Invoice:
    """``order_invoice`` for a caller that holds the customer's billing lock and ``order`` (from
    ``order_get``, read under that lock) in its transaction; ``done``: ``invoiced_so_far`` when
    the caller knows it (``{}`` for an order placed in its own use case)."""
    with stamps_read_once():
        done = invoiced_so_far(order.pk) if done is None else done
        lines = invoice_lines(order, basis, done)
        if not lines:
            raise Conflict(f"Everything {basis} of order {order.number} is invoiced.", code="nothing_to_invoice")
        return _issue(order, lines, user=user, settled_by=settled_by, supply_date=supply_date, done=done)


def _issue(
    order: Order,
    lines: list[dict],
    *,
    user,
    settled_by: str | None,
    supply_date: date | None,
    done: dict[int, InvoicedOrderLine],
) -> Invoice:
    """Issue the invoice of ``lines`` for ``order``, count them invoiced, pay it from credit
    (the caller holds the billing lock, in its transaction)."""
    with transaction.atomic(savepoint=False):
        invoice = invoice_issue(
            customer=order.customer,
            lines=lines,
            supply_date=supply_date or timezone.localdate(),
            payment_terms_days=0 if order.payment_method in PREPAID_METHODS else None,
            reverse_charge=order.vat_regime == VatRegime.REVERSE_CHARGE,
            export=order.vat_regime == VatRegime.EXPORT,
            reference=order.number,
            order=order,
            settled_by=settled_by,
            order_left=order_left_to_invoice(order, invoiced=bool(done)),
            prices_include_vat=order.prices_include_vat,
            vat_country=(order.shipping_address or {}).get("country", "") if order.vat_regime == VatRegime.OSS else "",
            user=user,
            savepoint=False,  # inside this block, which a failure ends
        )
        _count_invoiced(order, invoice, done)
        if not settled_by:
            payments.credit_apply(invoices=[invoice], customer_id=order.customer_id, user=user)
    return invoice


def order_left_to_invoice(order: Order, *, invoiced: bool = True) -> dict[Decimal, dict[str, Decimal]]:
    """Per VAT rate, the net and VAT of ``order`` (as the order computes them: per rate over the
    whole order, shipping included) less what its invoices (not credit notes: a return does not
    make the order's remaining units cost more) carried so far. The invoice that takes all the
    net left at a rate takes the VAT left there too (``invoices.closing_totals``)."""
    totals = order_totals(
        ((line.line_total, line.vat_rate) for line in order.lines.all() if not line.is_cancelled),
        order.shipping_amount,
        order.shipping_vat_rate,
        prices_include_vat=order.prices_include_vat,
    )
    if totals.gross != order.gross_amount:  # not the order's own arithmetic: leave it alone
        return {}
    left = {quantize(rate): dict(row) for rate, row in totals.by_rate.items()}
    if not invoiced:  # the order has no invoice yet (``invoiced=False``): everything is left
        return left
    done = InvoiceVat.objects.filter(invoice__order_id=order.pk, invoice__kind=InvoiceKind.INVOICE)
    for row in done.values("rate", "net_amount", "vat_amount"):
        done = left.setdefault(quantize(row["rate"]), {"net": ZERO, "vat": ZERO, "gross": ZERO})
        done["net"] -= row["net_amount"]
        done["vat"] -= row["vat_amount"]
        done["gross"] -= row["net_amount"] + row["vat_amount"]
    return left


def invoiced_so_far(order_id: int) -> dict[int, InvoicedOrderLine]:
    """Per order line, what its invoices carried so far (one query)."""
    return {row.order_line_id: row for row in InvoicedOrderLine.objects.filter(order_id=order_id)}


def invoice_lines(order: Order, basis: str, done: dict[int, InvoicedOrderLine] | None = None) -> list[dict]:
    """The invoice lines of what is still to invoice (an order from ``order_get``; one query, or
    none with ``done`` from ``invoiced_so_far``; one more when the shipping may be invoiced)."""
    done = invoiced_so_far(order.pk) if done is None else done
    lines = []
    for line in order.lines.all():
        if line.is_cancelled:
            continue
        target = line.quantity_shipped if basis == "shipped" else line.quantity
        invoiced = done.get(line.pk)
        quantity = target - (invoiced.quantity if invoiced else 0)
        if quantity > 0:
            lines.append(_goods_line(line, quantity, invoiced))
    # Every invoice of an order carries goods lines (the shipping only rides along), so an order
    # with nothing counted invoiced has no invoice yet, and its shipping is not invoiced.
    if lines and order.shipping_amount > 0 and done and not _shipping_invoiced(order.pk):
        lines.append(_shipping_line(order))
    elif lines and order.shipping_amount > 0 and not done:
        lines.append(_shipping_line(order))
    return lines


def _shipping_line(order: Order) -> dict:
    return {
        "kind": LineKind.SHIPPING,
        "description": SHIPPING_DESCRIPTION,
        "quantity": 1,
        "unit_price": shipping_line_amount(
            order.shipping_amount, order.shipping_vat_rate, prices_include_vat=order.prices_include_vat
        ),
        "vat_category": "high",
        "vat_rate": order.shipping_vat_rate,
    }


def _goods_line(line: OrderLine, quantity: int, invoiced: InvoicedOrderLine | None) -> dict:
    done_quantity, done_net = (invoiced.quantity, invoiced.net_amount) if invoiced else (0, ZERO)
    if done_quantity + quantity == line.quantity:
        net = line.line_total - done_net  # the last units take what is left: no cent lost
    else:
        net = quantize(Decimal(quantity) * line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED)
    # a discount or price given by hand carries its reason onto the invoice
    description = f"{line.name} ({line.price_reason})" if line.price_reason else line.name
    return {
        "description": description[:300],
        "sku": line.sku,
        "quantity": quantity,
        "unit_price": line.unit_price,
        "discount": quantity * line.unit_price - net,
        "vat_category": line.vat_category,
        "vat_rate": line.vat_rate,
        "order_line_id": line.pk,
    }


def _shipping_invoiced(order_id: int) -> bool:
    return Invoice.objects.filter(order_id=order_id, kind=InvoiceKind.INVOICE, lines__kind=LineKind.SHIPPING).exists()


def _count_invoiced(order: Order, invoice: Invoice, existing: dict[int, InvoicedOrderLine]) -> None:
    """Add the invoice's lines (as ``invoice_issue`` wrote them) to what ``existing``
    (``invoiced_so_far``, read under the same billing lock) counted."""
    new, changed = [], []
    for line in (line for line in invoice.written_lines if line.order_line_id is not None):
        row = existing.get(line.order_line_id)
        if row is None:
            new.append(
                InvoicedOrderLine(
                    order_line_id=line.order_line_id, order=order, quantity=line.quantity, net_amount=line.net_amount
                )
            )
        else:
            row.quantity += line.quantity
            row.net_amount += line.net_amount
            changed.append(row)
    if new:
        InvoicedOrderLine.objects.bulk_create(new)
    if changed:
        InvoicedOrderLine.objects.bulk_update(changed, ["quantity", "net_amount"])


def order_is_paid(order: Order) -> bool:
    """Paid in full by billing's own books (the order's payments and what paid its invoices)."""
    return order.gross_amount > 0 and selectors.order_paid_totals([order.pk])[order.pk] >= order.gross_amount


def order_invoice_when_paid(*, order_id: int, user=None) -> Invoice | None:
    """A prepaid order placed and paid in full gets its invoice for everything not yet invoiced;
    anything else is left alone (returns None), so calling it again, or at the same time from
    two workers, issues one invoice: the second waits for the customer's billing lock and then
    finds everything invoiced (the one-to-one ``InvoicedOrderLine`` per order line is the
    backstop). Not durable (the ``order.placed`` and ``payment.received`` handlers and the
    sweep call it). Locks as ``order_invoice``."""
    order = order_selectors.order_get(order_id)
    if order.payment_method not in PREPAID_METHODS or order.status in NOT_INVOICEABLE:
        return None
    with transaction.atomic():
        lock_customer_billing(order.customer_id)
        # read again under the lock: a cancellation or an invoice committed while we waited
        return invoice_if_paid_locked(order_selectors.order_get(order_id), user=user)


# An order paid this recently is left to its ``payment.received`` handler; one untouched for
# longer than the window is not looked at (a dead outbox event shows in the admin for retry).
SWEEP_GRACE = timedelta(minutes=2)
SWEEP_WINDOW = timedelta(days=7)


def prepaid_orders_invoice_sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """Invoice the prepaid orders paid in full without an invoice (their event was lost or its
    handler failed for good): a beat task's backstop. Idempotent; returns the invoices issued."""
    now = now or timezone.now()
    issued = 0
    for order_id in selectors.prepaid_orders_paid_not_invoiced(
        methods=PREPAID_METHODS, updated_after=now - SWEEP_WINDOW, updated_before=now - SWEEP_GRACE, limit=limit
    ):
        try:
            issued += order_invoice_when_paid(order_id=order_id) is not None
        except Exception:  # one order's problem must not stop the others; it is logged and retried
            logger.exception("prepaid invoice sweep: order %s failed", order_id)
    return issued


def invoice_if_paid_locked(order: Order, *, user, paid: Decimal | None = None) -> Invoice | None:
    """``order_invoice_when_paid`` for a caller that holds the customer's billing lock in its
    transaction, with ``order`` from ``order_get`` read under it; ``paid``: the order's paid
    total (``order_paid_totals``) when the caller just computed it."""
    if order.payment_method not in PREPAID_METHODS or order.status in NOT_INVOICEABLE:
        return None
    paid = selectors.order_paid_totals([order.pk])[order.pk] if paid is None else paid
    if not (order.gross_amount > 0 and paid >= order.gross_amount):
        return None
    with stamps_read_once():
        done = invoiced_so_far(order.pk)
        lines = invoice_lines(order, "ordered", done)
        if not lines:
            return None
        return _issue(order, lines, user=user, settled_by=None, supply_date=order.supply_date, done=done)


def order_invoice_shipped(*, order_id: int, user=None) -> Invoice | None:
    """Invoice what shipped and is not yet invoiced (the ``shipment.handed_off`` handler); None
    when there is nothing (a repeated event, a prepaid order invoiced in full). A prepaid order
    is never invoiced at hand-off: it is invoiced in full once paid (``order_invoice_when_paid``;
    issue 15: an unpaid card order was invoiced per shipment). Not durable."""
    order = order_selectors.order_get(order_id)
    if order.payment_method in PREPAID_METHODS:
        return order_invoice_when_paid(order_id=order_id, user=user)
    try:
        return order_invoice(order_id=order_id, basis="shipped", user=user)
    except Conflict as exc:
        if exc.code in ("nothing_to_invoice", "not_invoiceable"):
            return None
        raise


def order_credit_cancelled(*, order_id: int, user=None) -> list[Invoice]:
    """Credit in full every invoice of a cancelled order that is not yet credited (the
    ``order.cancelled`` handler); what was paid becomes customer credit, to be refunded. Not
    durable. Locks the customer's billing lock, each invoice, the credit-note counter."""
    order = order_selectors.order_get(order_id)
    notes = []
    with transaction.atomic():
        lock_customer_billing(order.customer_id)
        invoices = Invoice.objects.filter(
            order_id=order_id, kind=InvoiceKind.INVOICE, amount_credited__lt=F("gross_amount")
        )
        for invoice in invoices.order_by("id"):
            notes.append(invoice_credit(invoice=invoice, reason=f"Order {order.number} cancelled", user=user))
    return notes
