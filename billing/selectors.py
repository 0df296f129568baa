"""Reads of invoices, the ledger and receivables for views, the API, workers and other apps
(N+1-free: each function says how many queries it takes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from billing import accounts, calc
from billing.models import (
    PREPAID_METHODS,
    Account,
    BankStatement,
    BankStatementLine,
    Invoice,
    InvoicedOrderLine,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoiceVat,
    JournalEntry,
    JournalLine,
    LineStatus,
    Payment,
    PaymentAllocation,
    ProviderSettlement,
    SendBatch,
    SendBatchItem,
    SendOutcome,
)
from billing.models.invoices import OPEN_STATUSES
from customers import selectors as customer_selectors
from customers.models import PaymentMethod
from inventory import selectors as inventory_selectors
from inventory.models import Product
from oms.errors import NotFound
from oms.money import ZERO, quantize
from orders import selectors as order_selectors
from orders.models import Order, OrderLine, OrderStatus

MONEY = DecimalField(max_digits=14, decimal_places=2)
OPEN_AMOUNT = ExpressionWrapper(F("gross_amount") - F("amount_paid") - F("amount_credited"), output_field=MONEY)


def invoice_get_by_number(number: str) -> Invoice:
    """One invoice or credit note with its lines, VAT rows, credit notes, posting and the invoice
    it credits (five queries)."""
    invoice = (
        Invoice.objects.select_related("credit_of", "customer", "journal_entry", "order")
        .prefetch_related(
            "lines",
            "vat_lines",
            Prefetch("credit_notes", queryset=Invoice.objects.order_by("id")),
            Prefetch("journal_entry__lines", queryset=JournalLine.objects.select_related("account").order_by("id")),
        )
        .filter(number=(number or "").strip().upper())
        .first()
    )
    if invoice is None:
        raise NotFound(f"No invoice with number '{number}'.", field="number")
    return invoice


def invoice_document(invoice_id: int) -> Invoice:
    """What the PDF shows: the invoice with lines, VAT rows and the credited invoice (three queries)."""
    invoice = (
        Invoice.objects.select_related("credit_of", "customer")
        .prefetch_related("lines", "vat_lines")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFound(f"No invoice with id {invoice_id}.", field="invoice")
    return invoice


def invoice_list(
    *,
    query: str = "",
    status: str = "",
    kind: str = "",
    customer_id: int | None = None,
    customer_number: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    unsent: bool = False,
    overdue: bool = False,
    today: date | None = None,
) -> QuerySet[Invoice]:
    """Invoices newest first, filtered; ``query`` matches the number, the buyer's name or company
    or the reference; ``unsent``: waiting to be e-mailed (as ``unsent_invoices``); ``overdue``:
    open past the due date (as ``overdue_invoices``). Callers slice it (no COUNT)."""
    invoices = Invoice.objects.order_by("-issue_date", "-id")
    if unsent:
        invoices = invoices & unsent_invoices()
    if overdue:
        invoices = invoices & overdue_invoices(today)
    query = (query or "").strip()
    if query:
        invoices = invoices.filter(
            Q(number__istartswith=query)
            | Q(buyer_name__icontains=query)
            | Q(buyer_company__icontains=query)
            | Q(reference__iexact=query)
        )
    if status:
        invoices = invoices.filter(status=status)
    if kind:
        invoices = invoices.filter(kind=kind)
    if customer_id:
        invoices = invoices.filter(customer_id=customer_id)
    if customer_number:
        invoices = invoices.filter(customer__number=customer_number.strip().upper())
    if date_from:
        invoices = invoices.filter(issue_date__gte=date_from)
    if date_to:
        invoices = invoices.filter(issue_date__lte=date_to)
    return invoices


def invoices_undelivered(*, issued_before: datetime, mailing: bool, limit: int) -> list[dict]:
    """Invoices issued before ``issued_before`` and not sent: without a PDF, or (when invoices
    are mailed) with an address to mail to. Oldest first, at most ``limit``; the partial index
    on unsent invoices keeps it small however long the invoice book grows."""
    undelivered = Q(pdf="") | ~Q(buyer_email="") if mailing else Q(pdf="")
    return list(
        Invoice.objects.filter(undelivered, sent_at__isnull=True, created_at__lt=issued_before)
        .order_by("id")
        .values("id", "number", "pdf", "buyer_email", "created_at")[:limit]
    )


def invoice_lines_for_period(*, date_from: date, date_to: date) -> QuerySet[InvoiceLine]:
    """Every line of the invoices and credit notes issued in the period, with its invoice (one query)."""
    return (
        InvoiceLine.objects.select_related("invoice")
        .filter(invoice__issue_date__gte=date_from, invoice__issue_date__lte=date_to)
        .order_by("invoice__issue_date", "invoice__kind", "invoice__sequence", "position")
    )


@dataclass
class CustomerAccount:
    """A customer's receivable: what was invoiced, credited and paid, and the open balance as
    the receivables subledger has it (these agree: an invariant checks it); the customer's
    credit (paid and not used: overpayments, prepayments) and the latest payments."""

    invoiced: Decimal
    credited: Decimal
    paid: Decimal
    open_balance: Decimal
    overdue: Decimal
    open_invoices: int
    invoices: list[Invoice] = field(default_factory=list)
    credit: Decimal = ZERO
    payments: list[Payment] = field(default_factory=list)


def customer_credit(customer_id: int) -> Decimal:
    """The customer's unused credit: payments less what they paid on invoices and refunds (one
    query on a small partial index)."""
    row = Payment.objects.filter(
        customer_id=customer_id, amount__gt=F("amount_allocated") + F("amount_refunded")
    ).aggregate(
        credit=Coalesce(Sum(F("amount") - F("amount_allocated") - F("amount_refunded")), ZERO, output_field=MONEY)
    )
    return row["credit"]


# A customer's sums for ``customer_account`` in one statement: the invoices' totals, the
# receivables subledger's balance and the unused credit (``customer_credit``'s condition).
_ACCOUNT_SUMS_SQL = f"""
    SELECT coalesce(sum(i.gross_amount) FILTER (WHERE i.kind = %(invoice)s), 0.00),
           coalesce(sum(i.gross_amount) FILTER (WHERE i.kind = %(credit_note)s), 0.00),
           coalesce(sum(i.amount_paid), 0.00),
           coalesce(sum(i.gross_amount - i.amount_paid - i.amount_credited)
                    FILTER (WHERE i.status = %(overdue)s), 0.00),
           count(i.id) FILTER (WHERE i.kind = %(invoice)s AND i.gross_amount <> i.amount_paid + i.amount_credited),
           (SELECT coalesce(sum(l.debit), 0.00) - coalesce(sum(l.credit), 0.00)
              FROM {JournalLine._meta.db_table} l JOIN {Account._meta.db_table} a ON a.id = l.account_id
             WHERE l.customer_id = %(customer)s AND a.code = %(receivables)s),
           (SELECT coalesce(sum(p.amount - p.amount_allocated - p.amount_refunded), 0.00)
              FROM {Payment._meta.db_table} p
             WHERE p.customer_id = %(customer)s AND p.amount > p.amount_allocated + p.amount_refunded)
      FROM {Invoice._meta.db_table} i WHERE i.customer_id = %(customer)s"""


def customer_account(customer_id: int, *, recent: int = 10) -> CustomerAccount:
    """The customer's receivable, credit, most recent invoices and payments (three queries)."""
    params = {
        "customer": customer_id,
        "invoice": InvoiceKind.INVOICE.value,
        "credit_note": InvoiceKind.CREDIT_NOTE.value,
        "overdue": InvoiceStatus.OVERDUE.value,
        "receivables": accounts.RECEIVABLES,
    }
    with connection.cursor() as cursor:
        cursor.execute(_ACCOUNT_SUMS_SQL, params)
        invoiced, credited, paid, overdue, open_invoices, balance, credit = cursor.fetchone()
    return CustomerAccount(
        invoiced=invoiced,
        credited=-credited,
        paid=paid,
        open_balance=balance,
        overdue=overdue,
        open_invoices=open_invoices,
        invoices=list(Invoice.objects.filter(customer_id=customer_id).order_by("-issue_date", "-id")[:recent]),
        credit=credit,
        payments=list(
            Payment.objects.filter(customer_id=customer_id)
            .select_related("order", "refund_of")
            .order_by("-paid_at", "-id")[:recent]
        ),
    )


