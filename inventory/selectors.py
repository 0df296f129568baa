"""Reads of inventory for views, the API and other apps. Each selector is a fixed number of
queries whatever the number of rows (query-count tests pin them)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import F, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Collate, Upper
from django.utils import timezone

from inventory.models import ExpectedReceipt, ImportJob, Product, StockLevel, StockMovement, Warehouse
from oms.delivery import QuoteLine, QuoteRequest, quote_delivery
from oms.errors import NotFound
from oms.money import gross_of, vat_rates_on
from oms.sql import execute_prepared, select_models


class WarehouseStock(NamedTuple):
    """A product's stock in one warehouse (a named tuple: a draft's stock is built on every
    keystroke of the phone screen, several rows per line)."""

    warehouse_id: int
    warehouse_code: str
    stock_level_id: int
    on_hand: int
    reserved: int
    available: int


@dataclass(frozen=True)
class ExpectedReceiptInfo:
    expected_date: date
    quantity: int
    warehouse_id: int


# --- products -----------------------------------------------------------------------------------


def derived_consumer_price(list_price, vat_category: str, on: date | None = None) -> Decimal:
    """The list price plus the category's VAT on ``on`` (today), half-up to the cent: the
    consumer price of a product that was not given one (migration 0007 did the same)."""
    rate = vat_rates_on(on or timezone.localdate()).get(vat_category, Decimal("0"))
    return gross_of(list_price, rate)


def consumer_price(product: Product, on: date | None = None) -> Decimal:
    """What a consumer pays for one unit, incl. VAT: the product's shelf price."""
    if product.consumer_price is not None:
        return product.consumer_price
    return derived_consumer_price(product.list_price, product.vat_category, on)


def product_get_by_sku(sku: str) -> Product:
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        raise NotFound(f"No product with SKU '{sku}'.", code="unknown_sku", field="sku")
    return product


def products_by_skus(skus: Iterable[str]) -> dict[str, Product]:
    """The products with these SKUs, by SKU (unknown SKUs are simply absent). One query, written
    by hand: order intake asks it on every order (oms.sql)."""
    return {
        p.sku: p
        for p in select_models(Product, "oms_read_products_by_skus", "sku = ANY($1::text[])", [sorted(set(skus))])
    }


def products_by_ids(ids: Iterable[int]) -> dict[int, Product]:
    """The products with these ids, by id (unknown ids are simply absent). One query."""
    return Product.objects.in_bulk(list(set(ids)))


def product_weights(ids: Iterable[int]) -> dict[int, int]:
    """Grams per unit of these products, by id (one query; an array parameter, as
    ``stock_by_product``: a delivery quote asks it for every line of a draft)."""
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            "oms_read_product_weights",
            f"SELECT id, weight_grams FROM {Product._meta.db_table} WHERE id = ANY($1::bigint[])",
            [sorted(set(ids))],
        )
        return dict(cursor.fetchall())


EAN_RE = re.compile(r"^\d{13}$")
# The SKU as lists sort it and search-as-you-type matches its prefix: upper case, byte order.
# Index ``product_sku_key`` (migration 0001) holds exactly this expression; the C collation
# makes a LIKE prefix an index range and sorts far faster than a language-aware collation.
SKU_KEY = Collate(Upper("sku"), "C")
MANY_NAMES = 2_000  # this many name matches are dense enough to walk the SKU index for
MIN_NAME_WORD = 3


def _search_branches(q: str) -> list[Q]:
    """Disjoint conditions whose union is the search: the SKU starts with ``q``; or every word
    is somewhere in the name; or (13 digits) the barcode is ``q``. Case-insensitive; each branch
    runs on its own index (the SKU key, the trigram index on UPPER(name), the barcode's)."""
    q = (q or "").strip()
    if not q:
        return []
    sku = Q(usku__startswith=q.upper())
    branches = [sku]
    words = q.split()
    # The name is searched once a word has 3 letters: a trigram index cannot narrow down
    # shorter ones, and "m" is the start of a SKU being typed more often than a name.
    name = Q()
    if any(len(word) >= MIN_NAME_WORD for word in words):
        for word in words:
            name &= Q(name__icontains=word)
        branches.append(name & ~sku)
    if EAN_RE.match(q):
        branches.append(Q(barcode=q) & ~sku & ~name if name else Q(barcode=q) & ~sku)
    return branches


