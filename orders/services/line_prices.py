"""The one rule for a line's price terms (issue 19), used by every staff path that sets them
(the draft's lines, the placed order's "Change lines"): a unit price other than the catalogue
price (``placement.catalogue_price``: the customer's basis) or any discount needs
``orders.change_line_price`` and a reason. The reason is kept on the line (``price_reason``,
printed on the invoice line) and written to the timeline. Terms back at the catalogue price
without a discount need neither. API clients' own prices follow the API contract instead
(docs/API.md: ``prices:override``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.utils.translation import gettext_noop

from oms.errors import NotPermitted, ValidationFailed
from oms.i18n import join, part
from oms.roles import Role, has_role
from orders.models import Order
from orders.services._common import Collector, clean_text, money
from orders.services.placement import LineInput, catalogue_price

PRICE_PERMISSION = "orders.change_line_price"
NOT_PERMITTED = "You may not give discounts or change prices."


def can_change_line_price(user) -> bool:
    """Managers, and staff given the permission (``PRICE_PERMISSION``, in the admin)."""
    return has_role(user, Role.MANAGER) or bool(user and user.has_perm(PRICE_PERMISSION))


def off_catalogue(order: Order, product, unit_price: Decimal, discount: Decimal) -> bool:
    """Whether these terms differ from what the catalogue gives this order's customer."""
    return discount != 0 or unit_price != catalogue_price(order, product)


def check_price_change(user, reason, errors: Collector, *, field: str, reason_field: str) -> str:
    """Apply the rule to one change of terms: ``NotPermitted`` (on ``field``) at once without
    the permission; a blank reason is added to ``errors`` (``required`` on ``reason_field``).
    Returns the cleaned reason."""
    if not can_change_line_price(user):
        raise NotPermitted(NOT_PERMITTED, field=field)
    cleaned = errors.attempt(clean_text, reason, reason_field, max_length=200, label="Reason")
    if cleaned == "":
        errors.add(ValidationFailed("Say why the price changes.", code="required", field=reason_field))
    return cleaned or ""


def check_new_lines(order: Order, items: Sequence[LineInput], raw: Sequence, user, errors: Collector) -> list:
    """The rule for new lines whose products are resolved: each off-catalogue line needs the
    permission and its ``reason`` (a key of the raw line), which goes onto ``item.price_reason``.
    Returns the off-catalogue items."""
    priced = []
    for item in items:
        price = catalogue_price(order, item.product) if item.unit_price is None else item.unit_price
        if not off_catalogue(order, item.product, price, item.discount_percent):
            item.price_reason = ""  # nothing to explain
            continue
        given = raw[item.index].get("reason") if isinstance(raw[item.index], Mapping) else None
        path = f"{item.prefix}.{item.index}"
        item.price_reason = check_price_change(
            user, given, errors, field=f"{path}.unit_price", reason_field=f"{path}.reason"
        )
        priced.append(item)
    return priced


def price_message(sku: str, terms: tuple, before: tuple, reason: str) -> dict:
    """The timeline's words for new price terms ``(unit_price, discount)``, and why."""
    pieces = []
    if terms[0] != before[0]:
        pieces.append(
            part(
                gettext_noop("%(sku)s price %(price)s instead of %(was)s"),
                sku=sku,
                price=money(terms[0]),
                was=money(before[0]),
            )
        )
    if terms[1] != before[1] or not pieces:
        pieces.append(
            part(gettext_noop("%(sku)s discount %(percent)s%%"), sku=sku, percent=f"{terms[1].normalize():f}")
        )
    return part(gettext_noop("%(changes)s: %(reason)s."), changes=join(pieces, ", "), reason=reason)