def journal_entries(
    *, date_from: date | None = None, date_to: date | None = None, account: str = "", query: str = ""
) -> QuerySet[JournalEntry]:
    """Entries newest first with their lines, accounts and customers prefetched (one query for
    the entries a caller slices, one for their lines)."""
    entries = JournalEntry.objects.order_by("-date", "-id").prefetch_related(
        Prefetch("lines", queryset=JournalLine.objects.select_related("account", "customer").order_by("id"))
    )
    if date_from:
        entries = entries.filter(date__gte=date_from)
    if date_to:
        entries = entries.filter(date__lte=date_to)
    if account:
        entries = entries.filter(lines__account__code=account).distinct()
    query = (query or "").strip()
    if query:
        entries = entries.filter(Q(reference__icontains=query) | Q(description__icontains=query))
    return entries


def journal_lines_for_period(*, date_from: date, date_to: date) -> QuerySet[JournalLine]:
    return (
        JournalLine.objects.select_related("entry", "account", "customer")
        .filter(entry__date__gte=date_from, entry__date__lte=date_to)
        .order_by("entry__date", "entry_id", "id")
    )


@dataclass
class BalanceRow:
    account: Account
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        """Debit minus credit."""
        return self.debit - self.credit

    @property
    def debit_balance(self) -> Decimal:
        return max(self.balance, ZERO)

    @property
    def credit_balance(self) -> Decimal:
        return max(-self.balance, ZERO)


