"""The draft flow of the phone-order screen: a draft order exists in the database while customer
service enters it, with live totals (VAT, shipping and the promised date from a preview quote
that plans from current stock), and no reservation until it is placed.

Every service here is durable, locks the draft's order row (``SELECT ... FOR UPDATE``) so two
browser tabs cannot interleave their edits, refuses an order that is no longer a draft
(``Conflict`` ``not_a_draft``), recomputes the totals and publishes nothing. Placing the
draft (``order_draft_place``) runs the same core as ``order_place``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from customers import services as customers_services
from customers.models import AddressKind, Customer, CustomerKind, PaymentMethod
from inventory import selectors as inventory_selectors
from oms.errors import Conflict, NotFound, ValidationFailed
from oms.quantities import whole_quantity
from oms.sql import cache_related, cached_related
from orders import pricing
from orders.models import BackorderPolicy, Channel, Order, OrderEventKind, OrderLine, OrderStatus
from orders.services._common import (
    Collector,
    acting_user,
    clean_amount,
    clean_choice,
    clean_discount,
    clean_text,
    lock_order,
    save,
    timeline,
)
from orders.services.line_prices import (
    check_new_lines,
    check_price_change,
    off_catalogue,
    price_message,
)
from orders.services.placement import (
    TOTAL_FIELDS,
    LineInput,
    apply_totals,
    catalogue_price,
    check_pickup_point,
    choose_delivery,
    clean_address,
    clean_delivery_choice,
    clean_line,
    clean_lines,
    duplicate_reference_error,
    new_line,
    order_addresses,
    place,
    price_lines,
    quote_for,
    resolve_products,
)

UNCHANGED = object()


def order_draft_create(*, channel: str, customer: Customer, user, now: datetime | None = None) -> Order:
    """Start a draft for ``customer``: their default addresses and preferred payment method,
    no lines. Durable; locks nothing; appends a timeline row. Raises ``ValidationFailed``."""
    channel = clean_choice(channel, Channel, "channel", "Channel")
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        order = Order(
            channel=channel,
            customer=customer,
            status=OrderStatus.DRAFT,
            payment_method=customer.preferred_payment_method,
            entered_by=acting_user(user),
            created_at=now,
            updated_at=now,
            prices_include_vat=pricing.prices_include_vat(is_b2b=customer.is_b2b, channel=channel),
        )
        _use_customer_defaults(order, customer)
        order.save(force_insert=True)
        timeline(
            order,
            OrderEventKind.CREATED,
            gettext_noop("Draft started for %(customer)s."),
            params={"customer": customer.number},
            user=user,
            now=now,
        )
    return order


def order_draft_start_for_new_customer(
    *, channel: str, name: str, email: str, phone: str, address: Mapping, user, now: datetime | None = None
) -> Order:
    """Create a B2C customer with ``address`` as billing and shipping address
    (``customers.services.customer_create``), then start a draft for them.

    Two durable steps, one after the other: the customer is committed before the draft starts,
    so a draft that could not start (it cannot fail on valid input) leaves a customer that the
    agent finds by searching. Locks nothing. Raises ``ValidationFailed`` (``name``, ``email``,
    ``phone``, ``addresses.0.postal_code`` ...) and ``Conflict`` ``duplicate_email``."""
    addresses = [{"kind": kind, **address} for kind in (AddressKind.BILLING, AddressKind.SHIPPING)]
    customer = customers_services.customer_create(
        kind=CustomerKind.B2C, name=name, email=email, phone=phone, addresses=addresses, user=user
    )
    return order_draft_create(channel=channel, customer=customer, user=user, now=now)


@contextmanager
def _editing(order: Order) -> Iterator[Order]:
    with transaction.atomic(durable=True):
        locked = lock_order(order.pk)
        if locked.status != OrderStatus.DRAFT:
            raise Conflict(f"Order {locked.number} is no longer a draft.", code="not_a_draft", field="order")
        yield locked
        refresh_draft(locked)


def refresh_draft(order: Order, now: datetime | None = None, *, keep_choice: bool = False) -> list[OrderLine]:
    """Recompute VAT, line totals, the preview quote and the order totals of a locked draft.
    A chosen service that no longer delivers is dropped (``keep_choice``: refused instead)."""
    now = now or timezone.now()
    lines = list(OrderLine.objects.filter(order=order).order_by("line_no"))
    before = [(line.vat_rate, line.line_total) for line in lines]
    rates = price_lines(order, lines, now)
    # No products: the quote backend reads the weights it needs (a line's weight 0 is the
    # product's, ``oms.delivery``), narrower than every product row of a growing draft.
    quote = quote_for(order, lines, {}, None, now, keep_choice=keep_choice)
    apply_totals(order, lines, quote, rates)
    if keep_choice:
        check_pickup_point(order, quote, require_point=False)
    # Only the lines whose rate or total moved (the one just added or changed, as a rule): an
    # update of every line grows with the draft and writes a history row per line.
    changed = [line for line, old in zip(lines, before, strict=True) if (line.vat_rate, line.line_total) != old]
    if changed:
        OrderLine.objects.bulk_update(changed, ["vat_rate", "line_total"])
    save(order, *TOTAL_FIELDS, now=now)
    cache_related(order, "lines", lines)
    return lines


def order_draft_set_lines(*, order: Order, lines: Sequence[Mapping], user) -> Order:
    """Replace every line of the draft (``order_place``'s line format). Raises
    ``ValidationFailed`` (``lines.N.sku`` ``unknown_sku`` ...), ``Conflict`` ``not_a_draft``."""
    errors = Collector()
    items = clean_lines(lines, errors)
    errors.raise_if_any()
    with _editing(order) as locked:
        products = _products_or_raise(items)
        priced = check_new_lines(locked, items, lines, user, errors)
        errors.raise_if_any()
        OrderLine.objects.filter(order=locked).delete()
        OrderLine.objects.bulk_create(
            [new_line(locked, number, item, products[item.product.pk]) for number, item in enumerate(items, start=1)]
        )
        _record_new_prices(locked, priced, user)
    return locked


def _record_new_prices(order: Order, items, user) -> None:
    for item in items:
        price = catalogue_price(order, item.product)
        terms = (price if item.unit_price is None else item.unit_price, item.discount_percent)
        message = price_message(item.product.sku, terms, (price, 0), item.price_reason)
        timeline(order, OrderEventKind.LINES_CHANGED, message, user=user)


def order_draft_add_line(
    *,
    order: Order,
    quantity: int,
    user,
    sku: str | None = None,
    product_id: int | None = None,
    unit_price=None,
    discount_percent=None,
    reason: str = "",
) -> OrderLine:
    """Add a line (by SKU or product id) at the end of the draft; returns the line. A price
    other than the catalogue's, or a discount, needs the permission and ``reason``
    (``line_prices``). Raises ``NotPermitted``, ``ValidationFailed`` (``sku`` ``unknown_sku``,
    ``quantity``, ``reason`` ...), ``Conflict``. The line's ``order`` is the draft as the change
    left it (``_as_left``)."""
    item = _one_line(
        sku=sku, product_id=product_id, quantity=quantity, unit_price=unit_price, discount=discount_percent
    )
    with _editing(order) as locked:
        products = _products_or_raise([item])
        errors = Collector()
        priced = check_new_lines(locked, [item], [{"reason": reason}], user, errors)
        errors.raise_if_any()
        last = OrderLine.objects.filter(order=locked).order_by("-line_no").values_list("line_no", flat=True).first()
        line = new_line(locked, (last or 0) + 1, item, products[item.product.pk])
        line.save(force_insert=True)
        _record_new_prices(locked, priced, user)
    return _as_left(locked, line.pk)


def order_draft_update_line(
    *,
    order: Order,
    line_id: int,
    user,
    quantity=UNCHANGED,
    unit_price=UNCHANGED,
    discount_percent=UNCHANGED,
    reason: str = "",
) -> OrderLine:
    """Change a draft line's quantity, unit price (None: back to the catalogue price) or
    discount. New terms off the catalogue need the permission and ``reason`` (``line_prices``);
    terms back at the catalogue clear the line's reason. Raises ``NotPermitted``,
    ``ValidationFailed`` (``quantity``, ``unit_price``, ``discount_percent``, ``reason``),
    ``NotFound`` (``line_id``), ``Conflict`` ``not_a_draft``. The line's ``order`` is the draft
    as the change left it (``_as_left``)."""
    errors = Collector()
    changes = {}
    for name, value, cleaner in (
        ("quantity", quantity, whole_quantity),
        ("unit_price", unit_price, clean_amount),
        ("discount_percent", discount_percent, clean_discount),
    ):
        if value is UNCHANGED or (name == "unit_price" and value is None):
            continue
        try:
            changes[name] = cleaner(value, name)
        except ValidationFailed as exc:
            errors.add(exc)
    errors.raise_if_any()
    with _editing(order) as locked:
        line = _draft_line(locked, line_id)
        before = (line.unit_price, line.discount_percent)
        product = None
        if unit_price is not UNCHANGED or discount_percent is not UNCHANGED:
            product = inventory_selectors.products_by_ids([line.product_id])[line.product_id]
        if unit_price is None:
            changes["unit_price"] = catalogue_price(locked, product)
        for name, value in changes.items():
            setattr(line, name, value)
        if product is not None and (line.unit_price, line.discount_percent) != before:
            changes["price_reason"] = _new_terms(locked, line, product, before, user, reason)
        line.quantity_allocated, line.quantity_backordered = 0, line.quantity
        line.save(update_fields=[*changes, "quantity_allocated", "quantity_backordered"])
    return _as_left(locked, line.pk)


def _new_terms(order: Order, line: OrderLine, product, before: tuple, user, reason) -> str:
    """The rule for a line's changed terms; returns the line's new ``price_reason``."""
    if not off_catalogue(order, product, line.unit_price, line.discount_percent):
        line.price_reason = ""
        return ""
    errors = Collector()
    line.price_reason = check_price_change(user, reason, errors, field="unit_price", reason_field="reason")
    errors.raise_if_any()
    terms = (line.unit_price, line.discount_percent)
    timeline(order, OrderEventKind.LINES_CHANGED, price_message(line.sku, terms, before, line.price_reason), user=user)
    return line.price_reason


def order_draft_price_line(
    *, order: Order, line_id: int, user, reason: str, discount_percent=None, unit_price=None
) -> OrderLine:
    """Give a draft line a discount (percent) and/or another unit price than the list price, with
    the reason (required; it goes onto the invoice line and the timeline). Needs
    ``can_change_line_price``. ``unit_price`` None keeps the price, ``discount_percent`` None
    the discount. Raises ``NotPermitted``, ``ValidationFailed`` (``reason``, ``unit_price``,
    ``discount_percent``), ``NotFound`` (``line_id``), ``Conflict`` ``not_a_draft``. The line's
    ``order`` is the draft as the change left it (``_as_left``)."""
    errors = Collector()
    reason = check_price_change(user, reason, errors, field="unit_price", reason_field="reason")
    changes = {}
    if unit_price is not None:
        changes["unit_price"] = errors.attempt(clean_amount, unit_price, "unit_price")
    if discount_percent is not None:
        changes["discount_percent"] = errors.attempt(clean_discount, discount_percent, "discount_percent")
    if not changes and not errors:
        errors.add(ValidationFailed("Enter a discount or a price.", code="required", field="discount_percent"))
    errors.raise_if_any()
    with _editing(order) as locked:
        line = _draft_line(locked, line_id)
        before = (line.unit_price, line.discount_percent)
        for name, value in changes.items():
            setattr(line, name, value)
        line.price_reason = reason
        line.save(update_fields=[*changes, "price_reason"])
        message = price_message(line.sku, (line.unit_price, line.discount_percent), before, reason)
        timeline(locked, OrderEventKind.LINES_CHANGED, message, user=user)
    return _as_left(locked, line.pk)


def order_draft_remove_line(*, order: Order, line_id: int, user) -> Order:
    """Delete a line of the draft (drafts reserve nothing, so nothing is released). Returns the
    draft as the change left it, with its lines (``order.lines.all()`` costs no query)."""
    with _editing(order) as locked:
        _draft_line(locked, line_id).delete()
    return locked


def order_draft_set_address(*, order: Order, kind: str, address: Mapping, user) -> Order:
    """Set the shipping or billing address snapshot (checked and normalized like customers'
    addresses; ``Address.as_snapshot()`` gives one). The shipping country may change the VAT
    regime. Raises ``ValidationFailed`` (``kind``, ``<kind>_address.postal_code`` ...)."""
    kind = clean_choice(kind, AddressKind, "kind", "Address kind")
    errors = Collector()
    snapshot = clean_address(address, f"{kind}_address", errors)
    errors.raise_if_any()
    with _editing(order) as locked:
        setattr(locked, f"{kind}_address", snapshot)
        save(locked, f"{kind}_address")
    return locked


def order_draft_set_payment_method(*, order: Order, payment_method: str, user) -> Order:
    """Choose how the customer pays. Raises ``ValidationFailed`` (``payment_method``) and
    ``Conflict`` ``on_account_not_allowed`` (on account is for business customers with credit)."""
    payment_method = clean_choice(payment_method, PaymentMethod, "payment_method", "Payment method")
    with _editing(order) as locked:
        customer = locked.customer
        if payment_method == PaymentMethod.ON_ACCOUNT and not (customer.is_b2b and customer.credit_limit > 0):
            raise Conflict(
                "Paying on account is for business customers with credit terms.",
                code="on_account_not_allowed",
                field="payment_method",
            )
        locked.payment_method = payment_method
        save(locked, "payment_method")
    return locked


def order_draft_set_customer(*, order: Order, customer: Customer, user) -> Order:
    """Give the draft to another customer: their default addresses and payment method. From a
    consumer to a business (or back) the price basis changes: every line is repriced at the
    catalogue price of the new basis (a price typed for the other basis no longer fits)."""
    with _editing(order) as locked:
        locked.customer = customer
        locked.payment_method = customer.preferred_payment_method
        _use_customer_defaults(locked, customer)
        basis = pricing.prices_include_vat(is_b2b=customer.is_b2b, channel=locked.channel)
        if basis != locked.prices_include_vat:
            locked.prices_include_vat = basis
            _reprice_lines(locked)
        save(locked, "customer", "payment_method", "shipping_address", "billing_address", "prices_include_vat")
    return locked


def _reprice_lines(order: Order) -> None:
    lines = list(OrderLine.objects.filter(order=order))
    products = inventory_selectors.products_by_ids(line.product_id for line in lines) if lines else {}
    for line in lines:
        line.unit_price = catalogue_price(order, products[line.product_id])
    if lines:
        OrderLine.objects.bulk_update(lines, ["unit_price"])


def order_draft_set_delivery(*, order: Order, shipping_method: str, pickup_point: Mapping | None, user) -> Order:
    """Choose the service (``"<carrier>:<service>"`` of ``delivery_options``; empty: the cheapest,
    chosen anew on every change) and the pick-up point (a snapshot as the pick-up points give
    it). The draft is charged that service's price and promised its dates. Raises
    ``ValidationFailed`` as ``order_place`` does for ``shipping_method`` and ``pickup_point``."""
    errors = Collector()
    method, point = clean_delivery_choice(errors, shipping_method, pickup_point)
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic(durable=True):
        locked = lock_order(order.pk)
        if locked.status != OrderStatus.DRAFT:
            raise Conflict(f"Order {locked.number} is no longer a draft.", code="not_a_draft", field="order")
        choose_delivery(locked, method, point)
        refresh_draft(locked, now, keep_choice=True)
    return locked


def order_draft_update(
    *, order: Order, user, notes=UNCHANGED, ship_complete=UNCHANGED, external_reference=UNCHANGED
) -> Order:
    """Change the draft's notes, ship-complete choice or external reference. Raises
    ``ValidationFailed`` and ``Conflict`` ``duplicate_external_reference``."""
    values = {}
    if notes is not UNCHANGED:
        values["notes"] = clean_text(notes, "notes", max_length=5000, label="Notes")
    if ship_complete is not UNCHANGED:
        if not isinstance(ship_complete, bool):
            raise ValidationFailed("ship_complete must be true or false.", field="ship_complete")
        values["ship_complete"] = ship_complete
    if external_reference is not UNCHANGED:
        reference = clean_text(external_reference, "external_reference", max_length=100, label="External reference")
        values["external_reference"] = reference or None
    try:
        with _editing(order) as locked:
            for name, value in values.items():
                setattr(locked, name, value)
            save(locked, *values)
    except IntegrityError as exc:
        conflict = duplicate_reference_error(exc, order.channel, values.get("external_reference"))
        if conflict is None:
            raise
        raise conflict from exc
    return locked


def order_draft_place(
    *, order: Order, user, backorder_policy: str = BackorderPolicy.ALLOW, now: datetime | None = None
) -> Order:
    """Place the draft: the same checks, reservation, quote and events as ``order_place``
    (its docstring lists them); the draft row becomes the order. Durable. Locks the order row,
    then (on account) the customer row, then the stock levels. Raises as ``order_place``, and
    ``Conflict`` ``not_a_draft``, ``ValidationFailed`` ``lines`` ``required``."""
    policy = clean_choice(backorder_policy, BackorderPolicy, "backorder_policy", "Backorder policy")
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = lock_order(order.pk)
        if locked.status != OrderStatus.DRAFT:
            raise Conflict(f"Order {locked.number} is no longer a draft.", code="not_a_draft", field="order")
        lines = list(OrderLine.objects.filter(order=locked).order_by("line_no"))
        if not lines:
            raise ValidationFailed("Add at least one line before placing the order.", code="required", field="lines")
        products = _checked_products(locked, lines)
        return place(locked, lines, products, policy=policy, user=user, now=now, is_new=False)


# --- helpers -------------------------------------------------------------------------------------------


def _use_customer_defaults(order: Order, customer: Customer) -> None:
    ship, bill = order_addresses(customer, None, None, Channel.STORE, Collector())
    order.shipping_address, order.billing_address = ship, bill


def _one_line(*, sku, product_id, quantity, unit_price, discount) -> LineInput:
    errors = Collector()
    raw = {"sku": sku, "product_id": product_id, "quantity": quantity}
    if unit_price is not None:
        raw["unit_price"] = unit_price
    if discount is not None:
        raw["discount_percent"] = discount
    item = clean_line(raw, 0, errors)
    for error in errors.errors:
        error.field = error.field.removeprefix("lines.0.")
    errors.raise_if_any()
    return item


def _products_or_raise(items: list[LineInput]):
    errors = Collector()
    products = resolve_products(items, errors)
    if len(items) == 1:
        for error in errors.errors:
            error.field = error.field.removeprefix("lines.0.")
    errors.raise_if_any()
    return products


def _checked_products(order: Order, lines: list[OrderLine]):
    products = inventory_selectors.products_by_ids(line.product_id for line in lines)
    errors = Collector()
    for index, line in enumerate(lines):
        if not products[line.product_id].active:
            errors.fail(f"lines.{index}.sku", f"{line.sku} is no longer sold.", "inactive_product")
    if not order.shipping_address and order.channel != Channel.STORE:
        errors.fail("shipping_address", "Choose where the order goes.", "address_required")
    errors.raise_if_any()
    return products


def _as_left(order: Order, line_id: int) -> OrderLine:
    """The line as ``refresh_draft`` read and totalled it, its ``order`` the locked draft with
    the new totals and every line (``order.lines.all()`` costs no query), so that the screen
    shows the change without reading the draft again. Only the preview's promised dates on the
    lines are not stored (a draft keeps them on the order)."""
    line = next(line for line in cached_related(order, "lines") if line.pk == line_id)
    line.order = order
    return line


def _draft_line(order: Order, line_id) -> OrderLine:
    line = OrderLine.objects.filter(order=order, pk=line_id).first() if isinstance(line_id, int) else None
    if line is None:
        raise NotFound(f"Order {order.number} has no line {line_id}.", field="line_id")
    return line
