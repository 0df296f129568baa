"""Reads of orders for views, the API and other apps. Each selector runs a fixed number of
queries whatever the number of rows (query-count tests pin them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers import selectors as customers_selectors
from customers.models import PaymentMethod
from oms.errors import NotFound
from oms.money import ZERO
from orders import pricing
from orders.models import (
    OPEN_STATUSES,
    UNSHIPPED_STATUSES,
    WAITING_STATUSES,
    Allocation,
    AllocationStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)

NUMBER_PREFIX = "SO-"


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
    digits = text.removeprefix(NUMBER_PREFIX)
    if digits.isdigit():
        return f"{NUMBER_PREFIX}{int(digits):06d}"
    return text


def order_get_by_number(number: str) -> Order:
    """As ``order_get``, by number (``SO-000123``, case-insensitive). Raises ``NotFound``."""
    normalized = normalize_number(number)
    order = _with_lines(Order.objects.filter(number=normalized)).first()
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
) -> QuerySet[Order]:
    """Orders newest first (by id) with their customer, filtered; the caller pages (keyset or
    ``oms.pagination``) and prefetches lines if it shows them. Every filter is served by an
    index of ``Order`` (status, channel, customer, created/updated, late, external reference,
    postcode, number), so a page stays a short index walk at a million orders."""
    qs = Order.objects.select_related("customer").order_by("-id")
    if status:
        qs = qs.filter(status=status) if isinstance(status, str) else qs.filter(status__in=list(status))
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
        qs = qs.filter(_search(search.strip()))
    return qs


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _search(q: str) -> Q:
    """Number, external reference, shipping postcode, or the customer (name, e-mail, phone,
    number, postcode: customers' search)."""
    condition = Q(number=normalize_number(q)) | Q(external_reference=q)
    postcode = q.upper().replace(" ", "")
    if len(postcode) == 6 and postcode[:4].isdigit() and postcode[4:].isalpha():
        condition |= Q(shipping_address__postal_code=f"{postcode[:4]} {postcode[4:]}")
    customers = customers_selectors.customer_list(search=q).order_by().values("id")
    return condition | Q(customer_id__in=customers)


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
    """VAT per rate ({rate: {"net", "vat"}}, highest first; shipping at its rate), from the
    order's active lines (use an order from ``order_get``: no query)."""
    lines = [line for line in order.lines.all() if order.status == OrderStatus.CANCELLED or not line.is_cancelled]
    totals = pricing.order_totals(
        ((line.line_total, line.vat_rate) for line in lines), order.shipping_amount, order.shipping_vat_rate
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