def trial_balance(*, as_of: date) -> tuple[list[BalanceRow], dict[str, Decimal]]:
    """Per account the debits and credits posted up to and including ``as_of`` (two queries).
    The totals of both columns are equal, because every entry balances."""
    sums = {
        row["account_id"]: row
        for row in JournalLine.objects.filter(entry__date__lte=as_of)
        .values("account_id")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    }
    rows = [
        BalanceRow(
            account=a, debit=sums.get(a.pk, {}).get("debit") or ZERO, credit=sums.get(a.pk, {}).get("credit") or ZERO
        )
        for a in Account.objects.order_by("code")
    ]
    totals = {
        "debit": sum((r.debit for r in rows), ZERO),
        "credit": sum((r.credit for r in rows), ZERO),
        "debit_balances": sum((r.debit_balance for r in rows), ZERO),
        "credit_balances": sum((r.credit_balance for r in rows), ZERO),
    }
    return rows, totals


AGEING_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def _bucket_filter(as_of: date, low: int, high: int | None) -> Q:
    condition = Q(issue_date__lte=as_of - timedelta(days=low))
    if high is not None:
        condition &= Q(issue_date__gte=as_of - timedelta(days=high))
    return condition


def _ageing_sums(as_of: date) -> dict:
    buckets = {
        f"b{name.replace('-', '_').replace('+', '_plus')}": Sum("open", filter=_bucket_filter(as_of, low, high))
        for name, low, high in AGEING_BUCKETS
    }
    return {"total": Sum("open"), "overdue": Sum("open", filter=Q(due_date__lt=as_of)), **buckets}


def _open_invoices(as_of: date) -> QuerySet:
    return (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, issue_date__lte=as_of)
        .annotate(open=OPEN_AMOUNT)
        .exclude(open=0)
    )


def receivables_ageing(*, as_of: date) -> QuerySet:
    """Open invoice amounts per customer, aged by invoice date into 0-30, 31-60, 61-90 and 90+
    days before ``as_of``; largest total first. Rows are dicts (``customer_id``, ``total``,
    ``overdue``, ``b0_30`` ...). Open amounts are today's (payments are not yet dated history)."""
    return (
        _open_invoices(as_of)
        .values("customer_id")
        .annotate(invoices=Count("id"), **_ageing_sums(as_of))
        .order_by("-total", "customer_id")
    )


def with_customers(rows: list[dict]) -> list[dict]:
    """Attach ``customer`` to rows that carry ``customer_id`` (one query)."""
    customers = customer_selectors.customers_by_ids({row["customer_id"] for row in rows})
    return [{**row, "customer": customers.get(row["customer_id"])} for row in rows]


def ageing_totals(as_of: date) -> dict[str, Decimal]:
    """The ageing columns summed over all customers (one query)."""
    return {key: value or ZERO for key, value in _open_invoices(as_of).aggregate(**_ageing_sums(as_of)).items()}


