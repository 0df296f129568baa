"""Reads of purchasing for the screens, the workers and other apps. Each selector is a fixed
number of queries whatever the number of rows (query-count tests pin the list pages).

Stock figures come from inventory's selectors and order lines from orders' selectors:
purchasing never queries another app's tables on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory import selectors as inventory_selectors
from oms.errors import NotFound
from oms.money import quantize
from purchasing.models import (
    RECEIVABLE,
    GoodsReceipt,
    GoodsReceiptLine,
    POStatus,
    PurchaseOrder,
    PurchaseOrderDocument,
    PurchaseOrderLine,
    ReorderRequest,
    RequestStatus,
    Supplier,
    SupplierProduct,
    TimelineEntry,
)

# --- stock positions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """What a stock level has and expects: the input of a reorder suggestion."""

    stock_level_id: int
    product_id: int
    warehouse_id: int
    on_hand: int
    available: int
    incoming: int
    reorder_point: int
    reorder_quantity: int

    @property
    def is_low(self) -> bool:
        return self.available + self.incoming < self.reorder_point


def stock_positions(product_id: int) -> dict[int, Position]:
    """The product's position in each warehouse, by warehouse id: on hand, available, incoming
    (expected receipts from today on) and the reorder settings. Two queries."""
    levels = inventory_selectors.product_stock_levels(product_id)
    incoming = inventory_selectors.incoming_for_levels(levels)
    return {
        level.warehouse_id: Position(
            stock_level_id=level.pk,
            product_id=level.product_id,
            warehouse_id=level.warehouse_id,
            on_hand=level.on_hand,
            available=level.available,
            incoming=incoming.get((level.product_id, level.warehouse_id), (0, None))[0],
            reorder_point=level.reorder_point,
            reorder_quantity=level.reorder_quantity,
        )
        for level in levels
        if level.warehouse.active
    }


def available_by_product(product_ids: Iterable[int]) -> dict[int, int]:
    """Available stock per product over the active warehouses. One query."""
    stock = inventory_selectors.stock_by_product(product_ids)
    return {product_id: sum(row.available for row in rows) for product_id, rows in stock.items()}


def home_warehouse_id() -> int | None:
    """Where stock for unallocated demand is bought: the active warehouse orders take from
    first (lowest priority number)."""
    warehouses = inventory_selectors.warehouses_active()
    return warehouses[0].pk if warehouses else None


# --- supplier products ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplierTerms:
    """How the chosen supplier sells a product: what a reorder suggestion is rounded to."""

    supplier_id: int
    unit_cost: Decimal
    min_order_quantity: int
    pack_size: int
    lead_time_days: int  # the product's own, else the supplier's


def supplier_terms_for(product_ids: Iterable[int]) -> dict[int, SupplierTerms]:
    """The terms to buy each product on: its preferred supplier's, else the cheapest active
    supplier's. One query (plain values: the scan asks for tens of thousands at a time)."""
    rows = (
        SupplierProduct.objects.filter(product_id__in=list(set(product_ids)), supplier__active=True)
        .order_by("product_id", "-preferred", "unit_cost", "id")
        .distinct("product_id")
        .values_list(
            "product_id",
            "supplier_id",
            "unit_cost",
            "min_order_quantity",
            "pack_size",
            Coalesce("lead_time_days", "supplier__lead_time_days"),
        )
    )
    return {row[0]: SupplierTerms(*row[1:]) for row in rows}


def supplier_product_get(supplier_product_id: int) -> SupplierProduct:
    sp = SupplierProduct.objects.select_related("supplier", "product").filter(pk=supplier_product_id).first()
    if sp is None:
        raise NotFound("No such supplier product.")
    return sp


# --- what is already on its way -----------------------------------------------------------------


def already_pending(product_id: int, warehouse_id: int) -> bool:
    """An open request or a draft purchase order line for this product and warehouse. One query."""
    open_request = ReorderRequest.objects.filter(
        status=RequestStatus.OPEN, product_id=product_id, warehouse_id=warehouse_id
    )
    draft_line = PurchaseOrderLine.objects.filter(
        purchase_order__status=POStatus.DRAFT, product_id=product_id, purchase_order__warehouse_id=warehouse_id
    )
    return open_request.exists() or draft_line.exists()


def draft_line_pending(product_id: int, warehouse_id: int) -> bool:
    """A line for this product and warehouse on a draft purchase order (supply decided on but
    not yet in inventory's expected receipts). One query."""
    return PurchaseOrderLine.objects.filter(
        purchase_order__status=POStatus.DRAFT, product_id=product_id, purchase_order__warehouse_id=warehouse_id
    ).exists()


