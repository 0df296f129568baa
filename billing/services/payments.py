"""Payments and refunds: record them, post them, allocate them to invoices, keep orders told.

Rules (README "Invoices, payments and the counter sale"):

* A payment for an order pays that order's open invoices, oldest first; a payment without an
  order (a settlement of the customer's account) pays the customer's open invoices, oldest
  first. What is left is customer credit (account 1600), kept on the payment: a new invoice of
  the order takes the order's credit first, then the customer's unearmarked credit.
* A refund is a negative payment with its own reference that returns money of one payment: from
  its unused credit first, then by taking back what it paid on invoices (newest first), never
  more than was paid (a CHECK on the payment's running totals is the backstop).
* An invoice credited after it was paid gives the overpaid part back to its payments as credit.
* Orders keep ``amount_paid`` (``order_record_payment_total``): the order's own payments less
  refunds, plus what the customer's unearmarked payments paid on the order's invoices.

Postings: a payment debits the money account of its method (``PAYMENT_METHOD_ACCOUNTS``) and
credits receivables (what it paid on invoices) and customer credit (the rest); credit applied to
an invoice moves it from customer credit to receivables; a refund is the mirror image.

Every use case takes the customer's billing lock first (``billing.services.locks``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, Sum
from django.utils import timezone

from billing import accounts, selectors
from billing.event_names import PAYMENT_RECEIVED
from billing.models import Invoice, InvoiceKind, Payment, PaymentAllocation, derive_status
from billing.models.invoices import OPEN_STATUSES
from billing.services.ledger import journal_post, ledger_lock_date
from billing.services.locks import lock_customer_billing
from billing.services.provider_refunds import provider_refund_for
from customers.models import Customer, PaymentMethod
from oms import events
from oms.errors import Conflict, ValidationFailed
from oms.i18n import english
from oms.money import ZERO, to_decimal
from oms.reference_cache import stamps_read_once
from orders import services as order_services
from orders.models import Order

REFERENCE_CONSTRAINT = "payment_reference_once_per_method"
MAX_AMOUNT = Decimal("999999999.99")
# A payment time a little ahead of our clock is a clock difference, not a typing error.
CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    created: bool  # False: a repeat of a recorded payment (same method and reference)


# --- input ---------------------------------------------------------------------------------------


def clean_method(value) -> str:
    if not isinstance(value, str) or value not in PaymentMethod.values:
        raise ValidationFailed(
            f"Payment method must be one of: {', '.join(PaymentMethod.values)}.", code="invalid_choice", field="method"
        )
    return value


def clean_amount(value, *, field: str = "amount") -> Decimal:
    """A non-zero amount with at most two decimals (negative: a refund); never a float."""
    if isinstance(value, bool | float) or not isinstance(value, str | int | Decimal):
        raise ValidationFailed('Enter an amount as a string, e.g. "24.94".', code="invalid_amount", field=field)
    try:
        amount = to_decimal(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed("Not an amount.", code="invalid_amount", field=field) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) or abs(amount) > MAX_AMOUNT:
        raise ValidationFailed("Enter an amount with at most two decimals.", code="invalid_amount", field=field)
    if amount == 0:
        raise ValidationFailed("A payment of nothing is not a payment.", code="invalid_amount", field=field)
    return amount.quantize(Decimal("0.01"))


def clean_reference(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("Give the payment's reference.", code="required", field="reference")
    reference = value.strip()
    if len(reference) > 100:
        raise ValidationFailed("A reference has at most 100 characters.", code="max_length", field="reference")
    return reference


def clean_paid_at(value: datetime | None, *, history: bool = False) -> datetime:
    """``paid_at`` as an aware time: not in the future, not more than ``OMS_PAYMENT_MAX_AGE_DAYS``
    ago (unless ``history``), and after the lock date."""
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + CLOCK_SKEW:
        raise ValidationFailed("A payment cannot be in the future.", code="in_the_future", field="paid_at")
    max_age = settings.OMS_PAYMENT_MAX_AGE_DAYS
    if not history and value < now - timedelta(days=max_age):
        raise ValidationFailed(
            f"A payment more than {max_age} days ago cannot be recorded here; ask accounting to post it.",
            code="too_old",
            field="paid_at",
        )
    lock_date = ledger_lock_date()
    if lock_date is not None and timezone.localdate(value) <= lock_date:
        raise ValidationFailed(
            f"The books are locked through {lock_date:%Y-%m-%d}: a payment must be dated after that.",
            code="period_locked",
            field="paid_at",
        )
    return value


# --- recording -----------------------------------------------------------------------------------


def payment_record(
    *,
    method: str,
    amount,
    reference: str,
    user,
    order: Order | None = None,
    customer: Customer | None = None,
    paid_at: datetime | None = None,
    refund_of: Payment | None = None,
    provider: str = "",
    history: bool = False,
) -> PaymentResult:
    """Record a payment for ``order`` (or, without one, for ``customer``'s account); a negative
    ``amount`` records a refund (of ``refund_of``, else of the order's latest payment by
    ``method`` that can cover it). ``reference`` is unique per method: a repeat of a recorded
    payment (same method, reference, order and amount) returns it with ``created=False`` and
    changes nothing; the same reference for something else is a ``Conflict``.

    Durable. Takes the customer's billing lock (so concurrent repeats record one payment; the
    unique index is the backstop), locks the invoices it pays, then the orders whose paid total
    changes (``order_record_payment_total``). Publishes ``payment.received`` (money in), whose
    handler invoices a prepaid order now paid in full after commit (``billing.events``). Raises
    ``ValidationFailed`` (``method``, ``amount``, ``reference``, ``paid_at``), ``Conflict``
    ``payment_reference_conflict`` / ``refund_exceeds_paid`` / ``nothing_to_refund``.

    ``paid_at`` more than ``OMS_PAYMENT_MAX_AGE_DAYS`` ago is refused (``too_old``) unless
    ``history`` (loading past data: the demo loader; never the API or the screens); on or before
    the lock date it is always refused (``period_locked``).
    """
    method, amount, reference = clean_method(method), clean_amount(amount), clean_reference(reference)
    with stamps_read_once():  # one read of the ledger's cached tables' stamps for the whole use case
        return _record(
            method=method,
            amount=amount,
            reference=reference,
            user=user,
            order=order,
            customer=customer,
            paid_at=paid_at,
            refund_of=refund_of,
            provider=provider,
            history=history,
        )


def _record(*, method, amount, reference, user, order, customer, paid_at, refund_of, provider, history):
    paid_at = clean_paid_at(paid_at, history=history)
    customer = order.customer if order is not None else customer
    if customer is None:
        raise ValidationFailed("Say who paid.", code="required", field="customer")
    if refund_of is not None and amount > 0:
        raise ValidationFailed("A refund is a negative amount.", code="not_a_refund", field="refund_of")
    try:
        with transaction.atomic(durable=True):
            lock_customer_billing(customer.pk)
            existing = _existing(method, reference)
            if existing is not None:
                return PaymentResult(_repeat(existing, order, customer, amount), False)
            if amount > 0:
                payment = receive(
                    customer=customer,
                    order=order,
                    method=method,
                    amount=amount,
                    reference=reference,
                    paid_at=paid_at,
                    provider=provider,
                    user=user,
                )
            else:
                head = refund_of or _refund_source(order, customer, method, -amount)
                payment = refund(head=head, amount=-amount, reference=reference, paid_at=paid_at, user=user)
    except IntegrityError as exc:
        # Another customer's payment took this reference first (our own repeats wait for the lock).
        existing = _existing(method, reference) if REFERENCE_CONSTRAINT in str(exc) else None
        if existing is None:
            raise
        return PaymentResult(_repeat(existing, order, customer, amount), False)
    return PaymentResult(payment, True)


def _existing(method: str, reference: str) -> Payment | None:
    return Payment.objects.filter(method=method, reference=reference).first()


def _repeat(existing: Payment, order: Order | None, customer: Customer, amount: Decimal) -> Payment:
    same = (
        existing.customer_id == customer.pk
        and existing.order_id == (order.pk if order else None)
        and existing.amount == amount
    )
    if not same:
        raise Conflict(
            f"Reference '{existing.reference}' ({existing.method}) is already used for another payment.",
            code="payment_reference_conflict",
            field="reference",
        )
    return existing


def receive(
    *,
    customer: Customer,
    order: Order | None,
    method: str,
    amount: Decimal,
    reference: str,
    paid_at: datetime,
    user,
    provider: str = "",
    pay: list[tuple[int, Decimal | None]] | None = None,
) -> Payment:
    """Money in (under the caller's billing lock, in its transaction): post it, pay the open
    invoices it may pay, keep the rest as credit, tell orders, publish ``payment.received``
    (whose handler invoices a prepaid order paid in full). Not durable; ``payment_record`` is
    the use case.

    ``pay`` directs the money (a bank transfer naming invoices, a split on the matching screen):
    ``(invoice id, amount or None for what is open)`` pairs, paid in that order and never beyond
    what is open or what was paid; the rest is credit. Raises ``Conflict`` ``invoice_not_open``
    when one of them is not an open invoice of ``customer``."""
    payment = Payment(
        customer=customer,
        order=order,
        method=method,
        amount=amount,
        reference=reference,
        paid_at=paid_at,
        provider=provider[:30],
        created_by=user if getattr(user, "pk", None) else None,
    )
    if pay is None:
        invoices = _lock_open_invoices(customer.pk, order_id=order.pk if order else None)
        plan = allocation_plan(invoices, [payment])
    else:
        plan = _directed_plan(payment, customer.pk, pay)
    paid_on_invoices = sum((part for _, _, part in plan), ZERO)
    payment.amount_allocated = paid_on_invoices  # inserted with it: the allocations below add nothing
    payment.journal_entry = journal_post(
        date=timezone.localdate(paid_at),
        description=f"Payment {_label(method)} {reference}"[:200],
        lines=_payment_legs(method, amount, paid_on_invoices, customer.pk, reference),
        user=user,
    )
    payment.save()
    write_allocations(plan, payment.journal_entry, counted=payment)
    events.publish(
        PAYMENT_RECEIVED,
        {"payment_id": payment.pk, "order_id": payment.order_id, "customer_id": customer.pk, "amount": str(amount)},
    )
    # A prepaid order now paid in full is invoiced by the ``payment.received`` handler right
    # after this commits (``billing.events.payment_received``), not here: the payment stays a
    # payment's worth of statements, and the invoice takes this payment's credit then.
    sync_order_totals({payment.order_id, *(invoice.order_id for _, invoice, _ in plan)}, user=user)
    return payment


def _label(method: str) -> str:
    return english(PaymentMethod(method).label)


def _payment_legs(method: str, amount: Decimal, on_invoices: Decimal, customer_id: int, memo: str) -> list[dict]:
    legs = [{"account": accounts.PAYMENT_METHOD_ACCOUNTS[method], "debit": amount, "memo": memo}]
    if on_invoices:
        legs.append({"account": accounts.RECEIVABLES, "credit": on_invoices, "customer": customer_id, "memo": memo})
    if amount - on_invoices:
        legs.append(
            {"account": accounts.CUSTOMER_CREDIT, "credit": amount - on_invoices, "customer": customer_id, "memo": memo}
        )
    return legs


# --- allocation ----------------------------------------------------------------------------------


def _lock_open_invoices(customer_id: int, *, order_id: int | None) -> list[Invoice]:
    """The customer's open invoices (of ``order_id`` only, when given), oldest first, locked."""
    invoices = Invoice.objects.filter(customer_id=customer_id, kind=InvoiceKind.INVOICE, status__in=OPEN_STATUSES)
    if order_id is not None:
        invoices = invoices.filter(order_id=order_id)
    return list(invoices.select_for_update().order_by("issue_date", "id"))


def _directed_plan(
    payment: Payment, customer_id: int, pay: list[tuple[int, Decimal | None]]
) -> list[tuple[Payment, Invoice, Decimal]]:
    """The plan of a payment told which invoices to pay (``receive``'s ``pay``); locks them."""
    ids = [invoice_id for invoice_id, _ in pay]
    invoices = Invoice.objects.select_for_update().order_by("id").in_bulk(ids)
    plan, left = [], payment.amount
    for invoice_id, wanted in pay:
        invoice = invoices.get(invoice_id)
        if (
            invoice is None
            or invoice.customer_id != customer_id
            or invoice.kind != InvoiceKind.INVOICE
            or invoice.status not in OPEN_STATUSES
        ):
            number = invoice.number if invoice else invoice_id
            raise Conflict(
                f"Invoice {number} is not open for this customer.", code="invoice_not_open", field="invoices"
            )
        part = min(invoice.open_amount if wanted is None else wanted, invoice.open_amount, left)
        if part > 0:
            plan.append((payment, invoice, part))
            left -= part
    return plan


def allocation_plan(invoices: list[Invoice], sources: list[Payment]) -> list[tuple[Payment, Invoice, Decimal]]:
    """Which payment pays how much of which invoice: invoices oldest first (as given), each paid
    from the payments that may pay it (its own order's first, then the customer's unearmarked
    ones, oldest first) until it or the credit runs out. Pure: changes nothing."""
    left = {id(p): p.credit for p in sources}
    plan = []
    for invoice in invoices:
        need = invoice.open_amount
        eligible = [p for p in sources if p.order_id in (None, invoice.order_id)]
        eligible.sort(key=lambda p: (p.order_id is None, p.paid_at, p.pk or 0))
        for payment in eligible:
            part = min(need, left[id(payment)])
            if part > 0:
                plan.append((payment, invoice, part))
                left[id(payment)] -= part
                need -= part
    return plan


def write_allocations(
    plan: Iterable[tuple[Payment, Invoice, Decimal]],
    entry,
    *,
    refund: Payment | None = None,
    counted: Payment | None = None,
) -> None:
    """Record the allocations of ``plan`` (amounts signed) and move the running totals: the
    payments' ``amount_allocated``, the invoices' ``amount_paid`` and status. The caller holds
    the billing lock and has locked the invoices. ``counted``: a payment just inserted with its
    ``amount_allocated`` already including its part of ``plan``. One statement per table (and
    per payment other than ``counted``), whatever the number of invoices."""
    plan = [(payment, invoice, part) for payment, invoice, part in plan if part]
    if not plan:
        return
    PaymentAllocation.objects.bulk_create(
        [
            PaymentAllocation(payment=p, invoice=i, amount=part, refund=refund, journal_entry=entry)
            for p, i, part in plan
        ]
    )
    today = timezone.localdate()
    for payment in {id(p): p for p, _, _ in plan if p is not counted}.values():
        change = sum((part for p, _, part in plan if p is payment), ZERO)
        # A conditional-free F() update: the CHECK on the row refuses more than was paid.
        Payment.objects.filter(pk=payment.pk).update(amount_allocated=F("amount_allocated") + change)
        payment.amount_allocated += change
    invoices = list({id(i): i for _, i, _ in plan}.values())
    for invoice in invoices:
        invoice.amount_paid += sum((part for _, i, part in plan if i is invoice), ZERO)
        invoice.status = derive_status(
            gross=invoice.gross_amount,
            paid=invoice.amount_paid,
            credited=invoice.amount_credited,
            due_date=invoice.due_date,
            today=today,
        )
    if len(invoices) == 1:
        invoices[0].save(update_fields=["amount_paid", "status"])
    else:  # locked by the caller: absolute values are safe, and one statement serves them all
        Invoice.objects.bulk_update(invoices, ["amount_paid", "status"])


def credit_apply(*, invoices: list[Invoice], customer_id: int, user, on: date | None = None) -> Decimal:
    """Pay ``invoices`` (issued to ``customer_id``, locked or new in this transaction) from the
    customer's credit that may pay them: their order's payments first, then unearmarked ones.
    Not durable; the caller holds the billing lock. Posts one entry (customer credit to
    receivables) and returns the amount applied. Tells orders whose paid total changed."""
    order_ids = {invoice.order_id for invoice in invoices}
    condition = Q(order__isnull=True) | Q(order_id__in=[i for i in order_ids if i])
    sources = list(
        Payment.objects.select_for_update()
        .filter(condition, customer_id=customer_id, amount__gt=F("amount_allocated") + F("amount_refunded"))
        .order_by("id")
    )
    plan = allocation_plan(invoices, sources)
    total = sum((part for _, _, part in plan), ZERO)
    if not total:
        return ZERO
    numbers = ", ".join(sorted({invoice.number for _, invoice, _ in plan}))
    entry = journal_post(
        date=on or timezone.localdate(),
        description=f"Customer credit applied to {numbers}"[:200],
        lines=[
            {"account": accounts.CUSTOMER_CREDIT, "debit": total, "customer": customer_id, "memo": numbers[:200]},
            {"account": accounts.RECEIVABLES, "credit": total, "customer": customer_id, "memo": numbers[:200]},
        ],
        user=user,
    )
    write_allocations(plan, entry)
    sync_order_totals({invoice.order_id for p, invoice, _ in plan if p.order_id is None}, user=user)
    return total


def invoice_release_overpayment(*, invoice: Invoice, user) -> Decimal:
    """An invoice settled beyond its total (credited after it was paid) gives the difference
    back to the payments that paid it, newest first, as customer credit. Not durable; the
    caller holds the billing lock and the invoice row. Returns the amount released."""
    excess = min(-invoice.open_amount, invoice.amount_paid)
    if invoice.is_credit_note or excess <= 0:
        return ZERO
    plan = _take_back(invoice_ids=[invoice.pk], amount=excess, invoices={invoice.pk: invoice})
    entry = journal_post(
        date=timezone.localdate(),
        description=f"Overpaid on {invoice.number}: customer credit",
        lines=[
            {"account": accounts.RECEIVABLES, "debit": excess, "customer": invoice.customer_id, "memo": invoice.number},
            {
                "account": accounts.CUSTOMER_CREDIT,
                "credit": excess,
                "customer": invoice.customer_id,
                "memo": invoice.number,
            },
        ],
        user=user,
    )
    write_allocations(plan, entry)
    sync_order_totals({invoice.order_id for p, _, _ in plan if p.order_id is None}, user=user)
    return excess


def _take_back(
    *, invoice_ids: list[int], amount: Decimal, invoices: dict[int, Invoice], payment: Payment | None = None
) -> list[tuple[Payment, Invoice, Decimal]]:
    """Negative allocations that take ``amount`` back from what payments paid on these invoices
    (of ``payment`` only, when given), newest allocation first."""
    if amount <= 0:
        return []
    rows = PaymentAllocation.objects.filter(invoice_id__in=invoice_ids)
    if payment is not None:
        rows = rows.filter(payment_id=payment.pk)
    net = list(
        rows.values("payment_id", "invoice_id")
        .annotate(total=Sum("amount"), last=Max("id"))
        .filter(total__gt=0)
        .order_by("-last")
    )
    if payment is not None:
        payments = {payment.pk: payment}
    else:
        payments = Payment.objects.select_for_update().order_by("id").in_bulk([row["payment_id"] for row in net])
    plan, left = [], amount
    for row in net:
        part = min(left, row["total"])
        if part > 0:
            plan.append((payments[row["payment_id"]], invoices[row["invoice_id"]], -part))
            left -= part
    return plan


# --- refunds -------------------------------------------------------------------------------------


def _refund_source(order: Order | None, customer: Customer, method: str, amount: Decimal) -> Payment:
    """The payment a refund without ``refund_of`` returns money of: the latest one of the order
    (or of the account) by the same method that still covers the amount."""
    candidates = Payment.objects.filter(customer=customer, method=method, amount__gt=0).order_by("-paid_at", "-id")
    candidates = candidates.filter(order=order) if order is not None else candidates.filter(order__isnull=True)
    found = [p for p in candidates if p.refundable > 0]
    if not found:
        raise Conflict(f"Nothing was paid by {_label(method)} that could be refunded.", code="nothing_to_refund")
    for payment in found:
        if payment.refundable >= amount:
            return payment
    raise Conflict(
        f"At most {max(p.refundable for p in found)} of one {_label(method)} payment can be refunded.",
        code="refund_exceeds_paid",
        field="amount",
        refundable=str(max(p.refundable for p in found)),
    )


def refund(*, head: Payment, amount: Decimal, reference: str, paid_at: datetime, user) -> Payment:
    """Money back of payment ``head`` (under the caller's billing lock): from its credit first,
    then by taking back what it paid on invoices, newest first. Not durable. Locks the payment
    and those invoices. Raises ``Conflict`` ``refund_exceeds_paid`` / ``not_a_payment`` /
    ``refund_needs_credit_note`` (more than the credit of a counter sale's payment)."""
    head = Payment.objects.select_for_update().get(pk=head.pk)
    if head.is_refund:
        raise Conflict("A refund is not refunded; refund the payment itself.", code="not_a_payment")
    if amount > head.refundable:
        raise Conflict(
            f"At most {head.refundable} of payment {head.reference} can still be refunded.",
            code="refund_exceeds_paid",
            field="amount",
            refundable=str(head.refundable),
        )
    from_credit = min(amount, head.credit)
    invoice_ids = list(PaymentAllocation.objects.filter(payment=head).values_list("invoice_id", flat=True).distinct())
    invoices = Invoice.objects.select_for_update().order_by("id").in_bulk(invoice_ids)
    if amount > from_credit:
        _refuse_reopening_cash_sales(head, invoices.values())
    plan = _take_back(invoice_ids=invoice_ids, amount=amount - from_credit, invoices=invoices, payment=head)
    row = Payment(
        customer_id=head.customer_id,
        order_id=head.order_id,
        method=head.method,
        amount=-amount,
        reference=reference,
        paid_at=paid_at,
        refund_of=head,
        created_by=user if getattr(user, "pk", None) else None,
    )
    row.journal_entry = journal_post(
        date=timezone.localdate(paid_at),
        description=f"Refund {_label(head.method)} {reference} of {head.reference}"[:200],
        lines=_refund_legs(head, amount, from_credit, reference),
        user=user,
    )
    row.save()
    provider_refund_for(row, head)  # sent back through the provider after commit
    # Allocations first: the row's CHECK (allocated + refunded <= amount) holds at every step.
    write_allocations(plan, row.journal_entry, refund=row)
    Payment.objects.filter(pk=head.pk).update(amount_refunded=F("amount_refunded") + amount)
    head.amount_refunded += amount
    sync_order_totals({head.order_id, *(invoice.order_id for _, invoice, _ in plan)}, user=user)
    return row


def _refund_legs(head: Payment, amount: Decimal, from_credit: Decimal, memo: str) -> list[dict]:
    legs = [{"account": accounts.PAYMENT_METHOD_ACCOUNTS[head.method], "credit": amount, "memo": memo}]
    if from_credit:
        legs.append({"account": accounts.CUSTOMER_CREDIT, "debit": from_credit, "customer": head.customer_id})
    if amount - from_credit:
        legs.append({"account": accounts.RECEIVABLES, "debit": amount - from_credit, "customer": head.customer_id})
    return legs


# A cash sale (the counter: a store order paid in cash or by PIN) is never owed: it is booked without receivables. Its
# money goes back only through a credit note (a return), which turns the payment into credit.
CASH_SALE_METHODS = frozenset({"cash", "pin"})


def _refuse_reopening_cash_sales(head: Payment, invoices) -> None:
    """Taking a payment back from a cash sale's invoice would leave the sale owed, a receivable
    of a walk-in customer (issue 15: found by the order-to-cash scenarios)."""
    orders = {invoice.order_id for invoice in invoices if invoice.order_id}
    if Order.objects.filter(pk__in=orders, channel="store", payment_method__in=CASH_SALE_METHODS).exists():
        raise Conflict(
            f"Payment {head.reference} paid a counter sale: credit the sale first (register the return), "
            f"then the credit is refunded. At most {head.credit} can be refunded now.",
            code="refund_needs_credit_note",
            field="amount",
            refundable=str(head.credit),
        )


def payment_refund(*, payment: Payment, amount, reference: str, user, paid_at: datetime | None = None) -> PaymentResult:
    """Refund (part of) ``payment`` with a new ``reference`` (the refund's own, unique per method).
    The use case behind the order panel's "Refund"; see ``payment_record`` (durable, locks,
    events, idempotent repeat, errors)."""
    amount = clean_amount(amount)
    if amount < 0:
        amount = -amount
    return payment_record(
        method=payment.method,
        amount=-amount,
        reference=reference,
        user=user,
        order=payment.order,
        customer=payment.customer,
        paid_at=paid_at,
        refund_of=payment,
    )


# --- orders --------------------------------------------------------------------------------------


def sync_order_totals(order_ids: Iterable[int | None], *, user) -> dict[int, Decimal]:
    """Tell orders the paid total of each order whose total changed (``orders_record_payment_totals``:
    locks the order rows in id order, so two callers never deadlock; a delivered order paid in
    full completes). A constant number of statements for any number of orders. Returns the paid
    totals (``order_paid_totals``)."""
    ids = sorted({i for i in order_ids if i})
    if not ids:
        return {}
    state = selectors.order_paid_totals_and_recorded(ids)
    changed = {order_id: max(paid, ZERO) for order_id, (paid, recorded) in state.items() if recorded != max(paid, ZERO)}
    order_services.orders_record_payment_totals(totals=changed, user=user)
    return {order_id: paid for order_id, (paid, _) in state.items()}
