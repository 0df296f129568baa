"""Reads of orders for views, the API and other apps. Each selector runs a fixed number of
queries whatever the number of rows (query-count tests pin them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext

from customers import selectors as customers_selectors
from customers.models import PaymentMethod
from inventory import selectors as inventory_selectors
from oms import notify
from oms.errors import NotFound
from oms.models import Notification, NotificationStatus
from oms.money import ZERO
from oms.numbers import plain_int
from orders import pricing
from orders.models import (
    OPEN_STATUSES,
    UNSHIPPED_STATUSES,
    WAITING_STATUSES,
    Allocation,
    AllocationStatus,
    Channel,
    DailyChannelStats,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)

NUMBER_PREFIX = "SO-"
# A search for a name shows the orders of at most this many matching customers.
SEARCH_CUSTOMERS = 1000


def _with_lines(queryset: QuerySet[Order]) -> QuerySet[Order]:
    allocations = Allocation.objects.select_related("warehouse").order_by("id")
    lines = OrderLine.objects.order_by("line_no").prefetch_related(Prefetch("allocations", queryset=allocations))
    return queryset.select_related("customer").prefetch_related(Prefetch("lines", queryset=lines))


def order_get(pk: int) -> Order:
    """The order with its customer, lines (by line number) and their allocations (with the
    warehouse). Three queries. Raises ``NotFound``."""
    order = _with_lines(Order.objects.filter(pk=pk)).first()
    if order is None:
        raise NotFound(f"No order with id {pk}.", field="order")
    return order


def normalize_number(number: str) -> str:
    """``so-123`` and ``123`` -> ``SO-000123``: what people type into a search box."""
    text = (number or "").strip().upper()
    number = plain_int(text.removeprefix(NUMBER_PREFIX))
    if number is not None:
        return f"{NUMBER_PREFIX}{number:06d}"
    return text


def order_get_by_number(number: str, *, entered_by: int | None = None) -> Order:
    """As ``order_get``, by number (``SO-000123``, case-insensitive). ``entered_by``: only an
    order that user placed (an API client's own orders; any other is as unknown). Raises
    ``NotFound``."""
    normalized = normalize_number(number)
    queryset = Order.objects.filter(number=normalized)
    if entered_by is not None:
        queryset = queryset.filter(entered_by_id=entered_by)
    order = _with_lines(queryset).first()
    if order is None:
        raise NotFound(f"No order with number '{number}'.", field="number")
    return order


def orders_with_lines(queryset: QuerySet[Order] | None = None) -> QuerySet[Order]:
    """Orders (all, or ``queryset``) with customer, lines and allocations prefetched."""
    return _with_lines(Order.objects.all() if queryset is None else queryset)


def orders_by_ids(ids: Iterable[int]) -> dict[int, Order]:
    """Orders by id with their customer (one query); for other apps' lists."""
    return Order.objects.select_related("customer").in_bulk(list(set(ids)))


def order_list(
    *,
    status: str | Iterable[str] | None = None,
    channel: str | None = None,
    customer_id: int | None = None,
    customer_number: str | None = None,
    updated_since: datetime | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    backordered: bool | None = None,
    late: bool | None = None,
    search: str = "",
    today: date | None = None,
    exclude_drafts: bool = False,
    entered_by: int | None = None,
) -> QuerySet[Order]:
    """Orders newest first (by id) with their customer, filtered; the caller pages (keyset or
    ``oms.pagination``) and prefetches lines if it shows them; ``exclude_drafts`` leaves out
    orders still being entered unless a status is asked for. Every filter is served by an
    index of ``Order`` (status, channel, customer, created/updated, late, external reference,
    postcode, number; ``entered_by``, an API client's own orders), so a page stays a short index
    walk at a million orders."""
    qs = Order.objects.select_related("customer").order_by("-id")
    if entered_by is not None:
        qs = qs.filter(entered_by_id=entered_by)
    if status:
        qs = qs.filter(status=status) if isinstance(status, str) else qs.filter(status__in=list(status))
    elif exclude_drafts:
        qs = qs.exclude(status=OrderStatus.DRAFT)
    if channel:
        qs = qs.filter(channel=channel)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if customer_number:
        qs = qs.filter(customer__number=customer_number.strip().upper())
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    if created_from:
        qs = qs.filter(created_at__gte=_start_of(created_from))
    if created_to:
        qs = qs.filter(created_at__lt=_start_of(created_to + timedelta(days=1)))
    if backordered:
        qs = qs.filter(status=OrderStatus.BACKORDERED)
    if late:
        qs = qs.filter(status__in=UNSHIPPED_STATUSES, promised_delivery_date__lt=today or timezone.localdate())
    if search and search.strip():
        qs = _with_postcode(qs).filter(_search(search.strip()))
    return qs


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _search(q: str) -> Q:
    """Number, external reference, shipping postcode, or the customer (name, e-mail, phone,
    number, postcode: customers' search).

    Every branch is an index of ``Order`` so that PostgreSQL ORs them in one bitmap: the
    matching customers are read first (their ids, one query on customers' trigram index, at
    most ``SEARCH_CUSTOMERS``) and the orders taken by ``order_customer_idx``. As a subquery
    the planner walked the whole id index at a million orders when few orders matched.
    """
    own, customers = _search_parts(q)
    return own | Q(customer_id__in=customers) if customers else own


def _search_parts(q: str) -> tuple[Q, list[int]]:
    """What matches ``q`` on the order itself (number, external reference, shipping postcode;
    on a queryset of ``_with_postcode``), and the ids of the matching customers (one query).
    The postcode compares the ``->>`` text, the expression of ``order_ship_postcode_idx``."""
    # every channel named, so that the lookup is the unique (channel, external_reference) index
    own = Q(number=normalize_number(q)) | Q(channel__in=Channel.values, external_reference=q)
    postcode = q.upper().replace(" ", "")
    if len(postcode) == 6 and postcode[:4].isdigit() and postcode[4:].isalpha():
        own |= Q(ship_postcode=f"{postcode[:4]} {postcode[4:]}")
    customers = list(
        customers_selectors.customer_list(search=q).order_by().values_list("id", flat=True)[:SEARCH_CUSTOMERS]
    )
    return own, customers


def _with_postcode(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.alias(ship_postcode=KT("shipping_address__postal_code"))


def orders_for_customer(customer_id: int, *, include_drafts: bool = False) -> QuerySet[Order]:
    """The customer's orders, newest first (index ``order_customer_idx``)."""
    qs = Order.objects.filter(customer_id=customer_id).order_by("-id")
    return qs if include_drafts else qs.exclude(status=OrderStatus.DRAFT)


@dataclass(frozen=True)
class CustomerOrderStats:
    orders: int  # placed and not cancelled, ever
    orders_12m: int
    revenue_12m: Decimal  # goods and shipping, excluding VAT
    average_order: Decimal  # revenue_12m / orders_12m
    open_orders: int
    open_on_account: Decimal  # what the customer owes on open on-account orders
    last_order_at: datetime | None


def customer_order_stats(customer_id: int, *, now: datetime | None = None) -> CustomerOrderStats:
    """Order volume of a customer for the customer page. One query."""
    since = (now or timezone.now()) - timedelta(days=365)
    recent = Q(created_at__gte=since)
    money = DecimalField(max_digits=14, decimal_places=2)
    row = (
        Order.objects.filter(customer_id=customer_id)
        .exclude(status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED])
        .aggregate(
            orders=Count("id"),
            orders_12m=Count("id", filter=recent),
            revenue_12m=Coalesce(Sum(F("net_amount") + F("shipping_amount"), filter=recent), ZERO, output_field=money),
            open_orders=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            open_on_account=Coalesce(
                Sum(F("gross_amount") - F("amount_paid"), filter=_open_on_account()), ZERO, output_field=money
            ),
            last_order_at=Max("created_at"),
        )
    )
    average = (row["revenue_12m"] / row["orders_12m"]).quantize(Decimal("0.01")) if row["orders_12m"] else ZERO
    return CustomerOrderStats(average_order=average, **row)


def _open_on_account() -> Q:
    return Q(payment_method=PaymentMethod.ON_ACCOUNT) & ~Q(
        status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED, OrderStatus.COMPLETED]
    )


