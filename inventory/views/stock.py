"""The stock overview: every stock level, searchable as you type, filtered, sorted, paginated
without counting the table, refreshed every 30 s, exportable as CSV."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from inventory import selectors
from inventory.forms import StockFilterForm
from inventory.models import StockLevel
from oms.exports import csv_lines
from oms.htmx import is_partial
from oms.pagination import paginate
from oms.roles import Role, has_role, role_required

READ_ROLES = (Role.WAREHOUSE, Role.PURCHASING, Role.CUSTOMER_SERVICE)
PER_PAGE = 50


@dataclass
class StockRow:
    level: StockLevel
    incoming: int
    incoming_date: object

    @property
    def css(self) -> str:
        if self.level.available_qty <= 0:
            return "row-empty"
        return "row-low" if self.level.available_qty < self.level.reorder_point else ""


@require_GET
@role_required(*READ_ROLES)
@vary_on_headers("HX-Request")
def stock_overview(request):
    warehouses = selectors.warehouses_all()
    form = StockFilterForm(request.GET or None, warehouses=warehouses)
    filters = form.filters()
    ids = selectors.stock_overview(**filters).values_list("id", flat=True)
    page = paginate(ids, request.GET, per_page=PER_PAGE, hx_target="#stock-table")
    levels = selectors.stock_levels_in_order(page.rows)
    incoming = selectors.incoming_for_levels(levels)
    page.rows = [StockRow(lv, *incoming.get((lv.product_id, lv.warehouse_id), (0, None))) for lv in levels]
    context = {
        "form": form,
        "page": page,
        "sort": filters["sort"],
        "query": _query_without(request.GET, "page"),
        "columns": _columns(filters["sort"], _query_without(request.GET, "page", "sort")),
        "can_edit": has_role(request.user, Role.WAREHOUSE),
        "refreshed_at": timezone.localtime(),
        "partial": is_partial(request),
    }
    template = "inventory/stock_overview.html"
    return render(request, f"{template}#stock-table" if context["partial"] else template, context)


COLUMNS = [
    ("sku", _("SKU"), False),
    ("name", _("Name"), False),
    ("", _("Warehouse"), False),
    ("on_hand", _("On hand"), True),
    ("reserved", _("Reserved"), True),
    ("available", _("Available"), True),
]


def _columns(sort: str, base_query: str) -> list[dict]:
    """Sortable column headers: a click sorts by the column, a second click reverses it."""
    columns = []
    for key, label, numeric in COLUMNS:
        if not key:  # not sortable: filter by warehouse instead
            columns.append({"label": label, "query": "", "arrow": "", "numeric": numeric, "current": False})
            continue
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        target = f"-{key}" if current and not descending else key
        arrow = ("▼" if descending else "▲") if current else ""
        query = f"{base_query}&sort={target}" if base_query else f"sort={target}"
        columns.append({"label": label, "query": query, "arrow": arrow, "numeric": numeric, "current": current})
    return columns


def _query_without(params, *names: str) -> str:
    query = params.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@require_GET
@role_required(*READ_ROLES)
def stock_export(request):
    """The rows of the current view (all pages) as CSV, streamed so a big export never sits in
    memory."""
    form = StockFilterForm(request.GET or None, warehouses=selectors.warehouses_all())
    levels = selectors.stock_overview(**form.filters())
    header = ["sku", "name", "warehouse", "on_hand", "reserved", "available", "reorder_point", "reorder_quantity"]

    def rows():
        yield header
        for lv in levels.iterator(chunk_size=2000):
            yield (
                [
                    lv.product.sku,
                    lv.product.name,
                    lv.warehouse.code,
                    lv.on_hand,
                    lv.reserved,
                    lv.available_qty,
                    lv.reorder_point,
                    lv.reorder_quantity,
                ]
            )

    response = StreamingHttpResponse(csv_lines(rows()), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="stock-{stamp}.csv"'
    return response