def products_matching(q: str) -> QuerySet[Product]:
    """Every product matching a search box (SKU prefix, name words, exact barcode)."""
    branches = _search_branches(q)
    condition = Q()
    for branch in branches:
        condition |= branch
    return Product.objects.annotate(usku=SKU_KEY).filter(condition) if branches else Product.objects.none()


def _matching_product_ids(q: str) -> QuerySet:
    """The ids of the products matching ``q``, as a subquery shaped for a list sorted by SKU.

    Matches of the SKU prefix sit side by side in SKU order; name matches are scattered over
    it. Walking the SKU index (with the whole condition as a filter) fills a page at once when
    the search is a SKU prefix only (the prefix is an index range) or when many names match.
    With few name matches the walk can read almost the whole index before it reaches a SKU
    cluster at the far end (as "B09" does), so then the match set is built first, one index per
    branch, and only that set is sorted (figures in docs/ARCHITECTURE.md).
    """
    branches = _search_branches(q)
    name_words = Q()
    for word in q.split():
        name_words &= Q(name__icontains=word)
    if len(branches) == 1 or Product.objects.filter(name_words)[MANY_NAMES : MANY_NAMES + 1].exists():
        return products_matching(q).order_by().values("id")
    base = Product.objects.annotate(usku=SKU_KEY).order_by()
    first, *rest = [base.filter(branch).values("id") for branch in branches]
    return first.union(*rest, all=True)


def product_search(q: str, *, limit: int = 20, active_only: bool = False) -> list[Product]:
    """Products for search-as-you-type: an exact SKU or barcode first, then by SKU."""
    if not (q or "").strip():
        return []
    qs = Product.objects.filter(pk__in=_matching_product_ids(q))
    if active_only:
        qs = qs.filter(active=True)
    rows = list(qs.order_by(SKU_KEY)[: max(1, min(limit, 200))])
    rows.sort(key=lambda p: _search_rank(p, q.strip()))
    return rows


def _search_rank(product: Product, q: str) -> tuple[bool, bool]:
    exact = product.sku.upper() == q.upper() or product.barcode == q
    return (not exact, not product.sku.upper().startswith(q.upper()))


def product_list(*, search: str = "", active: bool | None = None) -> QuerySet[Product]:
    qs = Product.objects.all()
    if search.strip():
        qs = qs.filter(pk__in=_matching_product_ids(search))
    if active is not None:
        qs = qs.filter(active=active)
    return qs


# --- warehouses ---------------------------------------------------------------------------------


def warehouses_active() -> list[Warehouse]:
    return list(Warehouse.objects.filter(active=True).order_by("priority", "code"))


def warehouses_all() -> list[Warehouse]:
    return list(Warehouse.objects.order_by("priority", "code"))


def warehouse_get_by_code(code: str) -> Warehouse:
    warehouse = Warehouse.objects.filter(code=(code or "").upper()).first()
    if warehouse is None:
        raise NotFound(f"No warehouse with code '{code}'.", code="unknown_warehouse", field="warehouse")
    return warehouse


# --- stock --------------------------------------------------------------------------------------


# Written by hand and prepared (oms.sql): the phone screen asks it twice on every line added (the
# rows and the delivery quote), and the ORM's IN list costs CPU for every product of the draft;
# one array parameter does not.
STOCK_BY_PRODUCT_SQL = f"""
    SELECT sl.product_id, sl.warehouse_id, w.code, sl.id, sl.on_hand, sl.reserved
      FROM {StockLevel._meta.db_table} sl JOIN {Warehouse._meta.db_table} w ON w.id = sl.warehouse_id
     WHERE sl.product_id = ANY($1::bigint[]) AND w.active
     ORDER BY sl.product_id, w.priority, w.code"""


def stock_by_product(product_ids: Iterable[int]) -> dict[int, list[WarehouseStock]]:
    """Stock per active warehouse (by priority) for each product. One query."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, "oms_read_stock_by_product", STOCK_BY_PRODUCT_SQL, [sorted(set(product_ids))])
        rows = cursor.fetchall()
    result: dict[int, list[WarehouseStock]] = {}
    for product_id, warehouse_id, code, level_id, on_hand, reserved in rows:
        result.setdefault(product_id, []).append(
            WarehouseStock(warehouse_id, code, level_id, on_hand, reserved, on_hand - reserved)
        )
    return result


def stock_levels_for_products(product_ids: Iterable[int]) -> list[StockLevel]:
    """The levels of these products in active warehouses, annotated with ``available_qty`` and
    ``incoming`` (all expected receipts, as ``stock_levels_for_reorder_scan`` counts them): the
    reorder scan's top-up of open requests. One query."""
    return list(
        StockLevel.objects.filter(product_id__in=set(product_ids), warehouse__active=True)
        .annotate(available_qty=F("on_hand") - F("reserved"), incoming=_incoming_subquery())
        .order_by("id")
    )


