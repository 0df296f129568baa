"""Prices, VAT and totals of an order: pure functions, no database (API.md "Amounts").

- ``line_total`` = quantity x unit price less the discount, excluding VAT, half-up to cents;
- net = the sum of the line totals; shipping is a net charge taxed at the high rate;
- VAT per rate over the whole order (lines and shipping together), each rate's VAT rounded
  half-up to cents once (``oms.money.vat_by_rate``), then summed; gross = net + shipping + VAT.

Consumer prices (issue 15): an order of a consumer (a B2C customer, on any channel but B2B) is
priced incl. VAT from the product's consumer price, as the shelf shows it. Its ``line_total`` is
then the line's gross (quantity x shelf price less the discount, to cents); per rate the lines'
grosses are summed and the VAT is extracted once, ``gross x rate / (100 + rate)`` rounded, and
net = gross - VAT, so the order's total is the sum of the shelf prices to the cent. The shipping
charge (configured net) joins its rate at its gross. A business order stays excl. VAT. Both go
through ``oms.money.vat_by_rate``: one rounding rule in one place.

The VAT regime decides whether Dutch VAT applies at all: an intra-EU business customer with a
VAT id of another member state, receiving the goods in another member state, is reverse-charged
(0 %, "btw verlegd"); goods shipped outside the EU are an export (0 %).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from oms.money import HUNDRED, ZERO, gross_of, quantize, to_decimal, vat_by_rate

HOME_COUNTRY = "NL"
EU_COUNTRIES = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())
# VAT ids use the ISO code except for Greece.
_VAT_ID_COUNTRY = {"EL": "GR"}
SHIPPING_VAT_CATEGORY = "high"

REGIME_DOMESTIC = "domestic"
REGIME_REVERSE_CHARGE = "reverse_charge"
REGIME_EXPORT = "export"
# A consumer in another EU member state, above the distance-selling threshold: that state's VAT
# (oms.oss). The consumer still pays the shelf price; the VAT in it is that state's.
REGIME_OSS = "oss"


def vat_id_country(vat_id: str) -> str:
    prefix = (vat_id or "")[:2].upper()
    return _VAT_ID_COUNTRY.get(prefix, prefix)


def vat_regime(*, is_b2b: bool, vat_id: str, ship_country: str, oss: bool = False) -> str:
    """Which VAT applies to goods sent to ``ship_country`` for this customer. ``oss``: the shop
    is above the EU distance-selling threshold (``settings.OMS_OSS_ABOVE_THRESHOLD``), so a
    consumer elsewhere in the EU pays the VAT of their country (a business without a valid
    foreign VAT id counts as a consumer here, as the law has it)."""
    country = (ship_country or HOME_COUNTRY).upper()
    if country not in EU_COUNTRIES:
        return REGIME_EXPORT
    buyer_country = vat_id_country(vat_id)
    if (
        is_b2b
        and vat_id
        and buyer_country in EU_COUNTRIES
        and buyer_country != HOME_COUNTRY
        and country != HOME_COUNTRY
    ):
        return REGIME_REVERSE_CHARGE
    if oss and country != HOME_COUNTRY:
        return REGIME_OSS
    return REGIME_DOMESTIC


def rate_for(category: str, rates: dict[str, Decimal], regime: str) -> Decimal:
    """The VAT rate of a category on the supply date (``rates`` from ``vat_rates_on``, or from
    ``oms.oss.oss_rates_on`` for the OSS regime), or 0 when the regime zero-rates the supply."""
    if regime not in (REGIME_DOMESTIC, REGIME_OSS):
        return Decimal("0.00")
    if category not in rates:
        raise LookupError(f"no VAT rate for category {category!r}")
    return rates[category]


def prices_include_vat(*, is_b2b: bool, channel: str) -> bool:
    """Whether an order is priced incl. VAT: consumers see and pay shelf prices; businesses (a
    B2B customer, or the B2B channel) are priced excl. VAT."""
    return not is_b2b and channel != "b2b"


def line_total(quantity: int, unit_price, discount_percent=ZERO) -> Decimal:
    discount = to_decimal(discount_percent)
    return quantize(Decimal(quantity) * to_decimal(unit_price) * (HUNDRED - discount) / HUNDRED)


@dataclass(frozen=True)
class Totals:
    net: Decimal
    shipping: Decimal
    vat: Decimal
    gross: Decimal
    # {rate: {"net": ..., "vat": ...}}, highest rate first, shipping included at its rate.
    by_rate: dict[Decimal, dict[str, Decimal]] = field(default_factory=dict)


def shipping_line_amount(shipping_net, shipping_rate, *, prices_include_vat: bool) -> Decimal:
    """The shipping charge as a line of the order's price basis: net, or its gross for an order
    priced incl. VAT (what the consumer sees and what the invoice line carries)."""
    shipping = quantize(shipping_net or ZERO)
    return gross_of(shipping, shipping_rate) if prices_include_vat else shipping


def order_totals(
    lines: Iterable[tuple[Decimal, Decimal]], shipping_net, shipping_rate, *, prices_include_vat: bool = False
) -> Totals:
    """Totals of an order from its (line_total, vat_rate) pairs and the shipping charge (net).
    ``prices_include_vat``: the line totals include VAT (see the module docstring); ``net`` is
    then the net of the goods, what is left of the whole net after the shipping's net."""
    lines = list(lines)
    shipping = quantize(shipping_net or ZERO)
    amount = shipping_line_amount(shipping, shipping_rate, prices_include_vat=prices_include_vat)
    taxed = [*lines, (amount, shipping_rate)] if shipping else lines
    by_rate = vat_by_rate(taxed, prices_include_vat=prices_include_vat)
    vat = quantize(sum((part["vat"] for part in by_rate.values()), ZERO))
    if prices_include_vat:
        gross = quantize(sum((part["gross"] for part in by_rate.values()), ZERO))
        net = gross - vat - shipping
    else:
        net = quantize(sum((quantize(total) for total, _ in lines), ZERO))
        gross = net + shipping + vat
    return Totals(net=net, shipping=shipping, vat=vat, gross=gross, by_rate=by_rate)