def open_request_for(product_id: int, warehouse_id: int) -> ReorderRequest | None:
    """The open request for this product and warehouse, if any (at most one: the partial
    unique index ``reorder_request_one_open``). One query."""
    return ReorderRequest.objects.filter(
        status=RequestStatus.OPEN, product_id=product_id, warehouse_id=warehouse_id
    ).first()


def backordered_demand(product_ids: Iterable[int], warehouse_id: int) -> dict[int, int]:
    """Units waiting for stock per product, counted for ``warehouse_id`` only when it is the home
    warehouse (where unallocated demand is bought). Up to two queries."""
    product_ids = list(set(product_ids))
    if not product_ids or warehouse_id != home_warehouse_id():
        return {}
    return backordered_by_product(product_ids)


def backordered_by_product(product_ids: Iterable[int]) -> dict[int, int]:
    """Units waiting for stock per product over the orders that wait, read through orders'
    selector (orders sits below purchasing). One query."""
    from orders import selectors as order_selectors

    return order_selectors.backordered_quantities(product_ids)


def open_requests_to_top_up() -> list[tuple[int, int, int, int, int | None]]:
    """(request id, product, warehouse, suggested quantity, supplier) of every open request whose
    pair has no draft purchase order line, in id order. Two queries."""
    drafts = set(
        PurchaseOrderLine.objects.filter(purchase_order__status=POStatus.DRAFT).values_list(
            "product_id", "purchase_order__warehouse_id"
        )
    )
    rows = (
        ReorderRequest.objects.filter(status=RequestStatus.OPEN)
        .order_by("id")
        .values_list("id", "product_id", "warehouse_id", "suggested_quantity", "supplier_id")
    )
    return [row for row in rows if (row[1], row[2]) not in drafts]


def positions_for_pairs(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Position]:
    """The position of each (product, warehouse) pair that has a stock level in an active
    warehouse, with incoming counted as the scan counts it (all expected receipts). One query."""
    pairs = set(pairs)
    if not pairs:
        return {}
    return {
        (lv.product_id, lv.warehouse_id): Position(
            stock_level_id=lv.pk,
            product_id=lv.product_id,
            warehouse_id=lv.warehouse_id,
            on_hand=lv.on_hand,
            available=lv.available_qty,
            incoming=lv.incoming,
            reorder_point=lv.reorder_point,
            reorder_quantity=lv.reorder_quantity,
        )
        for lv in inventory_selectors.stock_levels_for_products({p for p, _ in pairs})
        if (lv.product_id, lv.warehouse_id) in pairs
    }


def pending_pairs() -> set[tuple[int, int]]:
    """(product, warehouse) pairs with supply pending in purchasing: an open request or a line
    on a draft purchase order. Two queries."""
    requests = ReorderRequest.objects.filter(status=RequestStatus.OPEN).values_list("product_id", "warehouse_id")
    drafts = PurchaseOrderLine.objects.filter(purchase_order__status=POStatus.DRAFT).values_list(
        "product_id", "purchase_order__warehouse_id"
    )
    return set(requests) | set(drafts)


def reorder_scan_level_ids() -> list[int]:
    """The ids of every active level whose available plus incoming is below its reorder point
    and that has nothing pending in purchasing, in id order. Three queries.

    Pending pairs are taken out in Python, not with an anti-join: the scan inserts requests
    faster than statistics follow, and a plan made for "no open requests" (a nested loop over
    them) made the scan many times slower (bench/reorder_scan.py; figures in docs/ARCHITECTURE.md)."""
    pending = pending_pairs()
    rows = (
        inventory_selectors.stock_levels_for_reorder_scan()
        .filter(product__active=True, warehouse__active=True)
        .values_list("id", "product_id", "warehouse_id")
    )
    return [level_id for level_id, product_id, warehouse_id in rows if (product_id, warehouse_id) not in pending]


SCAN_COLUMNS = ("product_id", "warehouse_id", "available_qty", "incoming", "reorder_point", "reorder_quantity")


def reorder_scan_rows_sql(level_ids: list[int]) -> tuple[str, tuple]:
    """SQL and parameters selecting ``SCAN_COLUMNS`` (in that order) of those of these levels
    that are still below their reorder point; the scan inserts from it in one statement."""
    qs = (
        inventory_selectors.stock_levels_for_reorder_scan()
        .filter(pk__in=level_ids)
        .order_by()
        .values_list(*SCAN_COLUMNS)
    )
    return qs.query.sql_with_params()


# --- the reorder queue ----------------------------------------------------------------------------


def reorder_queue(*, supplier_id: int | None = None, warehouse_id: int | None = None) -> QuerySet[ReorderRequest]:
    """Open requests by supplier (no supplier last), then SKU, with what the rows show; the
    caller slices a page."""
    qs = ReorderRequest.objects.filter(status=RequestStatus.OPEN).select_related("product", "warehouse", "supplier")
    if supplier_id:
        qs = qs.filter(supplier_id=supplier_id)
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    return qs.order_by("supplier__name", "supplier_id", "product__sku", "warehouse_id")


