"""A year of order history replayed from the UCI Online Retail data (data/online-retail/README.md).

Every UCI invoice of a known customer becomes an order: its lines (products of the demo
catalogue, quantities and unit prices from the data, pounds at the fixed rate inventory's
catalogue used, inventory/data/README.md), postage lines as the shipping charge, the date and
time shifted so that the data's last day falls ``END_DAYS_AGO`` days before today (yesterday, so
the revenue charts run up to today). An ordinary invoice is a delivered order (``completed`` once
paid; ``shipped`` while its delivery is still ahead); a ``C`` invoice (a cancellation or credit in
the data) is a cancelled order with the same lines.

This module reads the file and builds the rows in ``COPY``'s text format (``HistoryRows``);
``demo_orders`` reads the catalogue and customers and sends the rows.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from oms.i18n import part, part_n, render_english
from oms.money import ZERO, format_eur, gross_of, quantize, vat_rates_on
from orders import pricing
from orders.quotes import add_working_days

DATA_FILE = Path(settings.BASE_DIR) / "data" / "online-retail" / "online_retail.csv.gz"
GBP_TO_EUR = Decimal("1.15")  # the fixed demo rate of inventory's catalogue (inventory/data/README.md)
LAST_DAY = date(2011, 12, 9)  # the data's last invoice day
POSTAGE_CODES = {"POST", "DOT", "C2"}
OUTLIER = 10_000  # single lines above this are the data set's known mistaken orders


@dataclass
class DemoLine:
    sku: str
    quantity: int
    unit_price_gbp: Decimal


@dataclass
class DemoOrder:
    invoice: str
    customer_id: int  # the UCI CustomerID
    at: datetime  # naive, as in the file (shift it with ``shifted``)
    cancelled: bool
    lines: list[DemoLine] = field(default_factory=list)
    postage_gbp: Decimal = Decimal("0")

    @property
    def reference(self) -> str:
        return f"UCI-{self.invoice}"


def _parse(row: dict) -> tuple[str, int, Decimal] | None:
    code = row["StockCode"].strip().upper()
    try:
        quantity = abs(int(row["Quantity"]))
        price = Decimal(row["UnitPrice"])
    except (ValueError, InvalidOperation):
        return None
    if quantity == 0 or price <= 0 or quantity > OUTLIER:
        return None
    return code, quantity, price


def read_orders(path: Path = DATA_FILE, *, since: date | None = None) -> list[DemoOrder]:
    """The UCI invoices that have a customer, in order of their first line (the file is in date
    order; a few invoices come back later in it and are joined); ``since`` skips earlier days
    of the data's own calendar. Lines of every code but postage are kept: ``demo_orders``
    drops the SKUs its catalogue does not sell."""
    orders: dict[str, DemoOrder] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            invoice, customer = row["InvoiceNo"], row["CustomerID"]
            if not customer:
                continue
            order = orders.get(invoice)
            if order is None:
                at = datetime.strptime(row["InvoiceDate"], "%Y-%m-%d %H:%M:%S")
                order = orders[invoice] = DemoOrder(invoice, int(float(customer)), at, invoice.startswith("C"))
            parsed = _parse(row)
            if parsed is None:
                continue
            code, quantity, price = parsed
            if code in POSTAGE_CODES:
                order.postage_gbp += quantity * price
            else:
                order.lines.append(DemoLine(code, quantity, price))
    return [order for order in orders.values() if not since or order.at.date() >= since]


def shift_days(today: date, end_days_ago: int) -> timedelta:
    """How far the data's calendar moves so that its last day is ``end_days_ago`` before today."""
    return (today - timedelta(days=end_days_ago)) - LAST_DAY


def eur(gbp: Decimal) -> Decimal:
    """Pounds to euros at the demo rate, half-up to cents (as the catalogue's prices)."""
    return quantize(gbp * GBP_TO_EUR)


# --- rows for COPY --------------------------------------------------------------------------------

ORDER_COLUMNS = (
    "id channel customer_id status billing_address shipping_address payment_method ship_complete vat_regime "
    "prices_include_vat currency net_amount shipping_amount shipping_vat_rate vat_amount gross_amount amount_paid "
    "supply_date "
    "promised_delivery_date first_delivery_date carrier_code service_code external_reference notes entered_by_id "
    "placed_at created_at updated_at"
).split()
LINE_COLUMNS = (
    "id order_id line_no product_id sku name vat_category vat_rate unit_price discount_percent quantity "
    "quantity_allocated quantity_backordered quantity_shipped quantity_returned line_total is_cancelled"
).split()
ALLOCATION_COLUMNS = "order_line_id stock_level_id warehouse_id quantity status created_at updated_at".split()
EVENT_COLUMNS = "order_id kind message data user_id created_at".split()

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
DELIVERED_DAYS = 21  # orders delivered this recently are "delivered", older ones "completed" (paid)
SAME_DAY_DISPATCH_HOURS = 3
UNPAID_METHODS = {"on_account", "bank_transfer"}
CHANNEL_LABELS = {"web": "Webshop", "phone": "Phone", "b2b": "B2B"}  # orders.models.Channel's msgids