def receivables_balance() -> Decimal:
    """Balance of the receivables control account (one query)."""
    row = JournalLine.objects.filter(account__code=accounts.RECEIVABLES).aggregate(
        d=Coalesce(Sum("debit"), ZERO, output_field=MONEY), c=Coalesce(Sum("credit"), ZERO, output_field=MONEY)
    )
    return row["d"] - row["c"]


@dataclass
class BatchProgress:
    batch: SendBatch
    total: int
    sent: int
    skipped: int
    failed: int

    @property
    def done(self) -> int:
        return self.sent + self.skipped + self.failed

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


def send_batch_progress(batch_id: int) -> BatchProgress:
    """How far a batch is (two queries)."""
    batch = SendBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(f"No send batch {batch_id}.", field="batch")
    counts = SendBatchItem.objects.filter(batch_id=batch_id).aggregate(
        total=Count("id"),
        sent=Count("id", filter=Q(outcome=SendOutcome.SENT)),
        skipped=Count("id", filter=Q(outcome=SendOutcome.SKIPPED)),
        failed=Count("id", filter=Q(outcome=SendOutcome.FAILED)),
    )
    return BatchProgress(batch=batch, **counts)


def unsent_invoices() -> QuerySet[Invoice]:
    """Invoices with an e-mail address that wait to be sent (partial index ``invoice_unsent_idx``)."""
    return Invoice.objects.filter(sent_at__isnull=True).exclude(buyer_email="")


def unsent_invoice_count(limit: int = 5000) -> int:
    """How many invoices with an e-mail address wait to be sent (bounded, uses a partial index)."""
    return unsent_invoices().values("id")[:limit].count()


def overdue_invoices(today: date | None = None) -> QuerySet[Invoice]:
    """Invoices still open after their due date (partial index ``invoice_open_idx``), whether or
    not the nightly run has marked them ``overdue`` yet."""
    today = today or timezone.localdate()
    return Invoice.objects.filter(kind=InvoiceKind.INVOICE, status__in=OPEN_STATUSES, due_date__lt=today)


def overdue_receivables(today: date | None = None) -> tuple[int, Decimal]:
    """How many invoices are overdue and what is still open on them. One query."""
    row = (
        overdue_invoices(today)
        .annotate(open=OPEN_AMOUNT)
        .aggregate(n=Count("id"), amount=Coalesce(Sum("open"), ZERO, output_field=MONEY))
    )
    return row["n"], row["amount"]


def payments_on(day: date) -> QuerySet[Payment]:
    """Money received on ``day`` (payments, not refunds), newest first (index ``payment_paid_at_idx``)."""
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return (
        Payment.objects.filter(paid_at__gte=start, paid_at__lt=start + timedelta(days=1), amount__gt=0)
        .select_related("customer", "order")
        .order_by("-paid_at", "-id")
    )


def cash_received(day: date) -> tuple[int, Decimal]:
    """How many payments came in on ``day`` and their total. One query."""
    row = payments_on(day).order_by().aggregate(n=Count("id"), amount=Coalesce(Sum("amount"), ZERO, output_field=MONEY))
    return row["n"], row["amount"]


def invoice_creditable_quantities(invoice: Invoice) -> dict[int, int]:
    """Per line position of an invoice: the units not yet credited (one query)."""
    credited = {
        row["credits_line"]: -row["quantity"]
        for row in InvoiceLine.objects.filter(credits_line__invoice=invoice)
        .values("credits_line")
        .annotate(quantity=Sum("quantity"))
    }
    return {line.position: line.quantity - credited.get(line.pk, 0) for line in invoice.lines.all()}


# --- orders and payments --------------------------------------------------------------------------


def invoices_for_orders(orders) -> dict[int, list[dict]]:
    """The order API's ``invoices`` array (``settings.OMS_ORDER_API_EXTRAS``): per order its
    invoices and credit notes, oldest first, with number, kind, status and amount due (one
    query)."""
    ids = [order.pk for order in orders]
    result: dict[int, list[dict]] = {order_id: [] for order_id in ids}
    rows = Invoice.objects.filter(order_id__in=ids).order_by("id")
    for invoice in rows:
        result[invoice.order_id].append(
            {
                "number": invoice.number,
                "kind": invoice.kind,
                "status": invoice.status,
                "issue_date": invoice.issue_date.isoformat(),
                "due_date": invoice.due_date.isoformat(),
                "total": f"{invoice.gross_amount:.2f}",
                "amount_due": f"{invoice.open_amount:.2f}",
                "url": reverse("api:invoice-detail", kwargs={"number": invoice.number}),
            }
        )
    return result