def reorder_request_get(request_id: int) -> ReorderRequest:
    request = ReorderRequest.objects.select_related("product", "warehouse", "supplier").filter(pk=request_id).first()
    if request is None:
        raise NotFound("No such reorder request.", field="request_id")
    return request


def open_request_totals(supplier_ids) -> dict[int | None, tuple[int, Decimal]]:
    """Per supplier (None: no supplier): how many open requests and what they would cost at
    their unit costs. One query."""
    ids = set(supplier_ids)
    where = Q(supplier_id__in=[i for i in ids if i is not None])
    if None in ids:
        where |= Q(supplier__isnull=True)
    rows = (
        ReorderRequest.objects.filter(where, status=RequestStatus.OPEN)
        .order_by()
        .values("supplier_id")
        .annotate(n=Count("id"), total=Sum(F("quantity") * F("unit_cost"), output_field=DecimalField()))
        .values_list("supplier_id", "n", "total")
    )
    return {supplier_id: (n, quantize(total or 0)) for supplier_id, n, total in rows}


def positions_for_requests(requests: Iterable[ReorderRequest]) -> dict[tuple[int, int], tuple[int, int]]:
    """(available, incoming) per (product, warehouse) of the requests shown. Two queries."""
    requests = list(requests)
    if not requests:
        return {}
    stock = inventory_selectors.stock_by_product({r.product_id for r in requests})
    available = {(pid, ws.warehouse_id): ws.available for pid, rows in stock.items() for ws in rows}
    incoming = inventory_selectors.incoming_for_levels(requests)
    return {
        (r.product_id, r.warehouse_id): (
            available.get((r.product_id, r.warehouse_id), 0),
            incoming.get((r.product_id, r.warehouse_id), (0, None))[0],
        )
        for r in requests
    }


# --- purchase orders ------------------------------------------------------------------------------


def purchase_order_list(
    *, status: str = "", supplier_id: int | None = None, q: str = "", today: date | None = None
) -> QuerySet[PurchaseOrder]:
    """Purchase orders, newest first, with supplier and warehouse; the caller slices a page.
    ``status`` is a status, ``open`` (draft, sent, partially received) or ``overdue`` (goods
    still expected and the expected date passed)."""
    qs = PurchaseOrder.objects.select_related("supplier", "warehouse").order_by("-id")
    if status == "overdue":
        qs = qs.filter(status__in=RECEIVABLE, expected_date__lt=today or timezone.localdate())
    elif status == "open":
        qs = qs.filter(status__in=[POStatus.DRAFT, *RECEIVABLE])
    elif status in POStatus.values:
        qs = qs.filter(status=status)
    if supplier_id:
        qs = qs.filter(supplier_id=supplier_id)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number__iexact=q) | Q(number__iendswith=q.lstrip("PpOo-")) | Q(supplier__name__icontains=q))
    return qs


def purchase_order_get(number: str) -> PurchaseOrder:
    """One purchase order with supplier, warehouse and lines (with products). Two queries."""
    po = (
        PurchaseOrder.objects.select_related("supplier", "warehouse", "created_by", "sent_by")
        .prefetch_related(Prefetch("lines", PurchaseOrderLine.objects.select_related("product").order_by("line_no")))
        .filter(number=(number or "").strip().upper())
        .first()
    )
    if po is None:
        raise NotFound(f"No purchase order {number}.", code="unknown_purchase_order", field="number")
    return po


def purchase_order_get_by_id(purchase_order_id: int) -> PurchaseOrder:
    po = PurchaseOrder.objects.select_related("supplier", "warehouse").filter(pk=purchase_order_id).first()
    if po is None:
        raise NotFound("No such purchase order.", code="unknown_purchase_order")
    return po


def purchase_order_timeline(po: PurchaseOrder) -> list[TimelineEntry]:
    return list(po.timeline.select_related("user").order_by("-id"))


def purchase_order_receipts(po: PurchaseOrder) -> list[GoodsReceipt]:
    return list(
        po.receipts.select_related("received_by").prefetch_related("lines__purchase_order_line").order_by("-id")
    )


def purchase_order_document_state(po: PurchaseOrder) -> dict | None:
    """Whether the PDF exists and when it was e-mailed, without loading the PDF. One query."""
    return (
        PurchaseOrderDocument.objects.filter(purchase_order=po)
        .values("rendered_at", "emailed_to", "emailed_at")
        .first()
    )


def purchase_order_pdf(po: PurchaseOrder) -> bytes | None:
    doc = PurchaseOrderDocument.objects.filter(purchase_order=po).only("pdf").first()
    return bytes(doc.pdf) if doc else None