def next_expected_receipts(product_ids: Iterable[int], *, after: date | None = None) -> dict[int, ExpectedReceiptInfo]:
    """The earliest receipt per product expected on or after ``after`` (default today). One query."""
    after = after or timezone.localdate()
    rows = (
        ExpectedReceipt.objects.filter(product_id__in=set(product_ids), expected_date__gte=after)
        .order_by("product_id", "expected_date", "id")
        .distinct("product_id")
        .values_list("product_id", "expected_date", "quantity", "warehouse_id")
    )
    return {pid: ExpectedReceiptInfo(day, qty, wid) for pid, day, qty, wid in rows}


def _incoming_subquery():
    return Coalesce(
        Subquery(
            ExpectedReceipt.objects.filter(product_id=OuterRef("product_id"), warehouse_id=OuterRef("warehouse_id"))
            .values("product_id", "warehouse_id")
            .annotate(total=Sum("quantity"))
            .values("total")[:1]
        ),
        Value(0),
    )


def stock_levels_for_reorder_scan() -> QuerySet[StockLevel]:
    """Levels whose available plus incoming (all expected receipts) is below the reorder point,
    annotated with ``available`` and ``incoming``. One query; iterate with ``.iterator()``."""
    return (
        StockLevel.objects.filter(reorder_point__gt=0)
        .annotate(available_qty=F("on_hand") - F("reserved"), incoming=_incoming_subquery())
        .filter(available_qty__lt=F("reorder_point") - F("incoming"))
        .order_by("id")
    )


def stock_level_get(stock_level_id: int) -> StockLevel:
    level = StockLevel.objects.select_related("product", "warehouse").filter(pk=stock_level_id).first()
    if level is None:
        raise NotFound("No such stock level.")
    return level


# --- the stock overview screen ------------------------------------------------------------------

STATUS_FILTERS = {
    "low": Q(available_qty__lt=F("reorder_point")),
    "out": Q(available_qty__lte=0),
    "reserved": Q(reserved__gt=0),
}
SORTS = {
    "sku": ("usku", "warehouse__priority"),
    "name": ("product__name", "usku", "warehouse__priority"),
    "on_hand": ("on_hand", "id"),
    "reserved": ("reserved", "id"),
    "available": ("available_qty", "id"),
}


def stock_overview(*, q: str = "", warehouse_id: int | None = None, status: str = "", sort: str = "sku") -> QuerySet:
    """Stock levels (product x warehouse) for the overview screen, filtered and sorted; the
    caller slices a page. Rows carry ``available_qty`` and their product and warehouse."""
    qs = StockLevel.objects.select_related("product", "warehouse").annotate(available_qty=F("on_hand") - F("reserved"))
    if q and q.strip():
        qs = qs.filter(product__in=_matching_product_ids(q))
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    if status in STATUS_FILTERS:
        qs = qs.filter(STATUS_FILTERS[status])
    descending = sort.startswith("-")
    fields = SORTS.get(sort.lstrip("-"), SORTS["sku"])
    if "usku" in fields:
        # An alias only: ordered by, never computed for every row. The numeric sorts go without
        # it, so that their id query (see stock_levels_in_order) sorts stock levels alone.
        qs = qs.alias(usku=Collate(Upper("product__sku"), "C"))
    return qs.order_by(*[f"-{f}" if descending else f for f in fields])