@dataclass
class OrderBilling:
    """What billing knows of one order: its invoices, payments and what is still to invoice."""

    order: Order
    invoices: list[Invoice]
    payments: list[Payment]
    paid: Decimal
    credit: Decimal
    to_invoice_shipped: int
    to_invoice_ordered: int

    @property
    def amount_due(self) -> Decimal:
        return self.order.gross_amount - self.paid

    @property
    def invoiced(self) -> Decimal:
        """The gross of the order's invoices (not credit notes)."""
        return sum((i.gross_amount for i in self.invoices if not i.is_credit_note), ZERO)

    @property
    def credited(self) -> Decimal:
        """The gross of the order's credit notes, as a positive amount."""
        return -sum((i.gross_amount for i in self.invoices if i.is_credit_note), ZERO)

    @property
    def not_invoiced(self) -> Decimal:
        """What of the order's total no invoice carries yet (0 once it is invoiced in full: the
        invoices of an order add up to it to the cent)."""
        return self.order.gross_amount - self.invoiced

    @property
    def open_on_invoices(self) -> Decimal:
        return sum((invoice.open_amount for invoice in self.invoices if not invoice.is_credit_note), ZERO)

    @property
    def invoice_pending(self) -> bool:
        """``order_invoice_pending`` on the rows in hand: a prepaid order paid in full without an
        invoice, whose invoice the worker is issuing."""
        order = self.order
        return (
            order.payment_method in PREPAID_METHODS
            and order.gross_amount > 0
            and order.amount_paid >= order.gross_amount
            and order.status not in (OrderStatus.DRAFT, OrderStatus.CANCELLED)
            and not any(invoice.kind == InvoiceKind.INVOICE for invoice in self.invoices)
        )


def order_billing(order_id: int) -> OrderBilling:
    """The order panel's data (four queries: the order with its customer, its invoices, its
    payments, and its paid total with the units still to invoice). Raises ``NotFound``."""
    order = order_selectors.orders_by_ids([order_id]).get(order_id)
    if order is None:
        raise NotFound(f"No order with id {order_id}.", field="order")
    invoices = list(Invoice.objects.filter(order_id=order_id).order_by("id"))
    payments = order_payments(order_id)
    paid, to_invoice_shipped, to_invoice_ordered = _paid_and_to_invoice(order_id)
    return OrderBilling(
        order=order,
        invoices=invoices,
        payments=payments,
        paid=paid,
        credit=sum((p.credit for p in payments), ZERO),
        to_invoice_shipped=to_invoice_shipped,
        to_invoice_ordered=to_invoice_ordered,
    )


def _paid_not_invoiced(methods: Iterable[str]) -> QuerySet[Order]:
    """Orders paid by one of ``methods``, placed, not cancelled, paid in full by the orders'
    recorded total, without an invoice (``OrderBilling.invoice_pending`` asks the same of the
    rows it holds)."""
    invoiced = Invoice.objects.filter(order_id=OuterRef("pk"), kind=InvoiceKind.INVOICE)
    return (
        Order.objects.filter(payment_method__in=sorted(methods), gross_amount__gt=0, amount_paid__gte=F("gross_amount"))
        .exclude(status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED])
        .filter(~Exists(invoiced))
    )


