"""Demo invoices from the UCI Online Retail data (data/online-retail/README.md).

Each of the first UCI invoices of a demo customer (``uci:<CustomerID>``) becomes an invoice:
its lines with StockCode, description, quantity and unit price (pounds read as euros, rounded
to cents; prices taken as excluding VAT), postage codes as shipping lines, and food and drink
at the low VAT rate. The invoices are dated over the last months in file order, so the numbers
follow the dates and the receivables screen has something in every ageing bucket.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings

DATA_FILE = Path(settings.BASE_DIR) / "data" / "online-retail" / "online_retail.csv.gz"
SHIPPING_CODES = {"POST", "DOT", "C2"}
SKIPPED_CODES = {"M", "m", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS"}
LOW_RATE = re.compile(r"\b(CAKE|TEA|COFFEE|SWEETS?|CHOCOLATE|BISCUITS?|JAM|SUGAR|HONEY|CANDY)\b")
MAX_LINES = 30


@dataclass
class DemoInvoice:
    number: str
    customer_ref: str
    lines: list[dict] = field(default_factory=list)


def _line(row: dict) -> dict | None:
    code = row["StockCode"].strip()
    if code in SKIPPED_CODES or code.startswith(("gift_", "DCGS")):
        return None
    try:
        quantity = int(row["Quantity"])
        price = Decimal(row["UnitPrice"]).quantize(Decimal("0.01"))
    except (ValueError, InvalidOperation):
        return None
    if quantity <= 0 or price <= 0:
        return None
    description = (row["Description"] or "").strip() or code
    shipping = code in SHIPPING_CODES
    return {
        "sku": "" if shipping else code[:64],
        "description": description[:300].capitalize(),
        "quantity": quantity,
        "unit_price": price,
        "vat_category": "low" if LOW_RATE.search(description.upper()) else "high",
        "kind": "shipping" if shipping else "goods",
    }


def read_invoices(limit: int, path: Path = DATA_FILE) -> Iterator[DemoInvoice]:
    """The first ``limit`` UCI invoices (not cancellations) that have a customer, in file order."""
    current: DemoInvoice | None = None
    count = 0
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            number, customer = row["InvoiceNo"], row["CustomerID"]
            if number.startswith("C") or not customer:
                continue
            if current is None or current.number != number:
                if current is not None and current.lines:
                    yield current
                    count += 1
                    if count >= limit:
                        return
                current = DemoInvoice(number=number, customer_ref=f"uci:{int(float(customer))}")
            line = _line(row)
            if line and len(current.lines) < MAX_LINES:
                current.lines.append(line)
    if current is not None and current.lines and count < limit:
        yield current