def text(value) -> str:
    """A value in COPY's text format: tab-separated, backslash escapes, ``\\N`` for NULL."""
    if value is None:
        return "\\N"
    if isinstance(value, dict):
        value = json.dumps(value)
    return str(value).translate(_ESCAPES)


@dataclass
class Customer:
    """What the replay needs of a demo customer."""

    id: int
    is_b2b: bool
    vat_id: str
    payment_method: str
    payment_terms_days: int
    shipping: dict
    billing: dict


@dataclass
class Product:
    id: int
    sku: str
    name: str
    vat_category: str
    # warehouse id -> stock level id, in the order the replay spreads shipments over
    levels: list[tuple[int, int]]


class HistoryRows:
    """The rows of replayed orders for the four tables, as COPY text, written one order at a
    time. Ids are given (from the tables' sequences); order numbers are left to the column's
    database default, so they follow the order the rows are written in."""

    def __init__(self, *, shift: timedelta, now: datetime, agent_id: int | None):
        self.shift, self.now, self.agent_id = shift, now, agent_id
        self.orders, self.lines, self.allocations, self.events = (io.StringIO() for _ in range(4))
        self.order_count = self.line_count = 0
        self._rates: dict = {}
        self._json: dict = {}

    def tables(self) -> list[tuple[str, list[str], io.StringIO]]:
        """(table, columns, rows) in the order they must be copied."""
        return [
            ("orders_order", ORDER_COLUMNS, self.orders),
            ("orders_orderline", LINE_COLUMNS, self.lines),
            ("orders_allocation", ALLOCATION_COLUMNS, self.allocations),
            ("orders_orderevent", EVENT_COLUMNS, self.events),
        ]

    def add(self, order_id: int, order: DemoOrder, customer: Customer, products: dict, line_ids) -> None:
        placed = timezone.make_aware(order.at + self.shift)
        regime = pricing.vat_regime(
            is_b2b=customer.is_b2b, vat_id=customer.vat_id, ship_country=customer.shipping.get("country", "NL")
        )
        rates = self._rates_for(placed.date(), regime)
        channel = "b2b" if customer.is_b2b else ("phone" if order_id % 6 == 0 else "web")
        incl = pricing.prices_include_vat(is_b2b=customer.is_b2b, channel=channel)
        lines = [
            self._line(next(line_ids), order_id, number, line, products[line.sku], rates, order.cancelled, incl)
            for number, line in enumerate(order.lines, 1)
        ]
        totals = pricing.order_totals(
            ((total, rate) for _, _, total, rate in lines),
            eur(order.postage_gbp),
            rates["high"],
            prices_include_vat=incl,
        )
        status, times = self._status(order, placed, customer)
        paid = totals.gross if status == "completed" or (
            status in ("delivered", "shipped") and customer.payment_method not in UNPAID_METHODS
        ) else ZERO  # fmt: skip
        self._order(order_id, order, customer, channel, status, (regime, incl), rates["high"], totals, paid, times)
        if not order.cancelled:
            self._allocations(order_id, lines, times["shipped"])
        self._timeline(order_id, order, channel, totals, times)
        self.order_count += 1
        self.line_count += len(lines)

    def _rates_for(self, day: date, regime: str) -> dict:
        key = (day, regime)
        if key not in self._rates:
            rates = vat_rates_on(day)
            self._rates[key] = {category: pricing.rate_for(category, rates, regime) for category in rates}
        return self._rates[key]

    def _line(self, line_id, order_id, number, line: DemoLine, product: Product, rates, cancelled, incl) -> tuple:
        rate = rates[product.vat_category]
        # A consumer pays the shelf price: the data's price plus the VAT of its category.
        price = gross_of(eur(line.unit_price_gbp), rate) if incl else eur(line.unit_price_gbp)
        total = pricing.line_total(line.quantity, price)
        allocated = 0 if cancelled else line.quantity
        self.lines.write(
            f"{line_id}\t{order_id}\t{number}\t{product.id}\t{product.sku}\t{product.name}\t{product.vat_category}\t"
            f"{rate}\t{price}\t0\t{line.quantity}\t{allocated}\t{line.quantity - allocated}\t{allocated}\t0\t"
            f"{total}\t{'t' if cancelled else 'f'}\n"
        )
        return line_id, (product, line.quantity), total, rate

    def _status(self, order: DemoOrder, placed: datetime, customer: Customer) -> tuple[str, dict]:
        if order.cancelled:
            return "cancelled", {"placed": placed, "cancelled": placed + timedelta(hours=2)}
        ship_day = add_working_days(placed.date(), 1)
        shipped = timezone.make_aware(datetime.combine(ship_day, time(16, 0)))
        if shipped > self.now:  # the history's last days: dispatched the same day, not tomorrow
            shipped = min(placed + timedelta(hours=SAME_DAY_DISPATCH_HOURS), self.now)
        delivered = shipped + timedelta(hours=20)
        if delivered > self.now:  # on its way
            return "shipped", {"placed": placed, "shipped": shipped}
        times = {"placed": placed, "shipped": shipped, "delivered": delivered}
        if delivered > self.now - timedelta(days=DELIVERED_DAYS):
            return "delivered", times
        terms = min(customer.payment_terms_days, 14) if customer.payment_method in UNPAID_METHODS else 0
        return "completed", {**times, "completed": delivered + timedelta(days=terms, hours=1)}

    def _order(self, order_id, order, customer, channel, status, basis, shipping_rate, totals, paid, times) -> None:
        regime, incl = basis
        promised = add_working_days(order.at.date() + self.shift, 2)
        agent = self.agent_id if channel == "phone" else None
        values = [
            order_id, channel, customer.id, status, self._address(customer.billing or customer.shipping),
            self._address(customer.shipping), customer.payment_method, "f", regime, "t" if incl else "f", "EUR",
            totals.net,
            totals.shipping, shipping_rate, totals.vat, totals.gross, paid, times["placed"].date(), promised,
            promised, "", "", text(order.reference), "", text(agent), times["placed"], times["placed"],
            max(times.values()),
        ]  # fmt: skip
        self.orders.write("\t".join(map(str, values)) + "\n")

    def _address(self, address: dict) -> str:
        key = id(address)
        if key not in self._json:
            self._json[key] = text(address)
        return self._json[key]

    def _allocations(self, order_id: int, lines: list, shipped: datetime) -> None:
        at = str(shipped)
        for line_id, (product, quantity), _, _ in lines:
            warehouse_id, level_id = product.levels[order_id % len(product.levels)]
            self.allocations.write(f"{line_id}\t{level_id}\t{warehouse_id}\t{quantity}\tissued\t{at}\t{at}\n")

    def _timeline(self, order_id: int, order: DemoOrder, channel: str, totals, times: dict) -> None:
        """The rows the services would have written, with the same pieces (``oms.i18n.part``),
        so that the timeline reads in the reader's language."""
        count = len(order.lines)
        gross = format_eur(totals.gross).replace("\u00a0", " ")
        agent = self.agent_id if channel == "phone" else None
        placed = part(
            gettext_noop("Placed via %(channel)s: %(lines)s, %(gross)s; %(stock)s."),
            channel=part(CHANNEL_LABELS[channel]),
            lines=part_n(gettext_noop("%(count)s line"), gettext_noop("%(count)s lines"), count),
            gross=gross,
            stock=part(gettext_noop("everything reserved")),
        )
        data = {"channel": channel, "lines": count, "gross": str(totals.gross)}
        self._event(order_id, "placed", placed, data, agent, times["placed"])
        if order.cancelled:
            cancelled = part(gettext_noop("Cancelled: %(reason)s."), reason=f"UCI credit note {order.invoice}")
            self._event(order_id, "cancelled", cancelled, {}, None, times["cancelled"])
            return
        units = sum(line.quantity for line in order.lines)
        shipped = part(
            gettext_noop("Shipped %(lines)s; everything has shipped."),
            lines=part_n(gettext_noop("%(count)s unit"), gettext_noop("%(count)s units"), units),
        )
        self._event(order_id, "shipped", shipped, {}, None, times["shipped"])
        if "delivered" in times:
            self._event(order_id, "delivered", "Delivered.", {}, None, times["delivered"])
        if "completed" in times:
            self._event(order_id, "completed", "Delivered and paid.", {}, None, times["completed"])

    def _event(self, order_id, kind, message, data, user, at) -> None:
        if isinstance(message, dict):
            message, data = render_english(message), {**data, "message_parts": message}
        self.events.write(f"{order_id}\t{kind}\t{text(message)}\t{text(data)}\t{text(user)}\t{at}\n")
