"""Derive ``uci_products.csv`` from the UCI Online Retail invoice lines (run once; the result is
committed). Usage::

    python inventory/data/derive_catalogue.py /path/to/online_retail.csv.gz > inventory/data/uci_products.csv

Rules (see README.md beside this file): products are the stock codes of five digits plus an
optional letter suffix (postage, fees, discounts, vouchers and samples are dropped, and so
are the few five-digit codes whose description says voucher, carriage or image); codes that
differ only in letter case are one product; the description is the one on the most recent sale;
the price is the most common unit price over the sales (quantity > 0, price > 0, not a ``C``
credit invoice), in GBP as in the source; ``units_sold`` sums the sold quantities (single lines
over 10,000 units, the data set's known mistaken orders, are left out).
"""

import csv
import gzip
import re
import sys
from collections import Counter, defaultdict
from decimal import Decimal

PRODUCT_CODE = re.compile(r"^\d{5}[A-Za-z]*$")
# A few five-digit codes are services, not goods.
NOT_GOODS = re.compile(r"voucher|carriage|high resolution image", re.IGNORECASE)
OUTLIER = 10_000


def derive(path: str) -> list[dict]:
    prices: dict[str, Counter] = defaultdict(Counter)
    sold: Counter = Counter()
    lines: Counter = Counter()
    description: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["StockCode"].strip()
            if not PRODUCT_CODE.match(code):
                continue
            sku, quantity, price = code.upper(), int(row["Quantity"]), Decimal(row["UnitPrice"])
            if row["InvoiceNo"].startswith("C") or quantity <= 0 or price <= 0:
                continue
            prices[sku][price] += 1
            lines[sku] += 1
            if quantity <= OUTLIER:
                sold[sku] += quantity
            if row["Description"].strip():
                # File order is chronological, so the last one seen is the most recent.
                description[sku] = " ".join(row["Description"].strip(" *").split())
    return [
        {
            "sku": sku,
            "description": description[sku],
            "unit_price_gbp": str(max(prices[sku].items(), key=lambda item: (item[1], item[0]))[0]),
            "units_sold": sold[sku],
            "sales_lines": lines[sku],
        }
        for sku in sorted(prices)
        if sku in description and not NOT_GOODS.search(description[sku])
    ]


if __name__ == "__main__":
    rows = derive(sys.argv[1])
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
