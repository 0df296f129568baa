"""Payments recorded per second (each one invoicing its prepaid web order), repeats of a
recorded payment per second, and counter sales per second.

    DATABASE_URL=postgres://... .venv/bin/python bench/payments.py [--orders 300] [--threads 4] [--sales 100]

Works in a scratch database (``<your database>_bench``, as ``bench/invoices.py``), dropped at the
end unless ``--keep``. Orders are placed beforehand (not timed) on orders' own flat-rate quote
backend. ``payment_record`` is timed for a paid-in-full iDEAL payment per order: the payment and
its posting, the order told (one committed transaction), then what the worker does after it,
here in the same thread: the ``payment.received`` handler issues the order's invoice (delivery
paused) and applies the credit to it (a second transaction), on one thread and on ``--threads`` threads (customers
differ; the invoices queue on the yearly counter row). Repeats answer from the unique
reference. A counter sale is two transactions: placing the store order, then issuing its stock,
the cash-sale invoice, the payment and completing the order. It also prints the statements one
payment sends, and those of issuing its invoice; ``bench/counter_payments.py`` measures the screens at volume.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMS_DELIVERY_QUOTE_BACKEND", "orders.quotes.quote_delivery")

from bench.invoices import _admin, _customers, scratch_database, setup  # noqa: E402

ADDRESS = {"street": "Kerkstraat", "house_number": "1", "postal_code": "1017 GC", "city": "Amsterdam", "country": "NL"}


def _catalogue(units: int) -> None:
    from inventory.services import product_upsert, stock_receive, warehouse_upsert

    warehouse, _ = warehouse_upsert(code="AMS", name="Amsterdam", postal_code="1012 AB", city="Amsterdam", priority=1)
    for sku, price, category in (("MUG-RED", "8.26", "high"), ("BOOK-1", "20.00", "low")):
        product, _ = product_upsert(sku=sku, name=sku.title(), list_price=price, vat_category=category)
        stock_receive(product_id=product.pk, warehouse_id=warehouse.pk, quantity=units, reference="bench")


def _orders(count: int, customers) -> list:
    from orders.services import order_place

    return [
        order_place(
            channel="web",
            customer=customers[i % len(customers)],
            lines=[{"sku": "MUG-RED", "quantity": 2}, {"sku": "BOOK-1", "quantity": 1}],
            shipping_address=ADDRESS,
            payment_method="ideal",
            user=None,
        )
        for i in range(count)
    ]


def _run(threads: int, items: list, work) -> float:
    from django.db import connection

    def run(part: list) -> None:
        for item in part:
            work(item)
        connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(items[t::threads],)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(items) / (time.perf_counter() - started)


def _invoice_it(order) -> None:
    """What the worker does after the payment commits: the order's ``payment.received`` handler
    issues its invoice (in its own transaction)."""
    from oms import events
    from oms.models import OutboxEvent, OutboxStatus

    pending = OutboxEvent.objects.filter(
        name="payment.received", payload__order_id=order.pk, status=OutboxStatus.PENDING
    )
    for event_id in pending.values_list("id", flat=True):
        events.dispatch(event_id)


def payment_rate(orders: list, threads: int, prefix: str) -> float:
    from billing.services import delivery, payment_record

    def pay(order) -> None:
        with delivery.paused():
            payment_record(
                order=order, method="ideal", amount=order.gross_amount, reference=f"{prefix}{order.pk}", user=None
            )
            _invoice_it(order)

    return _run(threads, orders, pay)


def queries_of(call) -> int:
    """The statements one call sends (savepoints included; the COMMIT is not counted)."""
    from django.db import connection

    executed: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *args: executed.append(sql) or execute(sql, *args)):
        call()
    return len(executed)


def payment_queries(order, prefix: str) -> tuple[int, int]:
    """The statements of the payment (the request) and of issuing its invoice (the worker's
    ``payment.received`` handler, with the outbox's own bookkeeping)."""
    from billing.services import delivery, payment_record

    def pay() -> None:
        payment_record(
            order=order, method="ideal", amount=order.gross_amount, reference=f"{prefix}{order.pk}", user=None
        )

    with delivery.paused():
        return queries_of(pay), queries_of(lambda: _invoice_it(order))


def counter_rate(count: int) -> float:
    from billing.services import counter_sale, delivery

    def sell(_) -> None:
        with delivery.paused():
            counter_sale(lines=[{"sku": "MUG-RED", "quantity": 1}], method="cash", tendered="20.00", user=None)

    return _run(1, list(range(count)), sell)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--sales", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL (a PostgreSQL server where a scratch database may be created)")
    setup(url, tempfile.mkdtemp(prefix="oms-bench-media-"))
    try:
        from oms.invariants import violations

        customers = _customers(40)
        _catalogue(units=10 * (args.orders * 2 + args.sales))
        first, second = _orders(args.orders, customers), _orders(args.orders, customers)
        probe = _orders(2, customers)
        print(f"cores: {os.cpu_count()}")
        payment_queries(probe[0], "tr_q")  # the year's first invoice creates its counter row
        request, worker = payment_queries(probe[1], "tr_q")
        print(f"queries of one payment: {request}; of issuing its invoice on the worker: {worker}")
        print(f"payment + invoice, 1 thread:  {payment_rate(first, 1, 'tr_a'):7.1f} payments/s")
        print(
            f"payment + invoice, {args.threads} threads: {payment_rate(second, args.threads, 'tr_b'):7.1f} payments/s"
        )
        print(f"repeated payment (answered):  {payment_rate(first, 1, 'tr_a'):7.1f} repeats/s")
        print(f"counter sale, 1 thread:       {counter_rate(args.sales):7.1f} sales/s")
        found = violations()
        print("invariants:", "all hold" if not found else found)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _admin(url, f'DROP DATABASE IF EXISTS "{scratch_database(url)[0]}"')


if __name__ == "__main__":
    main()
