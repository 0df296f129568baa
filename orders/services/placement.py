"""Placing an order from any channel (``order_place``); the shared core ``place`` also places
drafts entered on the phone screen (``orders.services.drafts.order_draft_place``).

The order of work keeps the number of queries constant in the number of lines and holds the
stock rows for as short a time as possible (performance-anchors.md §0, §2):

1. reads: the products (one query), the customer, its default addresses (one query);
2. checks that need no stock: credit hold and on-account terms; an on-account order locks the
   customer row, so two orders cannot both slip under the credit limit;
3. stock taken in one pass, late: ``inventory.services.stock_reserve`` (two statements);
4. the delivery quote for the allocations, the totals, the credit limit;
5. writes: the order (its number is the column's database default), lines and allocations in
   one bulk insert each, one timeline row, ``order.placed`` and the status event.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from customers import selectors as customers_selectors
from customers import services as customers_services
from customers.models import Customer, PaymentMethod
from customers.services.customers import lock_customer
from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from inventory.models import Product
from oms.delivery import CHOICE_ERRORS, DeliveryQuote, QuoteLine, QuoteRequest, split_shipping_method
from oms.errors import Conflict, MultipleErrors, NotFound, OmsError, ValidationFailed
from oms.i18n import english, part, part_n
from oms.money import ZERO, vat_rates_on
from oms.oss import oss_rates_on
from oms.quantities import whole_quantity
from oms.reference_cache import stamps_read_once
from oms.sql import cache_related, execute_prepared, new_instance
from orders import pricing, selectors
from orders.event_names import ORDER_PLACED, STATUS_EVENTS
from orders.models import (
    Allocation,
    AllocationStatus,
    BackorderPolicy,
    Channel,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderStatus,
    VatRegime,
)
from orders.quotes import delivery_quote
from orders.services._common import (
    MAX_LINES,
    Collector,
    acting_user,
    clean_amount,
    clean_choice,
    clean_discount,
    clean_text,
    event_text,
    money,
    publish_all,
    require,
    timeline,
)
from orders.services._writer import insert_new_order

EXTERNAL_REFERENCE_CONSTRAINT = "order_external_reference_once_per_channel"
# Room left below the money columns' 10 integer digits for shipping and VAT on top.
MAX_ORDER_AMOUNT = Decimal("999999999.99")
ADDRESS_KEYS = ("street", "house_number", "house_number_addition", "postal_code", "city", "country")


@dataclass
class LineInput:
    """One requested line, checked for shape (not yet against the catalogue)."""

    index: int
    quantity: int
    sku: str = ""
    product_id: int | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal = ZERO
    product: Product | None = None
    prefix: str = "lines"
    price_reason: str = ""  # staff paths only (``line_prices``); an API client's lines have none

    @property
    def field(self) -> str:
        return f"{self.prefix}.{self.index}." + ("sku" if self.product_id is None else "product_id")


@dataclass
class Head:
    channel: str
    payment_method: str | None
    policy: str
    external_reference: str | None
    notes: str
    ship_complete: bool
    shipping_method: tuple[str, str] | None = None  # (carrier code, service code) the customer chose
    pickup_point: dict | None = None


def order_place(
    *,
    channel: str,
    lines: Sequence[Mapping],
    user,
    customer: Customer | None = None,
    customer_ref: Mapping | None = None,
    shipping_address: Mapping | None = None,
    billing_address: Mapping | None = None,
    payment_method: str | None = None,
    backorder_policy: str = BackorderPolicy.ALLOW,
    external_reference: str = "",
    notes: str = "",
    ship_complete: bool = False,
    shipping_method: str = "",
    pickup_point: Mapping | None = None,
    now: datetime | None = None,
    before_commit: Callable[[Order], None] | None = None,
) -> Order:
    """Place an order from any channel; returns it in status ``allocated`` or ``backordered``
    with its lines and their allocations loaded (``order.lines.all()`` costs no query).

    ``customer`` is a Customer (its credit hold is read from the instance given, unless the
    order is on account, which re-reads it under a lock), or ``customer_ref`` is ``{"number": ...}`` or
    ``{"email", "name", "phone"}`` (found by e-mail or created as a B2C customer). ``lines`` are
    ``{"sku" or "product_id", "quantity", "unit_price"?, "discount_percent"?}``; addresses are
    dicts (None: the customer's defaults); ``payment_method`` None: the customer's preference.
    With ``backorder_policy`` ``allow`` what is short is backordered; with ``reject`` nothing is
    placed unless every line can be reserved in full. ``before_commit(order)`` runs inside the
    transaction once the order is written (the API stores its idempotent answer there).
    ``shipping_method`` (``"<carrier>:<service>"``, as ``delivery_options`` offers it): the order
    is charged that service's price and promised its dates; empty: the cheapest service.
    ``pickup_point`` (``{"id", "carrier"?, "name", "street", ...}`` as the pick-up points API
    gives it; needs a ``shipping_method`` that delivers to pick-up points) is kept as a snapshot.

    Durable. Locks the customer row (on-account orders only) and, through ``stock_reserve``, the
    stock levels of the products in id order. Publishes ``order.placed`` and
    ``order.allocated`` or ``order.backordered`` (and inventory's ``stock.low``). Raises
    ``ValidationFailed`` with field paths (``lines.0.sku`` ``unknown_sku``, ``lines.1.quantity``,
    ``shipping_address.postal_code``, ``customer.number`` ``unknown_customer`` ...), ``Conflict``
    ``customer_blocked`` / ``on_account_not_allowed`` / ``credit_limit_exceeded`` /
    ``duplicate_external_reference`` (extra ``number``), ``InsufficientStock`` (reject policy;
    one error per short line, field ``lines.N``, extra ``available``); ``shipping_method``
    ``unknown_shipping_method`` / ``shipping_method_unavailable``, ``pickup_point``
    ``pickup_point_not_offered`` (the service does not deliver to pick-up points) / ``invalid``.
    """
    errors = Collector()
    head = clean_head(
        errors,
        channel=channel,
        payment_method=payment_method,
        backorder_policy=backorder_policy,
        external_reference=external_reference,
        notes=notes,
        ship_complete=ship_complete,
    )
    head.shipping_method, head.pickup_point = clean_delivery_choice(errors, shipping_method, pickup_point)
    line_inputs = clean_lines(lines, errors)
    ref = None if customer is not None else clean_customer_ref(customer_ref, errors)
    errors.raise_if_any()
    now = now or timezone.now()
    try:
        # the delivery quote's reference-data stamps come with the products' read (oms.reference_cache)
        with stamps_read_once(with_first_read=True), transaction.atomic(durable=True):
            order = _place_new(head, line_inputs, customer, ref, shipping_address, billing_address, user, now)
            if before_commit is not None:
                before_commit(order)
            return order
    except IntegrityError as exc:
        conflict = duplicate_reference_error(exc, head.channel, head.external_reference)
        if conflict is None:
            raise
        raise conflict from exc


def _place_new(head: Head, line_inputs, customer, ref, shipping_address, billing_address, user, now) -> Order:
    errors = Collector()
    products = resolve_products(line_inputs, errors)
    errors.raise_if_any()
    customer = customer or resolve_customer(ref, user)
    ship, bill = order_addresses(customer, shipping_address, billing_address, head.channel, errors)
    errors.raise_if_any()
    order = Order(
        channel=head.channel,
        customer=customer,
        status=OrderStatus.DRAFT,
        payment_method=head.payment_method or customer.preferred_payment_method,
        shipping_address=ship,
        billing_address=bill,
        ship_complete=head.ship_complete,
        external_reference=head.external_reference,
        notes=head.notes,
        entered_by=acting_user(user),
        created_at=now,
        prices_include_vat=pricing.prices_include_vat(is_b2b=customer.is_b2b, channel=head.channel),
    )
    if head.shipping_method:
        choose_delivery(order, head.shipping_method, head.pickup_point)
    today = timezone.localdate()  # the shelf prices' VAT date, once for all lines
    lines = [new_line(order, n, item, item.product, today) for n, item in enumerate(line_inputs, start=1)]
    return place(order, lines, products, policy=head.policy, user=user, now=now, is_new=True)


# --- input ------------------------------------------------------------------------------------------


def clean_head(errors: Collector, **values) -> Head:
    def attempt(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            errors.add(exc)
            return None

    method, ship_complete = values["payment_method"], values["ship_complete"]
    if not isinstance(ship_complete, bool):
        errors.fail("ship_complete", "ship_complete must be true or false.")
    if method not in (None, ""):
        method = attempt(clean_choice, method, PaymentMethod, "payment_method", "Payment method")
    reference = attempt(
        clean_text, values["external_reference"], "external_reference", max_length=100, label="External reference"
    )
    return Head(
        channel=attempt(clean_choice, values["channel"], Channel, "channel", "Channel"),
        payment_method=method or None,
        policy=attempt(
            clean_choice, values["backorder_policy"], BackorderPolicy, "backorder_policy", "Backorder policy"
        ),
        external_reference=reference or None,
        notes=attempt(clean_text, values["notes"], "notes", max_length=5000, label="Notes") or "",
        ship_complete=bool(ship_complete),
    )


PICKUP_POINT_LIMITS = {
    "id": 64,
    "carrier": 64,
    "name": 200,
    "street": 200,
    "house_number": 20,
    "postal_code": 12,
    "city": 100,
    "country": 2,
}


def clean_delivery_choice(
    errors: Collector, shipping_method, pickup_point
) -> tuple[tuple[str, str] | None, dict | None]:
    """The chosen service as (carrier code, service code) and the pick-up point's snapshot
    (only the keys above, as text); whether the service exists and delivers is the quote's
    question."""
    method = None
    if shipping_method not in (None, ""):
        carrier, service = split_shipping_method(shipping_method) if isinstance(shipping_method, str) else ("", "")
        if not carrier or len(carrier) > 30 or len(service) > 30:
            errors.fail(
                "shipping_method",
                'A shipping method is "<carrier>:<service>" as the delivery options give it, e.g. "postnl:standard".',
            )
        else:
            method = (carrier, service)
    if pickup_point in (None, {}):
        return method, None
    if not isinstance(pickup_point, Mapping):
        errors.fail("pickup_point", "A pick-up point is an object with its id, name and address.")
        return method, None
    point = {}
    for key, limit in PICKUP_POINT_LIMITS.items():
        value = pickup_point.get(key, "")
        if isinstance(value, int) and not isinstance(value, bool) and key == "id":
            value = str(value)
        if not isinstance(value, str) or len(value.strip()) > limit:
            errors.fail(f"pickup_point.{key}", f"Give the pick-up point's {key} as text of at most {limit} characters.")
            continue
        point[key] = value.strip()
    if "id" in point and not point["id"]:
        errors.fail("pickup_point.id", "Give the pick-up point's id (from the pick-up points).", "required")
    if point and method is None and shipping_method in (None, ""):
        errors.fail("shipping_method", "Choose the service that delivers to the pick-up point.", "required")
    return method, point


def choose_delivery(order: Order, method: tuple[str, str] | None, pickup_point: dict | None) -> None:
    """Put the customer's choice on the order (in memory); the quote checks and prices it."""
    if method is None:
        order.shipping_method_chosen, order.pickup_point = False, {}
        return
    order.carrier_code, order.service_code = method
    order.shipping_method_chosen = True
    order.pickup_point = pickup_point or {}


def clean_lines(lines, errors: Collector, field: str = "lines") -> list[LineInput]:
    if not isinstance(lines, (list, tuple)):
        errors.fail(field, "Lines must be a list.", "invalid")
        return []
    if not lines:
        errors.fail(field, "An order needs at least one line.", "required")
        return []
    if len(lines) > MAX_LINES:
        errors.fail(field, f"An order has at most {MAX_LINES} lines.", "too_many_lines")
        return []
    cleaned = [clean_line(raw, index, errors, field) for index, raw in enumerate(lines)]
    return [line for line in cleaned if line is not None]


def clean_line(raw, index: int, errors: Collector, prefix: str = "lines") -> LineInput | None:
    path = f"{prefix}.{index}"
    if not isinstance(raw, Mapping):
        errors.fail(path, "Each line must be an object.", "invalid")
        return None
    found = len(errors.errors)
    product_id, sku = raw.get("product_id"), raw.get("sku")
    if product_id is not None:
        if isinstance(product_id, bool) or not isinstance(product_id, int) or product_id <= 0:
            errors.fail(f"{path}.product_id", "product_id must be a positive whole number.")
    elif not isinstance(sku, str) or not sku.strip() or len(sku.strip()) > 64:
        code = "required" if sku in (None, "") else "invalid"
        errors.fail(f"{path}.sku", "Give the SKU of the product (at most 64 characters).", code)
    line = LineInput(
        index=index, quantity=0, sku=sku.strip() if isinstance(sku, str) else "", product_id=product_id, prefix=prefix
    )
    for name, cleaner in (
        ("quantity", whole_quantity),
        ("unit_price", clean_amount),
        ("discount_percent", clean_discount),
    ):
        value = raw.get(name)
        if name == "unit_price" and value is None:
            continue
        try:
            setattr(line, name, cleaner(value, f"{path}.{name}"))
        except ValidationFailed as exc:
            errors.add(exc)
    if "reason" in raw:  # why the line has its own price terms (``line_prices``)
        line.price_reason = errors.attempt(clean_text, raw["reason"], f"{path}.reason", max_length=200, label="Reason")
    return line if len(errors.errors) == found else None


def clean_customer_ref(ref, errors: Collector) -> dict | None:
    if not isinstance(ref, Mapping):
        errors.fail("customer", 'Say who orders: {"number": ...} or {"email": ..., "name": ...}.', "required")
        return None
    number = ref.get("number")
    if number not in (None, ""):
        if not isinstance(number, str) or len(number) > 20:
            errors.fail("customer.number", "A customer number is text, e.g. C-000123.")
            return None
        return {"number": number.strip().upper()}
    values = {}
    for key, limit in (("email", 254), ("name", 200), ("phone", 40)):
        try:
            values[key] = clean_text(ref.get(key), f"customer.{key}", max_length=limit, label=key.capitalize())
        except ValidationFailed as exc:
            errors.add(exc)
    if "email" in values and not values["email"]:
        errors.fail("customer.email", "Give the customer's number, or an e-mail address.", "required")
    return values


def resolve_products(line_inputs: list[LineInput], errors: Collector) -> dict[int, Product]:
    """Attach each line's product (one query per kind of reference used: SKU, product id)."""
    skus = [line.sku for line in line_inputs if line.product_id is None]
    ids = [line.product_id for line in line_inputs if line.product_id is not None]
    by_sku = inventory_selectors.products_by_skus(skus) if skus else {}
    by_id = inventory_selectors.products_by_ids(ids) if ids else {}
    for line in line_inputs:
        product = by_sku.get(line.sku) if line.product_id is None else by_id.get(line.product_id)
        if product is None:
            what = f"SKU '{line.sku}'" if line.product_id is None else f"id {line.product_id}"
            code = "unknown_sku" if line.product_id is None else "unknown_product"
            errors.fail(line.field, f"No product with {what}.", code)
        elif not product.active:
            errors.fail(line.field, f"{product.sku} is no longer sold.", "inactive_product")
        line.product = product
    return {line.product.pk: line.product for line in line_inputs if line.product is not None}


def resolve_customer(ref: dict, user) -> Customer:
    if "number" in ref:
        try:
            return customers_selectors.customer_with_addresses_by_number(ref["number"])
        except NotFound:
            raise ValidationFailed(
                f"No customer with number '{ref['number']}'.", code="unknown_customer", field="customer.number"
            ) from None
    try:
        customer, _ = customers_services.customer_find_or_create_b2c(
            email=ref["email"], name=ref["name"], phone=ref["phone"], user=user
        )
    except MultipleErrors as exc:
        for error in exc.errors:
            error.field = f"customer.{error.field}" if error.field else "customer"
        raise
    except ValidationFailed as exc:
        exc.field = f"customer.{exc.field}" if exc.field else "customer"
        raise
    return customer


def clean_address(value, prefix: str, errors: Collector) -> dict | None:
    if not isinstance(value, Mapping):
        errors.fail(prefix, "An address is an object with street, house_number, postal_code, city, country.")
        return None
    try:
        return customers_services.address_clean(
            street=value.get("street"),
            house_number=value.get("house_number"),
            house_number_addition=value.get("house_number_addition") or "",
            postal_code=value.get("postal_code"),
            city=value.get("city"),
            country=value.get("country") or "NL",
            field_prefix=f"{prefix}.",
        )
    except MultipleErrors as exc:
        errors.errors.extend(exc.errors)
    except ValidationFailed as exc:
        errors.add(exc)
    return None


def order_addresses(customer: Customer, shipping, billing, channel: str, errors: Collector) -> tuple[dict, dict]:
    """The address snapshots: the ones given, else the customer's defaults (one query)."""
    ship = clean_address(shipping, "shipping_address", errors) if shipping is not None else None
    bill = clean_address(billing, "billing_address", errors) if billing is not None else None
    if (shipping is None or billing is None) and customer.pk:
        defaults = {a.kind: a.as_snapshot() for a in customers_selectors.addresses_of(customer) if a.is_default}
        ship = ship if shipping is not None else defaults.get("shipping") or defaults.get("billing")
        bill = bill if billing is not None else defaults.get("billing") or ship
    if not ship and shipping is None and channel != Channel.STORE:
        errors.fail("shipping_address", f"Customer {customer.number} has no address; give one.", "address_required")
    return ship or {}, bill or ship or {}


def catalogue_price(order: Order, product: Product, today: date | None = None) -> Decimal:
    """The product's price in the order's basis: the shelf price incl. VAT for a consumer
    order, the list price excl. VAT for a business order (``orders.pricing``). ``today``: the
    local date, when the caller has it already."""
    return inventory_selectors.consumer_price(product, today) if order.prices_include_vat else product.list_price


def new_line(order: Order, line_no: int, item: LineInput, product: Product, today: date | None = None) -> OrderLine:
    unit_price = catalogue_price(order, product, today) if item.unit_price is None else item.unit_price
    values = {
        "id": None,
        "order_id": order.pk,
        "line_no": line_no,
        "product_id": product.pk,
        "sku": product.sku,
        "name": product.name[:200],
        "vat_category": product.vat_category,
        "vat_rate": ZERO,
        "unit_price": unit_price,
        "discount_percent": item.discount_percent,
        "quantity": item.quantity,
        "quantity_allocated": 0,
        "quantity_backordered": item.quantity,
        "quantity_shipped": 0,
        "quantity_returned": 0,
        "line_total": pricing.line_total(item.quantity, unit_price, item.discount_percent),
        "is_cancelled": False,
        "price_reason": item.price_reason,
        "promised_delivery_date": None,  # the quote's, once it is known (``apply_totals``)
    }
    return new_instance(OrderLine, values, {"order": order, "product": product})  # ten per order: hot


def duplicate_reference_error(exc: IntegrityError, channel: str, reference: str | None) -> Conflict | None:
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
    if constraint != EXTERNAL_REFERENCE_CONSTRAINT or not reference:
        return None
    number = selectors.order_number_by_external_reference(channel, reference) or ""
    return Conflict(
        f"Order {number} already has external reference '{reference}' on channel {channel}.",
        code="duplicate_external_reference",
        field="external_reference",
        number=number,
    )


# --- the shared core ---------------------------------------------------------------------------------


def place(order: Order, lines: list[OrderLine], products, *, policy: str, user, now: datetime, is_new: bool) -> Order:
    """Price, check credit, reserve, quote, total and write an order that is a draft in memory
    (``is_new``) or in the database; see the module docstring for the order of work."""
    rates = price_lines(order, lines, now)
    exposure = check_customer(order)
    reservations = inventory_services.stock_reserve(
        lines=[inventory_services.ReserveLine(line.product_id, line.quantity) for line in lines],
        partial=policy == BackorderPolicy.ALLOW,
    )
    by_line = apply_reservations(lines, reservations)
    quote = quote_for(order, lines, products, by_line, now, keep_choice=True)
    apply_totals(order, lines, quote, rates)
    check_pickup_point(order, quote)
    check_credit_limit(order, exposure)
    target = stock_status(lines)
    require(order, target)
    order.status, order.placed_at, order.updated_at = target, now, now
    # a new order's events are written with it, in one statement (order intake is a hot path:
    # bench/order_intake.py); a draft's in one of their own
    _write(order, lines, reservations, is_new, user, now, events=[ORDER_PLACED, STATUS_EVENTS[target]])
    return order


def price_lines(order: Order, lines: list[OrderLine], now: datetime) -> dict[str, Decimal]:
    """Set the supply date, VAT regime, each line's VAT rate and total; returns the rates."""
    order.supply_date = timezone.localdate(now)
    customer = order.customer
    order.vat_regime = pricing.vat_regime(
        is_b2b=customer.is_b2b,
        vat_id=customer.vat_id,
        ship_country=order.shipping_address.get("country", "NL"),
        oss=settings.OMS_OSS_ABOVE_THRESHOLD,
    )
    rates = supply_rates(order, order.supply_date)
    for line in lines:
        line.vat_rate = pricing.rate_for(line.vat_category, rates, order.vat_regime)
        line.line_total = pricing.line_total(line.quantity, line.unit_price, line.discount_percent)
    check_amounts(lines)
    return rates


def supply_rates(order: Order, day) -> dict[str, Decimal]:
    """The VAT rate per category that applies to ``order`` on ``day``: Dutch, or under the OSS
    regime the destination country's (``oms.oss``). A destination the OSS table does not know
    is a 400 on the address, never Dutch VAT charged by mistake."""
    if order.vat_regime != VatRegime.OSS:
        return vat_rates_on(day)
    country = (order.shipping_address or {}).get("country", "")
    try:
        return oss_rates_on(country, day)
    except LookupError:
        raise ValidationFailed(
            f"No VAT rates for consumers in {country} are configured (EU One Stop Shop).",
            code="no_oss_rates",
            field="shipping_address.country",
        ) from None


def check_amounts(lines: list[OrderLine]) -> None:
    """Amounts the money columns can hold (12 digits): a bigger order is a typing error, and it
    must be a 400, not a database error."""
    errors = Collector()
    for index, line in enumerate(lines):
        if line.line_total > MAX_ORDER_AMOUNT:
            message = "This line comes to more than an order can hold."
            errors.fail(f"lines.{index}.quantity", message, "amount_too_large")
    if not errors.errors and sum(line.line_total for line in lines) > MAX_ORDER_AMOUNT:
        errors.fail("lines", "These lines come to more than an order can hold.", "amount_too_large")
    errors.raise_if_any()


def check_customer(order: Order) -> Decimal | None:
    """Credit hold and on-account terms. For an on-account order, lock the customer row and
    return what the customer owes on other open on-account orders (else None)."""
    customer = order.customer
    if order.payment_method == PaymentMethod.ON_ACCOUNT:
        if not (customer.is_b2b and customer.credit_limit > 0):
            raise Conflict(
                "Paying on account is for business customers with credit terms.",
                code="on_account_not_allowed",
                field="payment_method",
            )
        customer = order.customer = lock_customer(customer.pk)
    if customer.credit_hold:
        reason = f": {customer.credit_hold_reason}" if customer.credit_hold_reason else ""
        raise Conflict(
            f"Customer {customer.number} is on credit hold{reason}.", code="customer_blocked", field="customer"
        )
    if order.payment_method != PaymentMethod.ON_ACCOUNT:
        return None
    return selectors.customer_open_on_account_amount(customer.pk, exclude_order_id=order.pk)


def check_credit_limit(order: Order, exposure: Decimal | None) -> None:
    if exposure is None:
        return
    limit = order.customer.credit_limit
    if exposure + order.gross_amount > limit:
        raise Conflict(
            f"This order of {money(order.gross_amount)} would take {order.customer.number} past the credit limit "
            f"of {money(limit)} ({money(exposure)} is still open).",
            code="credit_limit_exceeded",
            field="payment_method",
            credit_limit=str(limit),
            open_amount=str(exposure),
            order_amount=str(order.gross_amount),
        )


def apply_reservations(lines: list[OrderLine], reservations) -> dict[int, tuple[tuple[int, int], ...]]:
    """Set allocated/backordered per line; returns per line index its (warehouse, quantity) parts."""
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for r in reservations:
        parts[r.line_index].append((r.warehouse_id, r.quantity))
    for index, line in enumerate(lines):
        got = sum(quantity for _, quantity in parts.get(index, ()))
        line.quantity_allocated, line.quantity_backordered = got, line.quantity - got
    return {index: tuple(parts.get(index, ())) for index in range(len(lines))}


def quote_for(
    order: Order, lines, products, by_line: dict | None, now: datetime, *, keep_choice: bool = False
) -> DeliveryQuote | None:
    """Ask the delivery-quote backend (``by_line`` None: a preview that plans from stock), for
    the customer's chosen service when the order has one. A store order is handed over at the
    counter: no quote.

    A chosen service that no longer delivers (the address or the lines changed) is an error on
    ``shipping_method`` with ``keep_choice`` (placing: the customer must choose again); else the
    choice is dropped and the cheapest service quoted."""
    if order.channel == Channel.STORE or not lines:
        return None
    request = quote_request(order, lines, products, by_line, now, chosen=order.shipping_method_chosen)
    try:
        return delivery_quote(request)
    except OmsError as exc:
        if exc.code in CHOICE_ERRORS and not keep_choice:
            choose_delivery(order, None, None)
            return quote_for(order, lines, products, by_line, now)
        # The backend speaks of the destination; the caller's field is the shipping address.
        if exc.field in ("country", "postal_code"):
            exc.field = f"shipping_address.{exc.field}"
        raise


def quote_request(order: Order, lines, products, by_line: dict | None, now: datetime, *, chosen: bool) -> QuoteRequest:
    """What the quote backend is asked for ``order`` (``chosen``: for the order's service)."""
    address = order.shipping_address or {}
    return QuoteRequest(
        lines=tuple(
            QuoteLine(
                product_id=line.product_id,
                quantity=line.quantity,
                weight_grams=products[line.product_id].weight_grams if line.product_id in products else 0,
                allocations=None if by_line is None else by_line.get(index, ()),
            )
            for index, line in enumerate(lines)
        ),
        country=address.get("country") or "NL",
        postal_code=address.get("postal_code", ""),
        order_net=sum((line.line_total for line in lines), ZERO),
        ship_complete=order.ship_complete,
        now=now,
        carrier_code=order.carrier_code if chosen else "",
        service_code=order.service_code if chosen else "",
    )


def check_pickup_point(order: Order, quote: DeliveryQuote | None, *, require_point: bool = True) -> None:
    """A pick-up point only with a service that delivers to one, of the same carrier; such a
    service only with a point (``require_point``; a draft may choose the point after it)."""
    point = order.pickup_point
    if quote is None:
        if order.channel == Channel.STORE and (order.shipping_method_chosen or point):
            raise ValidationFailed(
                "A counter sale is handed over at the counter: it has no shipping method.",
                code="not_shipped",
                field="shipping_method",
            )
        return
    if not point:
        if quote.to_pickup_point and require_point:
            raise ValidationFailed(
                f"{quote.carrier_name} {quote.service_name} delivers to a pick-up point: choose one.".replace(
                    "  ", " "
                ),
                code="required",
                field="pickup_point",
            )
        return
    if not quote.to_pickup_point:
        name = f"{quote.carrier_name} {quote.service_name}".strip()
        raise ValidationFailed(
            f"{name} does not deliver to pick-up points; choose a pick-up service or leave the point out.",
            code="pickup_point_not_offered",
            field="pickup_point",
        )
    carrier = (point.get("carrier") or "").partition(":")[0]
    if carrier and carrier != quote.carrier_code:
        raise ValidationFailed(
            f"This pick-up point is {carrier}'s; {quote.carrier_name} delivers to its own points only.",
            code="pickup_point_other_carrier",
            field="pickup_point.carrier",
        )


def apply_totals(order: Order, lines: list[OrderLine], quote: DeliveryQuote | None, rates) -> None:
    order.shipping_vat_rate = pricing.rate_for(pricing.SHIPPING_VAT_CATEGORY, rates, order.vat_regime)
    totals = pricing.order_totals(
        ((line.line_total, line.vat_rate) for line in lines if not line.is_cancelled),
        quote.shipping_net if quote else ZERO,
        order.shipping_vat_rate,
        prices_include_vat=order.prices_include_vat,
    )
    order.net_amount, order.shipping_amount = totals.net, totals.shipping
    order.vat_amount, order.gross_amount = totals.vat, totals.gross
    if quote is None:
        order.promised_delivery_date = order.first_delivery_date = order.supply_date if lines else None
        if not order.shipping_method_chosen:  # kept for a draft whose lines are all removed
            order.carrier_code = order.service_code = order.shipping_method_name = ""
        for line in lines:
            line.promised_delivery_date = order.promised_delivery_date
    else:
        order.promised_delivery_date, order.first_delivery_date = quote.delivery_date, quote.first_delivery_date
        order.carrier_code, order.service_code = quote.carrier_code[:30], quote.service_code[:30]
        order.shipping_method_name = f"{quote.carrier_name} {quote.service_name}".strip()[:200]
        # the quote answers per line, in the order of ``lines``
        for line, line_quote in zip(lines, quote.lines, strict=False):
            line.promised_delivery_date = line_quote.delivery_date


def stock_status(lines: list[OrderLine]) -> str:
    waiting = any(line.quantity_backordered > 0 for line in lines if not line.is_cancelled)
    return OrderStatus.BACKORDERED if waiting else OrderStatus.ALLOCATED


TOTAL_FIELDS = (
    "vat_regime",
    "prices_include_vat",
    "supply_date",
    "net_amount",
    "shipping_amount",
    "shipping_vat_rate",
    "vat_amount",
    "gross_amount",
    "promised_delivery_date",
    "first_delivery_date",
    "carrier_code",
    "service_code",
    "shipping_method_chosen",
    "shipping_method_name",
    "pickup_point",
)


def _write(
    order: Order, lines: list[OrderLine], reservations, is_new: bool, user, now: datetime, events: list[str]
) -> None:
    per_line: dict[int, list[Allocation]] = defaultdict(list)
    for r in reservations:
        line = lines[r.line_index]
        values = {
            "id": None,
            "order_line_id": line.pk,
            "stock_level_id": r.stock_level_id,
            "warehouse_id": r.warehouse_id,
            "quantity": r.quantity,
            "status": AllocationStatus.RESERVED,
            "created_at": now,
            "updated_at": now,
        }
        per_line[r.line_index].append(new_instance(Allocation, values, {"order_line": line}))
    allocations = [a for parts in per_line.values() for a in parts]
    message, data = event_text(placed_message(order, lines), placed_data(order, lines))
    if is_new:
        event = OrderEvent(
            kind=OrderEventKind.PLACED, message=message[:500], data=data, user=acting_user(user), created_at=now
        )
        insert_new_order(order, lines, allocations, event, events)
    else:
        order.save(update_fields=["status", "placed_at", "updated_at", *TOTAL_FIELDS])
        _update_placed_lines(lines)
        Allocation.objects.bulk_create(allocations)
        timeline(order, OrderEventKind.PLACED, message, user=user, now=now, data=data)
        publish_all(events, order)
    # The caller gets the order as written: its lines and their allocations need no query.
    for index, line in enumerate(lines):
        cache_related(line, "allocations", per_line.get(index, []))
    cache_related(order, "lines", lines)


# The draft's lines as placed, in one statement whose text does not depend on the number of lines
# (the ORM's bulk_update builds a CASE per field and line, and its Python grows with the draft).
PLACED_LINES_SQL = """
UPDATE orders_orderline AS line
SET vat_rate = placed.vat_rate, line_total = placed.line_total,
    quantity_allocated = placed.quantity_allocated, quantity_backordered = placed.quantity_backordered,
    promised_delivery_date = placed.promised_delivery_date
FROM json_to_recordset($1::json)
     AS placed(id bigint, vat_rate numeric, line_total numeric, quantity_allocated integer,
               quantity_backordered integer, promised_delivery_date date)
WHERE line.id = placed.id
"""


def _update_placed_lines(lines: list[OrderLine]) -> None:
    rows = [
        {
            "id": line.pk,
            "vat_rate": str(line.vat_rate),
            "line_total": str(line.line_total),
            "quantity_allocated": line.quantity_allocated,
            "quantity_backordered": line.quantity_backordered,
            "promised_delivery_date": line.promised_delivery_date and line.promised_delivery_date.isoformat(),
        }
        for line in lines
    ]
    with connection.cursor() as cursor:
        execute_prepared(cursor, "oms_draft_lines_placed", PLACED_LINES_SQL, [json.dumps(rows)])


def placed_message(order: Order, lines: list[OrderLine]) -> dict:
    """The "placed" timeline row's pieces (``oms.i18n.part``)."""
    waiting = sum(line.quantity_backordered for line in lines)
    stock = (
        part_n(gettext_noop("%(count)s unit backordered"), gettext_noop("%(count)s units backordered"), waiting)
        if waiting
        else part(gettext_noop("everything reserved"))
    )
    return part(
        gettext_noop("Placed via %(channel)s: %(lines)s, %(gross)s; %(stock)s."),
        channel=part(english(Channel(order.channel).label)),
        lines=part_n(gettext_noop("%(count)s line"), gettext_noop("%(count)s lines"), len(lines)),
        gross=money(order.gross_amount),
        stock=stock,
    )


def placed_data(order: Order, lines: list[OrderLine]) -> dict:
    return {
        "channel": order.channel,
        "lines": len(lines),
        "gross": str(order.gross_amount),
        "backordered": {line.sku: line.quantity_backordered for line in lines if line.quantity_backordered},
    }
