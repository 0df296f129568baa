"""Delivery-quote throughput and latency: a 10-line request through ``shipping.quotes.quote_delivery``.

    DATABASE_URL=postgres://... .venv/bin/python bench/delivery_quote.py [--seconds 10]

Loads the demo carriers and holidays (``demo_shipping``, idempotent), then inside a transaction
that is rolled back at the end: two warehouses and ten products, eight in stock and two short
with an expected receipt. Prints quotes per second, p50/p95/p99 latency and queries per quote,
for the full backend and for the pure planner alone (the same request on preloaded data).

Then the quote as order placement asks it, for shipping's backend (what ships) and orders'
flat-rate stand-in side by side: every line with its allocations (placement reserves first),
inside one ``stamps_read_once`` block (placement's stamps ride on its products' read, so the
quote reads nothing). The difference between those two rows is what the shipped quote adds to
an order's CPU, which ``bench/order_intake.py``'s server runs are too noisy to show.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from datetime import date, datetime
from datetime import time as clock
from decimal import Decimal
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.base")
os.environ.setdefault("DEBUG", "false")  # as it ships: no query log behind every statement

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from inventory import services as inventory_services  # noqa: E402
from inventory.selectors import product_weights  # noqa: E402
from oms.delivery import QuoteLine, QuoteRequest  # noqa: E402
from oms.reference_cache import stamps_read_once  # noqa: E402
from orders import quotes as flat_quotes  # noqa: E402
from shipping.promise import build_quote  # noqa: E402
from shipping.quotes import promise_data_load, quote_delivery  # noqa: E402

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def _setup() -> QuoteRequest:
    ams, _ = inventory_services.warehouse_upsert(code="BQAMS", name="Bench AMS", cutoff_time=clock(15), priority=1)
    til, _ = inventory_services.warehouse_upsert(code="BQTIL", name="Bench TIL", cutoff_time=clock(17), priority=2)
    lines = []
    for n in range(10):
        product, _ = inventory_services.product_upsert(
            sku=f"BENCH-Q-{n:02d}", name=f"Bench {n}", list_price=Decimal("9.95"), vat_category="high",
            weight_grams=300 + 50 * n,
        )  # fmt: skip
        if n < 8:
            inventory_services.stock_receive(product_id=product.pk, warehouse_id=ams.pk, quantity=50, reference="bench")
        else:
            inventory_services.expected_receipt_set(
                reference="PO-BENCH", product_id=product.pk, warehouse_id=til.pk, quantity=40,
                expected_date=date(2026, 12, 2),
            )  # fmt: skip
        lines.append(QuoteLine(product.pk, 1 + n % 3))
    return QuoteRequest(
        lines=tuple(lines), country="NL", postal_code="9711 AB", order_net=Decimal("42.00"), now=NOW,
        warehouse_ids=(ams.pk, til.pk),
    )  # fmt: skip


def _time(fn, seconds: float) -> list[float]:
    for _ in range(20):  # warm up connections, caches and the query compiler
        fn()
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def _report(name: str, samples: list[float]) -> None:
    cuts = statistics.quantiles(samples, n=100)
    print(
        f"{name:<22} {len(samples) / sum(samples):8.0f} quotes/s   p50 {cuts[49] * 1000:6.2f} ms   "
        f"p95 {cuts[94] * 1000:6.2f} ms   p99 {cuts[98] * 1000:6.2f} ms   ({len(samples)} quotes)"
    )


def _placement_rows(request: QuoteRequest, seconds: float) -> None:
    """Both backends on the request order placement makes: lines allocated in full from the
    first warehouse and carrying their products' weights (placement has read the products),
    reference stamps already read."""
    weights = product_weights([line.product_id for line in request.lines])
    allocated = replace(
        request,
        lines=tuple(
            replace(
                line,
                weight_grams=weights[line.product_id],
                allocations=((request.warehouse_ids[0], line.quantity),),
            )
            for line in request.lines
        ),
        warehouse_ids=None,
    )
    backends = (("placement: shipped", quote_delivery), ("placement: FLAT stand-in", flat_quotes.quote_delivery))
    with stamps_read_once():
        for name, backend in backends:
            backend(allocated)  # each backend's own per-process caches warm, as in a running worker
            with CaptureQueriesContext(connection) as queries:
                backend(allocated)
            _report(name, _time(lambda backend=backend: backend(allocated), seconds))
            print(f"{'':<22} {len(queries)} queries per quote")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    call_command("demo_shipping", stdout=StringIO())
    with transaction.atomic():
        request = _setup()
        with CaptureQueriesContext(connection) as queries:
            quote = quote_delivery(request)
        print(f"10-line quote: {quote.carrier_code}/{quote.service_code} {quote.shipping_net} EUR, ships "
              f"{quote.ship_date}, first parcel {quote.first_delivery_date}, all by {quote.delivery_date}; "
              f"{len(queries)} queries")  # fmt: skip
        _report("quote_delivery (DB)", _time(lambda: quote_delivery(request), args.seconds))
        data = promise_data_load(request)
        _report("build_quote (pure)", _time(lambda: build_quote(request, data), args.seconds / 2))
        _placement_rows(request, args.seconds / 2)
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