def customer_open_on_account_amount(customer_id: int, *, exclude_order_id: int | None = None) -> Decimal:
    """What the customer still owes on placed on-account orders that are not completed or
    cancelled: the sum of gross - paid (the credit limit's exposure). One query."""
    qs = Order.objects.filter(_open_on_account(), customer_id=customer_id)
    if exclude_order_id:
        qs = qs.exclude(pk=exclude_order_id)
    total = qs.aggregate(total=Sum(F("gross_amount") - F("amount_paid")))["total"]
    return total or ZERO


def order_timeline(order: Order) -> list[OrderEvent]:
    """The order's timeline, oldest first, with the user who acted. One query."""
    return list(OrderEvent.objects.filter(order_id=order.pk).select_related("user").order_by("id"))


@dataclass(frozen=True)
class NotificationEntry:
    """A customer e-mail on the order timeline (``oms.notify``), shaped like an ``OrderEvent``."""

    notification: Notification
    kind: str = "notification"
    user: None = None

    @property
    def created_at(self) -> datetime:
        return self.notification.sent_at or self.notification.created_at

    def get_kind_display(self) -> str:
        return gettext("Customer e-mail")

    @property
    def message(self) -> str:
        n = self.notification
        params = {
            "label": gettext(notify.kind_label(n.kind)),
            "to": n.to_email,
            "language": n.language,
            "error": n.error,
        }
        if n.status == NotificationStatus.SKIPPED:
            return gettext("%(label)s: not sent: no e-mail address") % params
        if n.status == NotificationStatus.SENT:
            return gettext("%(label)s sent to %(to)s (%(language)s)") % params
        if n.status == NotificationStatus.FAILED:
            return gettext("%(label)s to %(to)s failed, will be retried: %(error)s") % params
        return gettext("%(label)s to %(to)s queued (%(language)s)") % params

    display_message = message