def stock_levels_in_order(ids: list[int]) -> list[StockLevel]:
    """The levels with these ids, in this order, with product and warehouse. One query.

    The overview pages over bare ids first (``stock_overview(...).values_list("id")``): sorting
    and paging stock levels alone, without their joins, keeps a sort by on-hand over every
    level fast (bench/stock_screen.py; figures in docs/ARCHITECTURE.md)."""
    levels = StockLevel.objects.select_related("product", "warehouse").annotate(
        available_qty=F("on_hand") - F("reserved")
    )
    by_id = {level.pk: level for level in levels.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def incoming_for_levels(levels: Iterable[StockLevel]) -> dict[tuple[int, int], tuple[int, date]]:
    """Per (product, warehouse) of the given levels: total expected quantity and the earliest
    date. One query."""
    levels = list(levels)
    if not levels:
        return {}
    product_ids = {level.product_id for level in levels}
    rows = (
        ExpectedReceipt.objects.filter(product_id__in=product_ids, expected_date__gte=timezone.localdate())
        .values("product_id", "warehouse_id")
        .annotate(total=Sum("quantity"), first=Min("expected_date"))
        .values_list("product_id", "warehouse_id", "total", "first")
    )
    return {(p, w): (total, first) for p, w, total, first in rows}


# --- the product page ---------------------------------------------------------------------------


def product_stock_levels(product: Product) -> list[StockLevel]:
    return list(
        StockLevel.objects.filter(product=product)
        .select_related("warehouse")
        .order_by("warehouse__priority", "warehouse__code")
    )


def product_expected_receipts(product: Product) -> list[ExpectedReceipt]:
    return list(
        ExpectedReceipt.objects.filter(product=product, expected_date__gte=timezone.localdate())
        .select_related("warehouse")
        .order_by("expected_date", "id")
    )


def product_movements(product: Product, *, warehouse_id: int | None = None) -> QuerySet[StockMovement]:
    qs = StockMovement.objects.filter(product=product).select_related("warehouse", "user").order_by("-id")
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    return qs


# --- imports ------------------------------------------------------------------------------------


def import_jobs_recent(limit: int = 10) -> list[ImportJob]:
    return list(ImportJob.objects.defer("rows").select_related("created_by").order_by("-id")[:limit])


def import_job_get(job_id: int) -> ImportJob:
    job = ImportJob.objects.defer("rows").filter(pk=job_id).first()
    if job is None:
        raise NotFound("No such import.")
    return job


# --- availability and the promised delivery date ----------------------------------------------

logger = logging.getLogger(__name__)


def product_availability(product: Product, *, now: datetime | None = None) -> dict:
    """Available-to-promise of one product: the total, per active warehouse, and the date it
    would be delivered if ordered now. Three queries (plus the delivery-quote backend)."""
    levels = stock_by_product([product.pk]).get(product.pk, [])
    return {
        "available": sum(level.available for level in levels),
        "warehouses": levels,
        "promised_delivery_date": promised_delivery_date(product, levels, now=now),
    }


def promised_delivery_date(product: Product, levels: list[WarehouseStock], *, now: datetime | None = None):
    """Ask the delivery-quote backend (``oms.delivery``; shipping's, loaded by name so inventory
    never imports shipping) when one unit would arrive if ordered now; when the backend cannot
    be loaded or fails, estimate: ship today before the cut-off of the first warehouse with
    stock (else the next working day), or on the next expected receipt; delivery one working
    day later."""
    request = QuoteRequest(
        lines=(QuoteLine(product_id=product.pk, quantity=1, weight_grams=product.weight_grams),), now=now
    )
    try:
        return quote_delivery(request).delivery_date
    except ImportError:
        pass
    except Exception:  # a quote is a nicety here: never let it break availability
        logger.warning("delivery quote backend failed; using the inventory estimate", exc_info=True)
    return _estimate_delivery(product, levels, now or timezone.localtime())


def _estimate_delivery(product: Product, levels: list[WarehouseStock], now: datetime) -> date | None:
    in_stock = [level for level in levels if level.available > 0]
    if in_stock:
        warehouse = Warehouse.objects.filter(pk=in_stock[0].warehouse_id).first()
        cutoff = warehouse.effective_cutoff if warehouse else settings.OMS_DEFAULT_CUTOFF
        today = now.date()
        ship = today if _is_working_day(today) and now.time() < cutoff else _next_working_day(today)
        return _next_working_day(ship)
    receipt = next_expected_receipts([product.pk], after=now.date()).get(product.pk)
    if receipt is None:
        return None
    ship = receipt.expected_date if _is_working_day(receipt.expected_date) else _next_working_day(receipt.expected_date)
    return _next_working_day(ship)


def _is_working_day(day: date) -> bool:
    return day.weekday() < 5


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not _is_working_day(day):
        day += timedelta(days=1)
    return day


def stock_movements_since(*, updated_since: datetime | None = None) -> QuerySet[StockMovement]:
    """Stock movements (append-only, so "changed since" is "made since") with product and
    warehouse, for the API's cursor-paginated list (one query a page)."""
    movements = StockMovement.objects.select_related("product", "warehouse")
    if updated_since is not None:
        movements = movements.filter(created_at__gte=updated_since)
    return movements