def _paid_and_to_invoice(order_id: int) -> tuple[Decimal, int, int]:
    """The order's paid total (``order_paid_totals``) and the units of its open lines that no
    invoice carries yet, shipped and ordered (one query)."""
    sql = f"""
        SELECT {_PAID_TOTAL_SQL},
               coalesce(sum(greatest(l.quantity_shipped - coalesce(d.quantity, 0), 0)), 0),
               coalesce(sum(greatest(l.quantity - coalesce(d.quantity, 0), 0)), 0)
          FROM (SELECT %s::bigint AS id) o
          LEFT JOIN {OrderLine._meta.db_table} l ON l.order_id = o.id AND NOT l.is_cancelled
          LEFT JOIN {InvoicedOrderLine._meta.db_table} d ON d.order_line_id = l.id
         GROUP BY o.id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [order_id])
        paid, shipped, ordered = cursor.fetchone()
    return quantize(paid), int(shipped), int(ordered)


def prepaid_orders_paid_not_invoiced(
    *, methods: Iterable[str], updated_after: datetime, updated_before: datetime, limit: int
) -> list[int]:
    """Ids of orders paid by one of ``methods`` in full and not invoiced (``_paid_not_invoiced``),
    last changed in the window (the order's ``updated_at`` index bounds the scan). Oldest change
    first."""
    return list(
        _paid_not_invoiced(methods)
        .filter(updated_at__gte=updated_after, updated_at__lt=updated_before)
        .order_by("updated_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def order_invoice_pending(order_id: int) -> bool:
    """The order is prepaid, paid in full and has no invoice yet: the worker is issuing it
    (``services.order_invoice_when_paid`` on ``payment.received``), and the order panel waits
    for it. One query."""
    return _paid_not_invoiced(PREPAID_METHODS).filter(pk=order_id).exists()


# An order's paid total (``o.id`` the order): its own payments less refunds, plus what the
# customer's unearmarked payments paid on its invoices.
_PAID_TOTAL_SQL = f"""coalesce((SELECT sum(p.amount) FROM {Payment._meta.db_table} p WHERE p.order_id = o.id), 0)
             + coalesce((SELECT sum(a.amount)
                           FROM {PaymentAllocation._meta.db_table} a
                           JOIN {Invoice._meta.db_table} i ON i.id = a.invoice_id
                           JOIN {Payment._meta.db_table} p ON p.id = a.payment_id
                          WHERE i.order_id = o.id AND p.order_id IS NULL), 0)"""


def order_paid_totals(order_ids: Iterable[int]) -> dict[int, Decimal]:
    """Per order: its own payments less refunds, plus what the customer's unearmarked payments
    paid on its invoices (one query)."""
    ids = sorted({i for i in order_ids if i})
    if not ids:
        return {}
    sql = f"""
        SELECT o.id,
               {_PAID_TOTAL_SQL}
          FROM unnest(%s::bigint[]) AS o(id)"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids])
        return {order_id: quantize(total) for order_id, total in cursor.fetchall()}


def order_paid_totals_and_recorded(order_ids: Iterable[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Per existing order: its paid total as ``order_paid_totals`` computes it, and the
    ``amount_paid`` the order recorded so far (one query)."""
    ids = sorted({i for i in order_ids if i})
    if not ids:
        return {}
    sql = f"""
        SELECT o.id, o.amount_paid,
               {_PAID_TOTAL_SQL}
          FROM {Order._meta.db_table} o WHERE o.id = ANY(%s::bigint[])"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids])
        return {order_id: (quantize(paid), recorded) for order_id, recorded, paid in cursor.fetchall()}


def order_payments(order_id: int) -> list[Payment]:
    """The order's payments and refunds, oldest first (one query)."""
    return list(Payment.objects.filter(order_id=order_id).select_related("refund_of").order_by("paid_at", "id"))


def payment_get(pk: int) -> Payment:
    payment = Payment.objects.select_related("customer", "order").filter(pk=pk).first()
    if payment is None:
        raise NotFound(f"No payment {pk}.", field="payment")
    return payment


def invoice_payments(invoice: Invoice) -> list[dict]:
    """What paid an invoice: per payment (``method`` label, ``reference``, ``paid_at``) the net
    amount it paid on it (one query)."""
    rows = (
        invoice.allocations.values("payment_id", "payment__method", "payment__reference", "payment__paid_at")
        .annotate(amount=Sum("amount"))
        .order_by("payment__paid_at", "payment_id")
    )
    return [
        {
            "method": PaymentMethod(row["payment__method"]).label,
            "method_code": row["payment__method"],
            "reference": row["payment__reference"],
            "paid_at": row["payment__paid_at"],
            "amount": row["amount"],
        }
        for row in rows
        if row["amount"]
    ]


# --- counter ---------------------------------------------------------------------------------------


@dataclass
class CounterLine:
    product: Product
    quantity: int
    net_amount: Decimal  # the line's amount: incl. VAT when the sale's prices include VAT
    unit_price: Decimal


@dataclass
class CounterPreview:
    """The counter's cart as the invoice will have it: per line the net amount, VAT per rate over
    the sale, the total to pay (``billing.calc``, the same rules as orders and invoices)."""

    lines: list[CounterLine]
    net: Decimal = ZERO
    vat: Decimal = ZERO
    total: Decimal = ZERO
    vat_rows: list[tuple[Decimal, Decimal, Decimal]] = field(default_factory=list)  # (rate, net, vat)
    unknown: list[str] = field(default_factory=list)
    prices_include_vat: bool = True


def product_for_scan(code: str) -> Product | None:
    """The product a scanned barcode or typed SKU names (exact match, any letter case), active
    products only (two queries at most)."""
    code = (code or "").strip()
    if not code:
        return None
    exact = inventory_selectors.products_by_skus([code]).get(code)
    if exact is not None:
        return exact if exact.active else None
    for product in inventory_selectors.product_search(code, limit=3, active_only=True):
        if product.sku.upper() == code.upper() or product.barcode == code:
            return product
    return None


def counter_preview(cart: list[tuple[str, int]], *, prices_include_vat: bool = True) -> CounterPreview:
    """Price a cart of ``(sku, quantity)`` at today's VAT rates and shelf prices incl. VAT (a
    consumer; ``prices_include_vat`` False: list prices excl. VAT, a business customer), as the
    order will be priced (``orders.pricing``). One query."""
    products = inventory_selectors.products_by_skus([sku for sku, _ in cart])
    known = [(products[sku], quantity) for sku, quantity in cart if sku in products]
    preview = CounterPreview(lines=[], unknown=[sku for sku, _ in cart if sku not in products])
    if not known:
        return preview
    raw = [
        {
            "description": p.name,
            "sku": p.sku,
            "quantity": q,
            "unit_price": inventory_selectors.consumer_price(p) if prices_include_vat else p.list_price,
            "vat_category": p.vat_category,
        }
        for p, q in known
    ]
    computed = calc.compute_lines(raw, supply_date=timezone.localdate(), zero_rated=False)
    totals = calc.totals_for(computed, prices_include_vat=prices_include_vat)
    preview.prices_include_vat = prices_include_vat
    preview.lines = [
        CounterLine(p, q, line.net_amount, line.unit_price) for (p, q), line in zip(known, computed, strict=True)
    ]
    preview.net, preview.vat, preview.total = totals.net, totals.vat, totals.gross
    preview.vat_rows = [(rate, row["net"], row["vat"]) for rate, row in sorted(totals.breakdown.items(), reverse=True)]
    return preview


# --- bank statements -----------------------------------------------------------------------------


def bank_statement_list(*, limit: int = 20) -> list:
    """The latest imported statements with their lines counted by status."""
    return list(
        BankStatement.objects.annotate(
            matched=Count("lines", filter=Q(lines__status__in=[LineStatus.MATCHED, LineStatus.BOOKED])),
            unmatched=Count("lines", filter=Q(lines__status=LineStatus.UNMATCHED)),
            debits=Count("lines", filter=Q(lines__status=LineStatus.DEBIT)),
        ).order_by("-created_at", "-id")[:limit]
    )


def bank_lines_unmatched(*, limit: int = 50) -> list:
    """Credit lines waiting on the matching screen, oldest first."""
    return list(
        BankStatementLine.objects.filter(status=LineStatus.UNMATCHED)
        .select_related("statement")
        .order_by("booking_date", "id")[:limit]
    )


def bank_lines_unmatched_count() -> int:
    return BankStatementLine.objects.filter(status=LineStatus.UNMATCHED).count()


def bank_line_get(line_id: int):
    try:
        return BankStatementLine.objects.select_related("payment", "customer", "settlement").get(pk=line_id)
    except BankStatementLine.DoesNotExist:
        raise NotFound("No such bank statement line.", field="line") from None


def bank_book_accounts() -> list:
    """The ledger accounts a bank line may be booked to: not the bank, not the customer accounts."""
    return list(Account.objects.filter(active=True, subledger=False).exclude(code=accounts.BANK).order_by("code"))


def invoice_ids_by_number(numbers: Iterable[str]) -> dict[str, int]:
    return dict(Invoice.objects.filter(number__in=set(numbers)).values_list("number", "id"))


# --- provider settlements ------------------------------------------------------------------------


def settlement_list(*, limit: int = 30) -> list:
    """The latest settlements with their payout's bank line (None: not on the bank yet)."""
    return list(ProviderSettlement.objects.select_related("bank_line").order_by("-settled_on", "-id")[:limit])


def provider_unsettled() -> list[dict]:
    """Per provider account (1310-1340): the payments less refunds no settlement contains yet,
    how many, and the oldest one's date (how long the provider has owed it). One query."""
    methods = {m: code for m, code in accounts.PAYMENT_METHOD_ACCOUNTS.items() if code in accounts.PROVIDER_ACCOUNTS}
    rows = (
        Payment.objects.filter(method__in=methods, settlement_line__isnull=True)
        .values("method")
        .annotate(total=Sum("amount"), count=Count("id"), oldest=Min("paid_at"))
    )
    names = dict(Account.objects.filter(code__in=accounts.PROVIDER_ACCOUNTS).values_list("code", "name"))
    found = {
        code: {"code": code, "name": names.get(code, code), "total": ZERO, "count": 0, "oldest": None}
        for code in accounts.PROVIDER_ACCOUNTS
    }
    for row in rows:
        entry = found[methods[row["method"]]]
        entry["total"] += row["total"]
        entry["count"] += row["count"]
        if entry["oldest"] is None or row["oldest"] < entry["oldest"]:
            entry["oldest"] = row["oldest"]
    today = timezone.localdate()
    for entry in found.values():
        entry["days"] = (today - timezone.localdate(entry["oldest"])).days if entry["oldest"] else None
    return list(found.values())


def order_payment_links(order_id: int, *, limit: int = 5) -> list:
    """The order's payment links, newest first (the order panel). One query."""
    from billing.models import PaymentLink

    return list(PaymentLink.objects.filter(order_id=order_id).order_by("-id")[:limit])


def provider_refunds_by_refund(payment_ids: Iterable[int]) -> dict[int, object]:
    """The provider refund of each refund record among ``payment_ids`` (one query)."""
    from billing.models import ProviderRefund

    return {row.refund_id: row for row in ProviderRefund.objects.filter(refund_id__in=list(payment_ids))}


def provider_refunds_troubled(*, created_before, limit: int) -> list[dict]:
    """Provider refunds that failed, or are still not carried out since before ``created_before``
    (the exception inbox). The partial index on open refunds keeps the second part small."""
    from billing.models import ProviderRefund, RefundStatus

    stuck = Q(status__in=[RefundStatus.REQUESTED, RefundStatus.PENDING], created_at__lt=created_before)
    return list(
        ProviderRefund.objects.filter(stuck | Q(status=RefundStatus.FAILED))
        .order_by("created_at")
        .values(
            "id",
            "status",
            "amount",
            "provider",
            "provider_payment_id",
            "error",
            "refund__reference",
            "refund__order__number",
        )[:limit]
    )


# --- the OSS return ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OssRow:
    country: str
    rate: Decimal
    net: Decimal
    vat: Decimal
    documents: int


def quarter_dates(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a calendar quarter (1-4)."""
    first = date(year, 3 * quarter - 2, 1)
    last = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - timedelta(days=1)
    return first, last


def oss_quarter(year: int, quarter: int) -> list[OssRow]:
    """The OSS return of a quarter (issue 15): per member state and rate, the taxable amount and
    the VAT of the invoices less the credit notes issued in the quarter that charged that state's
    VAT (``Invoice.vat_country``). One query."""
    first, last = quarter_dates(year, quarter)
    rows = (
        InvoiceVat.objects.filter(invoice__issue_date__range=(first, last))
        .exclude(invoice__vat_country="")
        .values("invoice__vat_country", "rate")
        .annotate(net=Sum("net_amount"), vat=Sum("vat_amount"), documents=Count("invoice", distinct=True))
        .order_by("invoice__vat_country", "-rate")
    )
    return [OssRow(row["invoice__vat_country"], row["rate"], row["net"], row["vat"], row["documents"]) for row in rows]
