"""Money and VAT. ``Decimal`` everywhere, EUR, two decimals, half-up (ARCHITECTURE "Money")."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def money_field(**kwargs) -> models.DecimalField:
    kwargs.setdefault("max_digits", 12)
    kwargs.setdefault("decimal_places", 2)
    return models.DecimalField(**kwargs)


def to_decimal(value) -> Decimal:
    """A Decimal from a str, int or Decimal; floats are refused because they are not exact."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def quantize(value) -> Decimal:
    """Round to cents, half up: the one rounding rule in the code base."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_amount(net, rate) -> Decimal:
    """VAT on a net amount at a percentage rate, half-up to cents."""
    return quantize(to_decimal(net) * to_decimal(rate) / HUNDRED)


def vat_in_gross(gross, rate) -> Decimal:
    """The VAT contained in an amount including VAT at a percentage rate, half-up to cents:
    ``gross x rate / (100 + rate)`` (12,10 at 21 % holds 2,10)."""
    rate = to_decimal(rate)
    return quantize(to_decimal(gross) * rate / (HUNDRED + rate))


def gross_of(net, rate) -> Decimal:
    """A net amount with its VAT added, half-up to cents: a price excluding VAT as a shelf price."""
    return quantize(net) + vat_amount(net, rate)


def vat_by_rate(
    lines: Iterable[tuple[Decimal, Decimal]], *, prices_include_vat: bool = False
) -> dict[Decimal, dict[str, Decimal]]:
    """Group (amount, rate) pairs per rate; VAT is computed once per rate over the summed amount.
    The one rounding rule of documents with several lines (orders, invoices, credit notes).

    ``prices_include_vat`` False: the amounts are net, VAT = net x rate rounded, gross = net + VAT.
    True (consumer prices, issue 15): the amounts include VAT, VAT = gross x rate / (100 + rate)
    rounded, net = gross - VAT, so the total is the sum of the shelf prices to the cent.

    Returns ``{rate: {"net", "vat", "gross"}}``, ordered by rate descending (21, 9, 0).
    """
    amounts: dict[Decimal, Decimal] = {}
    for amount, rate in lines:
        rate = to_decimal(rate).normalize()
        amounts[rate] = amounts.get(rate, ZERO) + quantize(amount)
    rows = {}
    for rate, amount in sorted(amounts.items(), key=lambda item: item[0], reverse=True):
        amount = quantize(amount)
        if prices_include_vat:
            vat = vat_in_gross(amount, rate)
            rows[rate] = {"net": amount - vat, "vat": vat, "gross": amount}
        else:
            vat = vat_amount(amount, rate)
            rows[rate] = {"net": amount, "vat": vat, "gross": amount + vat}
    return rows


def spread(total, weights: list[Decimal]) -> list[Decimal]:
    """``total`` split in cents over ``weights`` in proportion, signs included, so that the parts
    add up to ``total`` exactly. How a rate's net of a document priced incl. VAT is divided over
    its lines for the ledger (``billing.calc.line_nets``).

    Each line's exact share is ``total x weight / sum(weights)``; it is rounded down to the cent
    and the cents this leaves go one each to the largest remainders (then the first line). So a
    part is its exact share rounded down or up, and its sign is its share's: a voucher or
    discount line (a negative weight) takes a negative part and so lowers its rate's taxable
    base by its share (docs/ARCHITECTURE.md "Money"). A negative ``total`` (a credit note) is
    spread as the positive one with the signs turned back, so a credit note's parts mirror its
    invoice's to the cent.

    All weights zero: the first part takes ``total``. Weights that cancel out (a voucher as large
    as the goods of its rate) have no proportion: ``ValueError`` unless ``total`` is zero too
    (the caller splits the goods and the voucher apart, as ``line_nets`` does)."""
    total = quantize(total)
    weights = [to_decimal(w) for w in weights]
    if not weights:
        if total:
            raise ValueError("a non-zero total spread over no weights")
        return []
    if total < 0:
        return [-part for part in spread(-total, [-w for w in weights])]
    whole = sum(weights, ZERO)
    if whole == 0:
        if all(w == 0 for w in weights):
            return [total, *([ZERO] * (len(weights) - 1))]
        if total:
            raise ValueError("weights that add up to zero share no total in proportion")
        return [ZERO] * len(weights)
    cents = int(total / CENT)
    exact = [Fraction(cents) * Fraction(w) / Fraction(whole) for w in weights]  # exact, no rounding
    parts = [math.floor(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: cents - sum(parts)]:
        parts[i] += 1
    return [Decimal(p) * CENT for p in parts]


def format_eur(value) -> str:
    """``€ 1.234,56`` (Dutch grouping and decimal comma); negative as ``€ -1.234,56``."""
    if value is None or value == "":
        return ""
    amount = quantize(value)
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"€\u00a0{sign}{'.'.join(groups)},{cents}"


def rate_label(rate) -> str:
    """``21`` for 21.00, ``5.5`` for 5.50: how rates are shown and sent in the API."""
    normalized = to_decimal(rate).normalize()
    return f"{normalized:f}"


# --- dated VAT rates -----------------------------------------------------------------------------

_CACHE_SECONDS = 60
_cache: dict[str, object] = {"at": 0.0, "rows": None}


def _rate_rows() -> list[tuple[str, date, Decimal]]:
    # Rates change a few times a decade; one query a minute per process is plenty.
    now = time.monotonic()
    if _cache["rows"] is None or now - float(_cache["at"]) > _CACHE_SECONDS:
        from oms.models import VatRate

        _cache["rows"] = list(
            VatRate.objects.order_by("category", "-valid_from").values_list("category", "valid_from", "rate")
        )
        _cache["at"] = now
    return _cache["rows"]  # type: ignore[return-value]


def clear_rate_cache() -> None:
    _cache["rows"] = None


def vat_rates_on(supply_date: date) -> dict[str, Decimal]:
    """The rate of each VAT category on the supply date (the tax point)."""
    rates: dict[str, Decimal] = {}
    for category, valid_from, rate in _rate_rows():
        if category not in rates and valid_from <= supply_date:
            rates[category] = rate
    return rates


def vat_rate(category: str, supply_date: date) -> Decimal:
    rates = vat_rates_on(supply_date)
    if category not in rates:
        raise LookupError(f"no VAT rate for category {category!r} on {supply_date}")
    return rates[category]
