"""Helpers shared by the order services (not part of the public interface)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache

from django.db import connection
from django.utils import timezone

from oms import events
from oms.errors import InvalidTransition, MultipleErrors, NotFound, OmsError, ValidationFailed
from oms.i18n import render_english
from oms.money import format_eur
from orders.event_names import STATUS_EVENTS
from orders.models import Order, OrderEvent

MAX_LINES = 500
MAX_PRICE = Decimal("9999999999.99")


class OrderInputInvalid(MultipleErrors, ValidationFailed):
    """Several fields of an order are wrong at once; each error has its field path."""


class Collector:
    """Gather business errors with their field paths, to report them all at once."""

    def __init__(self) -> None:
        self.errors: list[OmsError] = []

    def add(self, error: OmsError) -> None:
        self.errors.append(error)

    def fail(self, field: str, message: str, code: str = "invalid") -> None:
        self.errors.append(ValidationFailed(message, code=code, field=field))

    def attempt(self, clean, *args, **kwargs):
        """``clean(*args, **kwargs)``, or None with its ``ValidationFailed`` kept."""
        try:
            return clean(*args, **kwargs)
        except ValidationFailed as exc:
            self.errors.append(exc)
            return None

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise OrderInputInvalid(self.errors)


# --- input cleaning (no database) -----------------------------------------------------------------


def clean_amount(value, field: str, *, maximum: Decimal = MAX_PRICE, code: str = "invalid_price") -> Decimal:
    """A non-negative amount with at most two decimals (a str, int or Decimal; never a float)."""
    if isinstance(value, (bool, float)) or not isinstance(value, (str, int, Decimal)):
        raise ValidationFailed('Enter an amount as a string, e.g. "12.50".', code=code, field=field)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed("Not a number.", code=code, field=field) from None
    if not amount.is_finite() or amount < 0 or amount > maximum or amount.as_tuple().exponent < -2:
        raise ValidationFailed(
            f"Enter an amount from 0 to {maximum} with at most two decimals.", code=code, field=field
        )
    return amount.quantize(Decimal("0.01"))


def clean_discount(value, field: str) -> Decimal:
    if value is None or value == "":
        return Decimal("0.00")
    return clean_amount(value, field, maximum=Decimal("100"), code="invalid_discount")


def clean_text(value, field: str, *, max_length: int, label: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{label} must be text.", code="invalid", field=field)
    text = value.strip()
    if len(text) > max_length:
        raise ValidationFailed(f"{label} has at most {max_length} characters.", code="max_length", field=field)
    return text


@cache
def _choice_values(choices) -> frozenset[str]:
    return frozenset(choices.values)  # ``.values`` builds the list of (value, label) pairs anew


def clean_choice(value, choices, field: str, label: str) -> str:
    if not isinstance(value, str) or value not in _choice_values(choices):
        raise ValidationFailed(
            f"{label} must be one of: {', '.join(choices.values)}.", code="invalid_choice", field=field
        )
    return value


# --- orders: locks, transitions, timeline ---------------------------------------------------------


def acting_user(user):
    """The user to record (None for anonymous users and system work)."""
    return user if getattr(user, "pk", None) else None


def lock_order(order_id: int) -> Order:
    """The order row, locked FOR UPDATE until the end of the transaction. Orders are locked
    before stock rows (STYLE.md §5: Order -> StockLevel by id), never after."""
    assert connection.in_atomic_block, "lock_order needs a transaction"
    order = Order.objects.select_for_update(of=("self",)).select_related("customer").filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"No order with id {order_id}.", field="order")
    return order


def require(order: Order, target: str) -> None:
    if not order.can_transition_to(target):
        raise InvalidTransition(order.status, target, order=order.number)


def save(order: Order, *fields: str, now: datetime | None = None) -> None:
    order.updated_at = now or timezone.now()
    order.save(update_fields=[*dict.fromkeys(fields), "updated_at"])


def timeline(
    order: Order,
    kind: str,
    message: str | dict,
    *,
    user=None,
    data: dict | None = None,
    now=None,
    params: dict | None = None,
) -> OrderEvent:
    """Append to the order's timeline. ``message`` is English text, or pieces made with
    ``oms.i18n.part``/``join``; with ``params`` it is a msgid with ``%(name)s`` placeholders (mark
    it ``gettext_noop``). The English text is stored, and the pieces (or msgid and params) go into
    ``data`` so that ``OrderEvent.display_message`` shows it in the reader's language."""
    row = timeline_row(order, kind, message, user=user, data=data, now=now, params=params)
    row.save(force_insert=True)
    return row


def timeline_row(
    order: Order,
    kind: str,
    message: str | dict,
    *,
    user=None,
    data: dict | None = None,
    now=None,
    params: dict | None = None,
) -> OrderEvent:
    """The timeline row ``timeline`` writes, not yet saved (for a bulk insert of several)."""
    if isinstance(message, dict):
        message, data = event_text(message, data)
    if params is not None:
        data = {**(data or {}), "message_id": message, "message_params": params}
        message = message % params
    return OrderEvent(
        order=order,
        kind=kind,
        message=message[:500],
        data=data or {},
        user=acting_user(user),
        created_at=now or timezone.now(),
    )


def publish(name: str, order: Order) -> None:
    publish_all([name], order)


def publish_all(names: list[str], order: Order) -> None:
    """Publish several events of the order (ids only) in one statement."""
    events.publish_many([(name, {"order_id": order.pk}) for name in names])


def event_text(spec: dict, data: dict | None) -> tuple[str, dict]:
    """A timeline row's English text and its data with the pieces ``spec`` kept for display."""
    return render_english(spec), {**(data or {}), "message_parts": spec}


def transition(
    order: Order,
    target: str,
    *,
    user,
    kind: str,
    message: str | dict,
    data: dict | None = None,
    fields: Iterable[str] = (),
    now: datetime | None = None,
) -> None:
    """Move a locked order to ``target``: check the table, write, timeline, publish its event."""
    require(order, target)
    order.status = target
    save(order, "status", *fields, now=now)
    timeline(order, kind, message, user=user, data=data, now=now)
    publish(STATUS_EVENTS[target], order)


def money(value) -> str:
    return format_eur(value).replace("\u00a0", " ")