def order_timeline_with_notifications(order: Order) -> list[OrderEvent | NotificationEntry]:
    """The timeline (in its own order) with every customer e-mail about the order merged in by
    time. Two queries."""
    notices = [NotificationEntry(n) for n in notify.order_notifications(order.pk)]
    notices.sort(key=lambda entry: entry.created_at)
    merged: list = []
    for event in order_timeline(order):
        while notices and notices[0].created_at < event.created_at:
            merged.append(notices.pop(0))
        merged.append(event)
    return merged + notices


def allocations_for_order(order: Order, *, status: str | None = AllocationStatus.RESERVED) -> list[Allocation]:
    """The order's allocations (reserved ones by default; ``status=None`` for all) with line,
    warehouse and stock level: what shipping picks from and what ``stock_issue`` takes.
    One query."""
    qs = Allocation.objects.filter(order_line__order_id=order.pk).select_related("order_line", "warehouse")
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("order_line__line_no", "id"))


def order_number_by_external_reference(channel: str, reference: str) -> str | None:
    return Order.objects.filter(channel=channel, external_reference=reference).values_list("number", flat=True).first()


def order_product_ids(order_id: int) -> list[int]:
    return sorted(set(OrderLine.objects.filter(order_id=order_id).values_list("product_id", flat=True)))


def backordered_quantities(product_ids: Iterable[int]) -> dict[int, int]:
    """Units waiting for stock per product, over orders that wait (purchasing's reorder
    trigger). One query on a small partial index."""
    rows = (
        OrderLine.objects.filter(
            product_id__in=list(set(product_ids)),
            quantity_backordered__gt=0,
            is_cancelled=False,
            order__status__in=WAITING_STATUSES,
        )
        .values("product_id")
        .annotate(total=Sum("quantity_backordered"))
        .values_list("product_id", "total")
    )
    return dict(rows)


def order_vat_breakdown(order: Order) -> dict[Decimal, dict[str, Decimal]]:
    """VAT per rate ({rate: {"net", "vat", "gross"}}, highest first; shipping at its rate), from the
    order's active lines (use an order from ``order_get``: no query)."""
    lines = [line for line in order.lines.all() if order.status == OrderStatus.CANCELLED or not line.is_cancelled]
    totals = pricing.order_totals(
        ((line.line_total, line.vat_rate) for line in lines),
        order.shipping_amount,
        order.shipping_vat_rate,
        prices_include_vat=order.prices_include_vat,
    )
    return totals.by_rate


# --- for shipping: the warehouse's pick queue and pack screen ----------------------------------