def receipt_queue(*, q: str = "", expected: date | None = None) -> QuerySet[PurchaseOrder]:
    """Purchase orders waiting for goods, the earliest expected first; ``expected``: only those
    expected on that day."""
    qs = purchase_order_list(q=q).filter(status__in=RECEIVABLE)
    if expected:
        qs = qs.filter(expected_date=expected)
    return qs.order_by("expected_date", "id")


def purchasing_dashboard(today: date | None = None) -> dict[str, int]:
    """Open reorder requests, overdue purchase orders and those expected today. Two queries on
    small tables (index ``reorder_request_queue``, ``purchase_order_by_status``)."""
    today = today or timezone.localdate()
    counts = PurchaseOrder.objects.filter(status__in=RECEIVABLE).aggregate(
        overdue=Count("id", filter=Q(expected_date__lt=today)),
        expected_today=Count("id", filter=Q(expected_date=today)),
    )
    counts["open_requests"] = ReorderRequest.objects.filter(status=RequestStatus.OPEN).count()
    return counts


def purchase_orders_expecting(product_id: int) -> list[PurchaseOrderLine]:
    """Open purchase order lines of a product (sent or partially received)."""
    return list(
        PurchaseOrderLine.objects.filter(product_id=product_id, purchase_order__status__in=RECEIVABLE)
        .select_related("purchase_order", "purchase_order__supplier")
        .order_by("purchase_order__expected_date", "id")
    )


# --- suppliers ------------------------------------------------------------------------------------


def supplier_list(*, q: str = "", active: bool | None = None) -> QuerySet[Supplier]:
    qs = Supplier.objects.order_by("name")
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(city__icontains=q) | Q(contact_name__icontains=q))
    if active is not None:
        qs = qs.filter(active=active)
    return qs


def suppliers_active() -> list[Supplier]:
    return list(Supplier.objects.filter(active=True).order_by("name"))


def supplier_get(supplier_id: int) -> Supplier:
    supplier = Supplier.objects.filter(pk=supplier_id).first()
    if supplier is None:
        raise NotFound("No such supplier.", code="unknown_supplier", field="supplier")
    return supplier


def supplier_products(supplier: Supplier) -> QuerySet[SupplierProduct]:
    return supplier.products.select_related("product").order_by("product__sku")


# --- order demand (the backorder and large-order triggers) ----------------------------------------


@dataclass(frozen=True)
class DemandLine:
    """One order line as the reorder triggers see it."""

    product_id: int
    quantity: int
    allocated: int
    backordered: int
    warehouse_id: int | None  # the warehouse the line took most from
    allocated_in_warehouse: int


@dataclass(frozen=True)
class OrderDemand:
    reference: str
    lines: list[DemandLine]


def order_demand(order_id: int) -> OrderDemand:
    """The lines of an order: what each asked, got and waits for, and where it got it from.

    Read through orders' selector ``order_get`` (orders sits below purchasing)."""
    from orders import selectors as order_selectors

    order = order_selectors.order_get(order_id)
    lines = []
    for line in order.lines.all():
        per_warehouse: dict[int, int] = {}
        for allocation in line.allocations.all():
            if allocation.status != "released":
                per_warehouse[allocation.warehouse_id] = per_warehouse.get(allocation.warehouse_id, 0) + (
                    allocation.quantity
                )
        main = max(per_warehouse, key=lambda w: (per_warehouse[w], -w)) if per_warehouse else None
        lines.append(
            DemandLine(
                product_id=line.product_id,
                quantity=line.quantity,
                allocated=line.quantity_allocated,
                backordered=line.quantity_backordered,
                warehouse_id=main,
                allocated_in_warehouse=per_warehouse.get(main, 0) if main else 0,
            )
        )
    return OrderDemand(reference=order.number, lines=lines)


def purchase_orders_changed(*, updated_since: datetime | None = None) -> QuerySet[PurchaseOrder]:
    """Purchase orders for the API's ERP list with supplier, warehouse, lines and goods receipts
    (with their lines) prefetched: four queries a page. ``updated_since``: changed
    (``updated_at``) or goods received since then."""
    receipts = GoodsReceipt.objects.order_by("id").prefetch_related(
        Prefetch("lines", queryset=GoodsReceiptLine.objects.select_related("purchase_order_line").order_by("id"))
    )
    orders = PurchaseOrder.objects.select_related("supplier", "warehouse").prefetch_related(
        Prefetch("lines", queryset=PurchaseOrderLine.objects.order_by("line_no")),
        Prefetch("receipts", queryset=receipts),
    )
    if updated_since is not None:
        received = GoodsReceipt.objects.filter(purchase_order_id=OuterRef("pk"), received_at__gte=updated_since)
        orders = orders.filter(Q(updated_at__gte=updated_since) | Exists(received))
    return orders
