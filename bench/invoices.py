"""Invoices issued per second, and invoice PDFs rendered per second by one and by two Celery
worker processes.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/invoices.py
        [--invoices 500] [--threads 4] [--pdfs 60] [--keep]

Issued invoices cannot be deleted, so the benchmark works in a scratch database of its own,
``<your database>_bench`` on the same server (created, migrated, and dropped at the end unless
``--keep``). Issuing is timed through ``billing.services.invoice_issue`` (three lines, two VAT
rates, a committed transaction each, delivery paused) on one thread and on ``--threads``
threads (they queue on the yearly counter row: numbers are gapless). Rendering is timed from
queueing ``billing.tasks.invoice_pdf_render`` (render only, no e-mail) until every PDF is
stored, with workers started beforehand (``--pool=solo``, so one process renders one PDF at a
time); the in-process WeasyPrint time per PDF is printed for comparison.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scratch_database(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/") + "_bench"
    return name, urlunparse(parsed._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    connection = psycopg2.connect(urlunparse(urlparse(url)._replace(path="/postgres")))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()


def setup(url: str, media: str) -> None:
    name, bench_url = scratch_database(url)
    _admin(url, f'DROP DATABASE IF EXISTS "{name}"')
    _admin(url, f'CREATE DATABASE "{name}"')
    os.environ.update(
        DATABASE_URL=bench_url,
        DJANGO_SETTINGS_MODULE="oms.settings.base",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        MEDIA_ROOT=media,
        CONN_MAX_AGE="0",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


LINES = [
    {"description": "Mok rood", "sku": "MUG-RED", "quantity": 2, "unit_price": "8.26", "vat_category": "high"},
    {"description": "Koffiebonen 1 kg", "sku": "COF-1KG", "quantity": 1, "unit_price": "14.50", "vat_category": "low"},
    {"description": "Verzending", "quantity": 1, "unit_price": "4.09", "kind": "shipping"},
]


def _customers(count: int):
    from customers.services import customer_create

    return [
        customer_create(
            kind="b2c",
            name=f"Bench Klant {i}",
            email=f"bench{i}@example.nl",
            user=None,
            addresses=[
                {
                    "kind": "billing",
                    "street": "Kerkstraat",
                    "house_number": str(i + 1),
                    "postal_code": "1017 GC",
                    "city": "Amsterdam",
                }
            ],
        )
        for i in range(count)
    ]


def issue_rate(count: int, threads: int, customers) -> float:
    from django.db import connection

    from billing.services import delivery, invoice_issue

    per_thread = count // threads

    def work(offset: int) -> None:
        with delivery.paused():
            for i in range(per_thread):
                invoice_issue(
                    customer=customers[(offset + i) % len(customers)], lines=LINES, supply_date=date.today(), user=None
                )
        connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return per_thread * threads / (time.perf_counter() - started)


def render_rate(count: int, processes: int, customers) -> float:
    from billing.models import Invoice
    from billing.services import delivery, invoice_issue
    from billing.tasks import invoice_pdf_render
    from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until

    with delivery.paused():
        ids = [
            invoice_issue(customer=customers[i % len(customers)], lines=LINES, supply_date=date.today(), user=None).pk
            for i in range(count)
        ]
    queue = new_queue()
    broker = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    # Worker processes with the solo pool on one queue (they share a node name, which only
    # matters for remote control, switched off here).
    workers = [Worker(queue, broker).start() for _ in range(processes)]
    try:
        with use_broker(broker, queue):
            started = time.perf_counter()
            for invoice_id in ids:
                invoice_pdf_render.apply_async(kwargs={"invoice_id": invoice_id, "send": False})
            done = wait_until(
                lambda: not Invoice.objects.filter(pk__in=ids, pdf="").exists(), timeout=600, interval=0.05
            )
            elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.stop()
    if not done:
        raise SystemExit("the workers did not render every PDF in time:\n" + "".join(workers[0].log[-30:]))
    return count / elapsed


def inline_render_seconds(customers) -> float:
    from billing import documents, selectors
    from billing.services import delivery, invoice_issue

    with delivery.paused():
        invoice = invoice_issue(customer=customers[0], lines=LINES, supply_date=date.today(), user=None)
    document = selectors.invoice_document(invoice.pk)
    documents.invoice_pdf_bytes(document)  # fonts and styles warm
    started = time.perf_counter()
    for _ in range(10):
        documents.invoice_pdf_bytes(document)
    return (time.perf_counter() - started) / 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pdfs", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL (a PostgreSQL server where a scratch database may be created)")
    media = tempfile.mkdtemp(prefix="oms-bench-media-")
    setup(url, media)
    try:
        customers = _customers(20)
        print(f"cores: {os.cpu_count()}")
        print(f"issue, 1 thread:  {issue_rate(args.invoices, 1, customers):7.1f} invoices/s")
        print(f"issue, {args.threads} threads: {issue_rate(args.invoices, args.threads, customers):7.1f} invoices/s")
        print(f"render in-process: {1 / inline_render_seconds(customers):6.1f} PDFs/s (WeasyPrint alone)")
        for processes in (1, 2):
            print(f"render, {processes} worker(s): {render_rate(args.pdfs, processes, customers):6.1f} PDFs/s")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _admin(url, f'DROP DATABASE IF EXISTS "{scratch_database(url)[0]}"')


if __name__ == "__main__":
    main()