def orders_with_stock_reserved(
    *, warehouse_id: int, statuses: Iterable[str], exclude_ids: Iterable[int] | QuerySet | None = None
) -> QuerySet[Order]:
    """Orders in ``statuses`` with units reserved (not yet shipped) in ``warehouse_id``, oldest
    first, with their customer. A ship-complete order only once none of its lines waits for
    stock (``order_start_picking`` refuses it before). ``exclude_ids`` may be a subquery. The
    caller pages; one query per page."""
    reserved_here = Allocation.objects.filter(
        order_line__order_id=OuterRef("pk"), warehouse_id=warehouse_id, status=AllocationStatus.RESERVED
    )
    waiting = OrderLine.objects.filter(order_id=OuterRef("pk"), quantity_backordered__gt=0, is_cancelled=False)
    qs = (
        Order.objects.select_related("customer")
        .filter(Exists(reserved_here), status__in=list(statuses))
        .exclude(Q(ship_complete=True) & Exists(waiting))
    )
    if exclude_ids is not None:
        qs = qs.exclude(pk__in=exclude_ids)
    return qs.order_by("id")


def reserved_allocations(*, order_ids: Iterable[int], warehouse_id: int | None = None) -> list[Allocation]:
    """The reserved allocations of these orders (in one warehouse when given) with their line,
    ordered by line number: what a pick list or a parcel takes. One query."""
    qs = Allocation.objects.filter(
        order_line__order_id__in=list(set(order_ids)), status=AllocationStatus.RESERVED, order_line__is_cancelled=False
    ).select_related("order_line")
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    return list(qs.order_by("order_line__order_id", "order_line__line_no", "id"))


# --- the order screens ------------------------------------------------------------------------------

# Sorts of the order list and their columns. Each is served by an index walked from one end with
# the id as tie-breaker ((created_at, id), (gross_amount, id); numbers are unique), so a page
# is a keyset condition plus LIMIT: no OFFSET, no COUNT.
LIST_SORTS = {"date": "created_at", "number": "number", "total": "gross_amount"}


@dataclass
class KeysetPage:
    """One page of a keyset-paginated list: ``after``/``before`` are the ids to continue from."""

    rows: list
    has_next: bool
    has_previous: bool
    next_after: int | None = None
    previous_before: int | None = None


