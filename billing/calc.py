"""Invoice arithmetic, pure: line nets, VAT per rate, totals, and which account each amount is
posted to. No database access, so the property tests can drive it directly too.

Rules (STYLE "Money"): a line's amount is quantity x unit price - discount, in cents; VAT is
computed once per rate over the invoice (half-up), never per line (``oms.money.vat_by_rate``).
Prices exclude VAT, except on a document whose prices include VAT (a consumer's order, issue
15): there a line's amount is its gross, the VAT is extracted per rate from the rate's gross and
the rate's net is the rest. The ledger needs a net per revenue account, so such a rate's net is
spread over its lines in proportion to their amounts (``line_nets``), to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from billing import accounts
from billing.models import LineKind
from oms.errors import ValidationFailed
from oms.models import VatCategory
from oms.money import CENT, ZERO, spread, to_decimal, vat_by_rate, vat_in_gross, vat_rates_on

MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE = Decimal("1000000.00")
MAX_LINES = 500


@dataclass(frozen=True)
class Line:
    position: int
    kind: str
    sku: str
    description: str
    quantity: int
    unit_price: Decimal
    discount_amount: Decimal
    vat_category: str
    vat_rate: Decimal
    net_amount: Decimal
    credits_line_id: int | None = None
    order_line_id: int | None = None


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    breakdown: dict[Decimal, dict[str, Decimal]]  # rate -> {"net", "vat", "gross"}
    prices_include_vat: bool = False

    def with_vat(self, vats: Mapping[Decimal, Decimal]) -> Totals:
        """These totals with the VAT of some rates replaced (a closing document takes what is
        left): excl. VAT the rate's net stays and its gross moves; incl. VAT the gross stays
        (the lines' amounts) and its net moves."""
        breakdown = {}
        for rate, row in self.breakdown.items():
            vat = vats.get(rate, row["vat"])
            if self.prices_include_vat:
                breakdown[rate] = {"net": row["gross"] - vat, "vat": vat, "gross": row["gross"]}
            else:
                breakdown[rate] = {"net": row["net"], "vat": vat, "gross": row["net"] + vat}
        return _from_breakdown(breakdown, self.prices_include_vat)


def _fail(message: str, code: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise _fail("Not an amount.", "invalid_amount", field) from exc
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise _fail("Amounts have at most two decimals.", "invalid_amount", field)
    if abs(amount) > MAX_UNIT_PRICE:
        raise _fail("Amount out of range.", "invalid_amount", field)
    return amount.quantize(CENT)


def _quantity(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise _fail("Quantities are whole numbers.", "invalid_quantity", field)
    try:
        quantity = int(str(value))
    except ValueError as exc:
        raise _fail("Quantities are whole numbers.", "invalid_quantity", field) from exc
    if not 0 < quantity <= MAX_QUANTITY:
        raise _fail(f"Quantity must be between 1 and {MAX_QUANTITY}.", "invalid_quantity", field)
    return quantity


def _text(value: Any, field: str, *, max_length: int, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _fail("This field is required.", "required", field)
    if len(text) > max_length:
        raise _fail(f"At most {max_length} characters.", "too_long", field)
    return text


def compute_line(raw: Mapping[str, Any], *, position: int, rates: dict[str, Decimal], zero_rated: bool) -> Line:
    """One input line -> its snapshot with net amount and VAT rate.

    Input keys: ``description``, ``quantity`` (> 0), ``unit_price`` (excl. VAT, may be negative
    for a voucher line), optional ``sku``, ``discount`` (an amount off the line, excl. VAT),
    ``vat_category`` (high/low/zero; its rate on the supply date applies), ``vat_rate`` (an
    explicit rate, for the rare supply whose rate is not the category's, e.g. an advance payment),
    ``kind`` (goods/shipping), ``order_line_id`` (the order line invoiced). ``zero_rated``
    (reverse charge, export) makes every rate 0.
    """
    field = f"lines.{position - 1}"
    quantity = _quantity(raw.get("quantity"), f"{field}.quantity")
    unit_price = _money(raw.get("unit_price"), f"{field}.unit_price")
    discount = _money(raw.get("discount") or ZERO, f"{field}.discount")
    gross_line = quantity * unit_price
    if discount < 0 or (discount > 0 and discount > gross_line):
        raise _fail("A discount is between 0 and the line amount.", "invalid_discount", f"{field}.discount")
    category = str(raw.get("vat_category") or VatCategory.HIGH)
    if category not in rates:
        raise _fail(f"Unknown VAT category '{category}'.", "invalid_vat_category", f"{field}.vat_category")
    rate = (
        _explicit_rate(raw.get("vat_rate"), f"{field}.vat_rate") if raw.get("vat_rate") is not None else rates[category]
    )
    kind = str(raw.get("kind") or LineKind.GOODS)
    if kind not in LineKind.values:
        raise _fail(f"Unknown line kind '{kind}'.", "invalid_kind", f"{field}.kind")
    return Line(
        position=position,
        kind=kind,
        sku=_text(raw.get("sku"), f"{field}.sku", max_length=64, required=False),
        description=_text(raw.get("description"), f"{field}.description", max_length=300, required=True),
        quantity=quantity,
        unit_price=unit_price,
        discount_amount=discount,
        vat_category=category,
        vat_rate=ZERO if zero_rated else rate,
        net_amount=gross_line - discount,
        order_line_id=raw.get("order_line_id"),
    )


def _explicit_rate(value: Any, field: str) -> Decimal:
    try:
        rate = to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise _fail("Not a VAT rate.", "invalid_vat_rate", field) from exc
    if not rate.is_finite() or not 0 <= rate < 100 or rate != rate.quantize(CENT):
        raise _fail("A VAT rate is a percentage from 0 to 99.99.", "invalid_vat_rate", field)
    return rate.quantize(CENT)


def compute_lines(raw_lines: Iterable[Mapping[str, Any]], *, supply_date: date, zero_rated: bool) -> list[Line]:
    raw = list(raw_lines or [])
    if not raw:
        raise _fail("An invoice needs at least one line.", "no_lines", "lines")
    if len(raw) > MAX_LINES:
        raise _fail(f"At most {MAX_LINES} lines.", "too_many_lines", "lines")
    rates = vat_rates_on(supply_date)
    return [compute_line(line, position=i, rates=rates, zero_rated=zero_rated) for i, line in enumerate(raw, 1)]


def totals_for(lines: Iterable[Line], *, prices_include_vat: bool = False) -> Totals:
    """VAT per rate over the invoice (half-up), then net + VAT = gross (``line.net_amount`` is
    the line's amount in the document's price basis)."""
    breakdown = vat_by_rate(((line.net_amount, line.vat_rate) for line in lines), prices_include_vat=prices_include_vat)
    return _from_breakdown(breakdown, prices_include_vat)


def _from_breakdown(breakdown: dict, prices_include_vat: bool) -> Totals:
    net = sum((row["net"] for row in breakdown.values()), ZERO)
    vat = sum((row["vat"] for row in breakdown.values()), ZERO)
    return Totals(net=net, vat=vat, gross=net + vat, breakdown=breakdown, prices_include_vat=prices_include_vat)


def line_nets(lines: list[Line], totals: Totals) -> list[Decimal]:
    """Each line's net for the ledger: its amount on a document excl. VAT; on one incl. VAT its
    part of its rate's net, in proportion to its amount (``oms.money.spread``), so the lines of a
    rate add up to the rate's net exactly and a voucher or discount line (negative) lowers the
    net by its share. A rate whose vouchers cancel its goods has a net of nil: the goods' lines
    share the net their own amounts hold and the vouchers take the same back, in proportion."""
    if not totals.prices_include_vat:
        return [line.net_amount for line in lines]
    nets = [ZERO] * len(lines)
    for rate, row in totals.breakdown.items():
        indexes = [i for i, line in enumerate(lines) if line.vat_rate.normalize() == rate.normalize()]
        amounts = [lines[i].net_amount for i in indexes]
        if row["net"] == 0 and sum(amounts, ZERO) == 0 and any(amounts):
            parts = _cancelled_nets(amounts, rate)
        else:
            parts = spread(row["net"], amounts)
        for i, part in zip(indexes, parts, strict=True):
            nets[i] = part
    return nets


def _cancelled_nets(amounts: list[Decimal], rate: Decimal) -> list[Decimal]:
    """Nets of a rate's lines incl. VAT that add up to nil: the positive lines share the net of
    their sum, the negative lines the same amount negated, each side in proportion."""
    goods = sum((a for a in amounts if a > 0), ZERO)
    net = goods - vat_in_gross(goods, rate)
    positive = iter(spread(net, [a for a in amounts if a > 0]))
    negative = iter(spread(-net, [a for a in amounts if a < 0]))
    return [next(positive) if a > 0 else next(negative) if a < 0 else ZERO for a in amounts]


def revenue_account(line: Line, *, reverse_charge: bool, export: bool, vat_country: str = "") -> str:
    if line.kind == LineKind.SHIPPING:
        return accounts.SHIPPING_REVENUE
    if reverse_charge:
        return accounts.REVENUE_INTRA_EU
    if export:
        return accounts.REVENUE_EXPORT
    if vat_country:
        return accounts.REVENUE_OSS
    return accounts.VAT_CATEGORY_ACCOUNTS[line.vat_category][0]


def vat_account(lines: Iterable[Line], rate: Decimal, vat_country: str = "") -> str | None:
    """The VAT payable account of a rate: that of the category its lines carry; another member
    state's VAT (OSS) goes to the one OSS account, the entry's memo naming the country."""
    if vat_country:
        return accounts.VAT_PAYABLE_OSS if rate else None
    for line in lines:
        if line.vat_rate == rate and line.vat_rate != 0:
            return accounts.VAT_CATEGORY_ACCOUNTS[line.vat_category][1] or accounts.VAT_PAYABLE_HIGH
    return None


def posting_legs(
    lines: list[Line],
    totals: Totals,
    *,
    customer_id: int,
    reverse_charge: bool,
    export: bool,
    memo: str,
    settled_to: str | None = None,
    vat_country: str = "",
) -> list[dict]:
    """The journal lines of an invoice (or, with negative amounts, a credit note): debit the
    receivable, credit revenue per account and VAT payable per rate. Signs pick the side.
    ``settled_to`` (an account code) books a cash sale: the gross goes straight to that money
    account instead of the customer's receivable. ``vat_country``: the VAT is that member
    state's (OSS): revenue and VAT go to the OSS accounts and the memo names the country."""
    if vat_country:
        memo = f"{memo} OSS {vat_country}"
    debit_key = (settled_to, None) if settled_to else (accounts.RECEIVABLES, customer_id)
    signed: dict[tuple[str, int | None], Decimal] = {debit_key: totals.gross}
    for line, net in zip(lines, line_nets(lines, totals), strict=True):
        key = (revenue_account(line, reverse_charge=reverse_charge, export=export, vat_country=vat_country), None)
        signed[key] = signed.get(key, ZERO) - net
    for rate, row in totals.breakdown.items():
        account = vat_account(lines, rate, vat_country)
        if account and row["vat"]:
            signed[(account, None)] = signed.get((account, None), ZERO) - row["vat"]
    return [
        {
            "account": account,
            "debit": amount if amount > 0 else ZERO,
            "credit": -amount if amount < 0 else ZERO,
            "customer": customer,
            "memo": memo,
        }
        for (account, customer), amount in signed.items()
        if amount
    ]
