"""The delivery-quote backend (``settings.OMS_DELIVERY_QUOTE_BACKEND``, see ``oms.delivery``).

``quote_delivery`` loads a ``PromiseData`` snapshot in a fixed number of queries and hands it to
the pure planner ``shipping.promise.build_quote``, which holds every rule:

- per order: stock of the products that are not yet allocated (1 query, skipped when every line
  carries its allocations), the next expected receipts (1, only when something is short),
  product weights (1, only when a line comes without a weight);
- reference data, the same for every order: warehouses, this zone's services and rates, its
  free-shipping threshold, holidays. Each process keeps them (``oms.reference_cache``) and reads
  them again (5 queries) only after one of their tables changed; what it costs per quote is
  reading the tables' stamps (1 query; none in order placement, whose products' read carries
  them, ``oms.reference_cache.stamps_read_once``).

The cache holds table rows, not quotes: every rule is applied to them anew on each quote.
Reads only; it locks nothing and publishes nothing. Raises what ``build_quote`` raises.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from types import MappingProxyType

from django.conf import settings

from inventory import models as inventory_models
from inventory import selectors as inventory_selectors
from oms.delivery import DeliveryQuote, QuoteLine, QuoteRequest
from oms.reference_cache import ReferenceCache, stamps_read_once
from shipping import selectors
from shipping.models import Carrier, FreeShipping, Holiday, PostcodeRange, Rate, ServiceLevel
from shipping.promise import PromiseData, Receipt, WarehouseInfo, build_options, build_quote, local_now
from shipping.zones import zone_for

OVERDUE_RECEIPT_GRACE = timedelta(days=14)
# Every table a quote's reference data comes from: a change to any of them renews all of it.
CARRIER_TABLES = ReferenceCache(Carrier, ServiceLevel, Rate, PostcodeRange, FreeShipping, Holiday)
WAREHOUSE_TABLE = ReferenceCache(inventory_models.Warehouse)


def quote_delivery(request: QuoteRequest) -> DeliveryQuote:
    with stamps_read_once():
        return build_quote(request, promise_data_load(request))


def delivery_options(request: QuoteRequest) -> tuple[DeliveryQuote, ...]:
    """One quote per service that can deliver ``request``, cheapest first: one snapshot read
    (reference data from the cache), every option computed from it."""
    with stamps_read_once():
        return build_options(request, promise_data_load(request))


def quote_delivery_many(requests: Sequence[QuoteRequest]) -> list[DeliveryQuote]:
    """Quotes for several orders (re-promising the orders waiting for a receipt that moved,
    ``orders.services.promises``): stock, receipts and weights are read once for all of them,
    so the number of queries does not grow with the number of orders. Each order is quoted as
    ``quote_delivery`` would quote it alone (it sees all the stock and all of a receipt)."""
    if not requests:
        return []
    with stamps_read_once():
        lines = [line for request in requests for line in request.lines if line.quantity > 0]
        stock = _stock(lines)
        preferences = {_preference(request, _warehouses()) for request in requests}
        short = {product for preference in preferences for product in _short_products(lines, stock, preference)}
        receipts = _receipts(sorted(short), today=local_now(requests[0]).date())
        weights = _weights([line.product_id for line in lines if not line.weight_grams])
        return [
            build_quote(request, promise_data_load(request, preloaded=(stock, receipts, weights)))
            for request in requests
        ]


def _preference(request: QuoteRequest, warehouses) -> tuple[int, ...]:
    return tuple(request.warehouse_ids) if request.warehouse_ids is not None else tuple(warehouses)


def promise_data_load(request: QuoteRequest, *, preloaded: tuple | None = None) -> PromiseData:
    """Everything ``build_quote`` needs for ``request``, read from inventory and shipping
    (``preloaded``: the stock, receipts and weights already read for a batch of requests)."""
    today = local_now(request).date()
    default_country = getattr(settings, "OMS_HOME_COUNTRY", "NL")
    destination = (request.country or default_country).upper()
    warehouses = _warehouses()
    preference = _preference(request, warehouses)
    lines = [line for line in request.lines if line.quantity > 0]
    if preloaded is None:
        stock = _stock(lines)
        receipts = _receipts(_short_products(lines, stock, preference), today=today)
        weights = _weights([line.product_id for line in lines if not line.weight_grams])
    else:
        stock, receipts, weights = preloaded
    zone = zone_for(destination)
    countries = {destination, default_country} | {w.country for w in warehouses.values()}
    return PromiseData(
        warehouses=warehouses,
        preference=preference,
        services=_services(zone),
        stock=stock,
        receipts=receipts,
        holidays=_closed_days(tuple(sorted(countries)), today),
        free_shipping_above=_free_shipping_thresholds(zone),
        weights=weights,
        handling_days=getattr(settings, "OMS_RECEIPT_HANDLING_DAYS", 1),
        unknown_lead_days=getattr(settings, "OMS_UNKNOWN_LEAD_DAYS", 10),
        default_country=default_country,
        default_cutoff=settings.OMS_DEFAULT_CUTOFF,
    )


# --- reference data, cached per process (returned read-only: every quote shares them) -----------


@WAREHOUSE_TABLE.memoize
def _warehouses() -> MappingProxyType:
    """Active warehouses in preference order (inventory orders them by priority)."""
    return MappingProxyType(
        {
            w.pk: WarehouseInfo(w.pk, w.code, w.country.upper(), w.cutoff_time or settings.OMS_DEFAULT_CUTOFF)
            for w in inventory_selectors.warehouses_active()
        }
    )


@CARRIER_TABLES.memoize
def _services(zone: str) -> tuple:
    return tuple(selectors.promise_services(zone))


@CARRIER_TABLES.memoize
def _free_shipping_thresholds(zone: str) -> MappingProxyType:
    return MappingProxyType(selectors.free_shipping_thresholds(zone))


@CARRIER_TABLES.memoize
def _closed_days(countries: tuple[str, ...], since: date) -> MappingProxyType:
    return MappingProxyType(selectors.closed_days(countries, since=since))


# --- per order ----------------------------------------------------------------------------------


def _stock(lines: Sequence[QuoteLine]) -> dict[int, dict[int, int]]:
    """Available units per product and warehouse, for the lines that still need planning."""
    product_ids = sorted({line.product_id for line in lines if line.allocations is None})
    if not product_ids:
        return {}
    found = inventory_selectors.stock_by_product(product_ids)
    return {
        product: {level.warehouse_id: max(level.available, 0) for level in levels} for product, levels in found.items()
    }


def _short_products(lines: Sequence[QuoteLine], stock: dict[int, dict[int, int]], preference: tuple) -> list[int]:
    """Products of which some unit will be backordered: an allocated line that is not fully
    allocated, or more wanted by the lines to plan than the chosen warehouses have."""
    short: set[int] = set()
    to_plan: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.allocations is None:
            to_plan[line.product_id] += line.quantity
        elif line.quantity > sum(quantity for _, quantity in line.allocations):
            short.add(line.product_id)
    for product, quantity in to_plan.items():
        if quantity > sum(stock.get(product, {}).get(warehouse, 0) for warehouse in preference):
            short.add(product)
    return sorted(short)


def _receipts(product_ids: list[int], *, today: date) -> dict[int, Receipt]:
    """The next receipt per product. One a few days overdue is still coming (the truck is late, or
    the receipt not yet booked), so it counts, as arriving today; older ones are taken as stale."""
    if not product_ids:
        return {}
    found = inventory_selectors.next_expected_receipts(product_ids, after=today - OVERDUE_RECEIPT_GRACE)
    return {
        product: Receipt(info.expected_date, info.quantity, info.warehouse_id)
        for product, info in found.items()
        if info is not None
    }


def _weights(product_ids: list[int]) -> dict[int, int]:
    if not product_ids:
        return {}
    return inventory_selectors.product_weights(product_ids)