def order_list_page(
    queryset: QuerySet[Order],
    *,
    search: str = "",
    sort: str = "-date",
    after: int | None = None,
    before: int | None = None,
    size=50,
) -> KeysetPage:
    """A page of ``queryset`` (``order_list``'s, without its ``search``) matching ``search`` (as
    ``order_list``'s) in ``sort`` order (``date``, ``number``, ``total``; ``-`` for descending)
    after or before the order with that id. One query, two with a search (the matching
    customers' ids first): the cursor's sort value is read by a scalar subquery inside it, so a
    cursor is just an id."""
    descending = sort.startswith("-")
    column = LIST_SORTS.get(sort.lstrip("-"), "created_at")
    backwards = before is not None and after is None
    cursor = before if backwards else after
    # Read downwards (highest first) when descending forwards or ascending backwards.
    reverse = descending != backwards
    qs = queryset
    if cursor is not None:
        qs = qs.filter(_keyset(column, "<" if reverse else ">", int(cursor)))
    fields = [column] if column in ("id", "number") else [column, "id"]
    ordering = [f"-{f}" if reverse else f for f in fields]
    rows = _page_rows(qs, search.strip(), ordering, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        page = KeysetPage(rows=rows, has_next=True, has_previous=more)
    else:
        page = KeysetPage(rows=rows, has_next=more, has_previous=cursor is not None)
    if rows:
        page.next_after, page.previous_before = rows[-1].pk, rows[0].pk
    return page


def _page_rows(queryset: QuerySet[Order], search: str, ordering: list[str], limit: int) -> list[Order]:
    """The first ``limit`` orders of ``queryset`` matching ``search``, in ``ordering``.

    When customers match, the page's ids are found first, per branch of the search, and then
    the rows of those ids: the customers' orders from ``order_customer_idx`` (its included
    columns hold the sort keys and the status, so PostgreSQL can read the matches from the index
    alone and sort the top of them, or walk the sort's index when the matches are many) and the
    order's own fields from their indexes. With the branches ORed in one condition no index
    answers the customers' branch on its own: the planner walked the sort's index filtering
    rows through the table, thousands of them when few orders matched, or read every match
    from the table."""
    if not search:
        return list(queryset.order_by(*ordering)[:limit])
    own, customers = _search_parts(search)
    matching = _with_postcode(queryset)
    if not customers:
        return list(matching.filter(own).order_by(*ordering)[:limit])
    by_customer, by_own = (
        matching.filter(branch).order_by(*ordering).values("id")[:limit]
        for branch in (Q(customer_id__in=customers), own)
    )
    # The rows by primary key alone: with the filters again the planner took another index.
    page = Order.objects.select_related("customer").filter(pk__in=by_customer.union(by_own))
    return list(page.order_by(*ordering)[:limit])


def _keyset(column: str, operator: str, cursor: int) -> Q | _RowCompare:
    if column == "id":
        return Q(id__lt=cursor) if operator == "<" else Q(id__gt=cursor)
    return _RowCompare(column, operator, cursor)


class _RowCompare(Func):
    """``(column, id) <operator> (the cursor's column, the cursor's id)``: a row comparison,
    which PostgreSQL matches to the (column, id) index as one range. Made of expressions rather
    than SQL text so that its columns take the query's alias when it is a subquery."""

    output_field = BooleanField()

    def __init__(self, column: str, operator: str, cursor: int) -> None:
        value = Subquery(Order.objects.filter(pk=cursor).order_by().values(column))
        super().__init__(F(column), F("id"), value, Value(cursor))
        self.operator = operator

    def as_sql(self, compiler, connection, **extra):
        compiled = [compiler.compile(expression) for expression in self.get_source_expressions()]
        column, pk, value, cursor = (sql for sql, _ in compiled)
        return f"(({column}, {pk}) {self.operator} ({value}, {cursor}))", [p for _, ps in compiled for p in ps]


def order_page_get(number: str) -> Order:
    """The order for its page: customer, the user who entered it, lines (by number) with their
    allocations and warehouses. Three queries. Raises ``NotFound``."""
    normalized = normalize_number(number)
    order = _with_lines(Order.objects.filter(number=normalized).select_related("entered_by")).first()
    if order is None:
        raise NotFound(f"No order with number '{number}'.", field="number")
    return order


def draft_get(order_id: int) -> Order:
    """A draft (or an order that just stopped being one) with its customer and lines (two
    queries). Raises ``NotFound``."""
    lines = OrderLine.objects.order_by("line_no")
    order = (
        Order.objects.filter(pk=order_id).select_related("customer").prefetch_related(Prefetch("lines", lines)).first()
    )
    if order is None:
        raise NotFound(f"No order with id {order_id}.", field="order")
    return order


def draft_head(order_id: int) -> Order:
    """The order alone, without customer or lines (one query): what a change of a draft's
    lines needs before its service reads and returns them. Raises ``NotFound``."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"No order with id {order_id}.", field="order")
    return order


def drafts_of_user(user_id: int | None, *, limit: int = 10) -> list[Order]:
    """The user's drafts still being entered, newest first, with their customer. One query."""
    if not user_id:
        return []
    qs = Order.objects.filter(status=OrderStatus.DRAFT, entered_by_id=user_id).select_related("customer")
    return list(qs.order_by("-id")[:limit])


def customer_recent_orders(customer_id: int, *, limit: int = 5) -> list[Order]:
    """The customer's latest placed orders, newest first. One query."""
    return list(orders_for_customer(customer_id)[:limit])


@dataclass(frozen=True)
class EntryLine:
    """A draft line as the phone screen shows it: stock now and what would be backordered."""

    line: OrderLine
    stock: list  # inventory's WarehouseStock per active warehouse
    available: int  # what is left for this line after the draft's earlier lines of the product
    short: int  # units that would be backordered if the order were placed now
    expected_date: date | None  # the next expected receipt, when something is short


def entry_lines(order: Order) -> list[EntryLine]:
    """The draft's lines with stock per warehouse and a backorder preview: lines of the same
    product take stock in line order, as placement would. Two queries (stock and, when a line
    is short, expected receipts); the lines come from ``order.lines.all()``."""
    lines = [line for line in order.lines.all() if not line.is_cancelled]
    if not lines:
        return []
    product_ids = {line.product_id for line in lines}
    stock = inventory_selectors.stock_by_product(product_ids)
    left = {pid: sum(max(s.available, 0) for s in stock.get(pid, [])) for pid in product_ids}
    rows = []
    for line in lines:
        available = left[line.product_id]
        short = max(line.quantity - available, 0)
        left[line.product_id] = max(available - line.quantity, 0)
        rows.append([line, stock.get(line.product_id, []), available, short])
    short_ids = [row[0].product_id for row in rows if row[3]]
    receipts = inventory_selectors.next_expected_receipts(short_ids) if short_ids else {}
    return [
        EntryLine(line, levels, available, short, _expected(receipts, line.product_id) if short else None)
        for line, levels, available, short in rows
    ]


def _expected(receipts: dict, product_id: int) -> date | None:
    receipt = receipts.get(product_id)
    return receipt.expected_date if receipt else None


@dataclass(frozen=True)
class ProductChoice:
    """A product found on the phone screen, with its stock per warehouse and the next receipt."""

    product: object  # inventory's Product
    stock: list
    available: int
    next_receipt: object | None  # inventory's ExpectedReceiptInfo


def entry_product_choices(query: str, *, limit: int = 10) -> list[ProductChoice]:
    """Active products matching a SKU prefix, name words or a barcode (inventory's search), an
    exact SKU or barcode first, with stock and the next expected receipt. Three or four queries."""
    products = inventory_selectors.product_search(query, limit=limit, active_only=True)
    if not products:
        return []
    ids = [p.pk for p in products]
    stock = inventory_selectors.stock_by_product(ids)
    receipts = inventory_selectors.next_expected_receipts(ids)
    choices = []
    for product in products:
        levels = stock.get(product.pk, [])
        available = sum(max(level.available, 0) for level in levels)
        choices.append(ProductChoice(product, levels, available, receipts.get(product.pk)))
    return choices


def entry_product_by_code(code: str):
    """The active product whose SKU or barcode is exactly ``code`` (what a scanner sends), or
    None. One or two queries."""
    code = (code or "").strip()
    if not code:
        return None
    exact = [
        p
        for p in inventory_selectors.product_search(code, limit=5, active_only=True)
        if p.sku.upper() == code.upper() or p.barcode == code
    ]
    return exact[0] if exact else None


# --- dashboards -----------------------------------------------------------------------------------
# Each is one query on an index of Order or on the DailyChannelStats summary (bench/dashboards.py).


def orders_today_by_channel(today: date | None = None) -> dict[str, int]:
    """Placed orders created today per channel: exactly what the order list shows for
    ``?channel=<c>&date_from=<today>&date_to=<today>`` (index ``order_created_id_idx``)."""
    today = today or timezone.localdate()
    rows = (
        order_list(created_from=today, created_to=today, exclude_drafts=True)
        .order_by()
        .values("channel")
        .annotate(n=Count("id"))
    )
    return {row["channel"]: row["n"] for row in rows}


def orders_needing_attention(today: date | None = None) -> dict[str, int]:
    """On hold, backordered and late (promised date passed, not yet with a carrier): one pass
    over the open orders (index ``order_status_idx``; few rows at any size)."""
    today = today or timezone.localdate()
    return Order.objects.filter(status__in=UNSHIPPED_STATUSES).aggregate(
        on_hold=Count("id", filter=Q(status=OrderStatus.ON_HOLD)),
        backordered=Count("id", filter=Q(status=OrderStatus.BACKORDERED)),
        late=Count("id", filter=Q(promised_delivery_date__lt=today)),
    )


SHIPPED_OR_LATER = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
DELIVERED_OR_LATER = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def order_to_cash_funnel(*, days: int = 30, today: date | None = None) -> list[tuple[str, int]]:
    """Of the orders placed in the last ``days`` days (drafts left out): how many were placed,
    are not cancelled, have shipped (part of) their goods, were delivered, and are paid in full.
    One query over the window (index ``order_created_id_idx``)."""
    today = today or timezone.localdate()
    counts = order_list(created_from=today - timedelta(days=days - 1), created_to=today, exclude_drafts=True).aggregate(
        placed=Count("id"),
        live=Count("id", filter=~Q(status=OrderStatus.CANCELLED)),
        shipped=Count("id", filter=Q(status__in=SHIPPED_OR_LATER)),
        delivered=Count("id", filter=Q(status__in=DELIVERED_OR_LATER)),
        paid=Count("id", filter=~Q(status=OrderStatus.CANCELLED) & Q(amount_paid__gte=F("gross_amount"))),
    )
    return [
        ("Placed", counts["placed"]),
        ("Not cancelled", counts["live"]),
        ("Shipped", counts["shipped"]),
        ("Delivered", counts["delivered"]),
        ("Paid in full", counts["paid"]),
    ]


def channel_day_totals(start: date, end: date) -> dict[tuple[date, str], tuple[int, Decimal]]:
    """(day, channel) -> (orders, revenue excl. VAT) of the placed, not cancelled orders created
    from ``start`` to ``end`` (local days). One grouped query."""
    rows = (
        order_list(created_from=start, created_to=end, exclude_drafts=True)
        .exclude(status=OrderStatus.CANCELLED)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values("day", "channel")
        .annotate(n=Count("id"), revenue=Sum(F("net_amount") + F("shipping_amount")))
    )
    return {(row["day"], row["channel"]): (row["n"], row["revenue"] or ZERO) for row in rows}


def revenue_by_channel(*, days: int = 30, today: date | None = None) -> dict[str, list[tuple[date, Decimal]]]:
    """Revenue per channel per day over the last ``days`` days, oldest first, for the chart.
    Past days come from ``DailyChannelStats``; today, and any day the refresh task has not
    written yet, are counted from the orders (one more query, over those days only)."""
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    stored: dict[tuple[date, str], Decimal] = {
        (row.day, row.channel): row.revenue
        for row in DailyChannelStats.objects.filter(day__gte=start, day__lt=today).only("day", "channel", "revenue")
    }
    days_list = [start + timedelta(days=i) for i in range(days)]
    stored_days = {day for day, _ in stored}
    missing = [day for day in days_list if day not in stored_days]
    if missing:
        live = channel_day_totals(min(missing), max(missing))
        for day in missing:
            for channel in Channel.values:
                stored[(day, channel)] = live.get((day, channel), (0, ZERO))[1]
    return {channel: [(day, stored.get((day, channel), ZERO)) for day in days_list] for channel in Channel.values}


def orders_waiting_for_stock(*, placed_before: datetime, limit: int) -> list[dict]:
    """Placed orders still backordered or on hold since before ``placed_before`` (the exception
    inbox). Uses the status index: open statuses are a sliver of the order book."""
    return list(
        Order.objects.filter(status__in=[OrderStatus.BACKORDERED, OrderStatus.ON_HOLD], placed_at__lt=placed_before)
        .order_by("placed_at", "id")
        .values("id", "number", "status", "placed_at", "promised_delivery_date")[:limit]
    )


def open_orders_unpaid(*, payment_methods: Iterable[str], placed_before: datetime, limit: int) -> list[dict]:
    """Open orders paid by one of ``payment_methods`` with money still to come, placed before
    ``placed_before`` (billing's "prepaid and unpaid" rule). Uses the status index."""
    return list(
        Order.objects.filter(
            status__in=sorted(OPEN_STATUSES),
            payment_method__in=sorted(payment_methods),
            placed_at__lt=placed_before,
            amount_paid__lt=F("gross_amount"),
        )
        .order_by("placed_at", "id")
        .values("id", "number", "payment_method", "placed_at", "gross_amount", "amount_paid")[:limit]
    )


def order_for_status_token(token: str) -> Order:
    """The order a customer's status link names (``orders.status_links``), with customer and
    lines as ``order_get``. Raises ``NotFound`` alike for a forged, altered, revoked or unknown
    token: the answer tells nothing about which (and about no other order)."""
    from orders import status_links

    parts = status_links.token_parts(token)
    order = None
    if parts is not None:
        order_id, version = parts
        order = _with_lines(Order.objects.filter(pk=order_id, status_link_version=version)).first()
    if order is None or order.status == OrderStatus.DRAFT:
        raise NotFound("No such order page.", field="token")
    return order
