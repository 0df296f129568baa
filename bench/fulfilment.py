"""Fulfilment throughput: the pick queue, pick lists, packing, the carrier hand-off and tracking.

    DATABASE_URL=postgres://... .venv/bin/python bench/fulfilment.py [--orders 300]

Works in a throw-away database (``<name>_bench``, created, migrated and dropped), because the
hand-off commits on purpose (it must not talk to a carrier inside a transaction). The carrier is
the tests' fake API on 127.0.0.1 (``tests/shipping/fake_carrier.py``); tasks run inline.

Prints, for ``--orders`` placed orders of three lines: the pick queue's first page (time and
queries), a pick list of 50 orders, packing (open, three scans, close) per order, hand-off per
shipment (HTTP to the fake carrier, label stored, stock issued, events, and inline the
invoice billing issues for the shipped units, without its PDF), and tracking reports
per second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.base")
os.environ.pop("REDIS_URL", None)  # tasks inline: the numbers are the services', not the broker's
os.environ["OMS_TASKS_INLINE"] = "1"
os.environ.setdefault("EMAIL_URL", "memorymail://")  # the notices are sent, to memory: no console dump

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from billing.services import delivery as invoice_delivery  # noqa: E402
from customers.models import Customer  # noqa: E402
from inventory import services as inventory_services  # noqa: E402
from oms.reference import ensure_reference_data  # noqa: E402
from orders import services as order_services  # noqa: E402
from shipping import selectors as carrier_selectors  # noqa: E402
from shipping import services as carrier_services  # noqa: E402
from shipping.models import CarrierKind, Shipment  # noqa: E402
from shipping.selectors import fulfilment as selectors  # noqa: E402
from shipping.services import handoff, notices, packing, picking, tracking  # noqa: E402
from tests.shipping.fake_carrier import FakeCarrier  # noqa: E402


def _setup(orders: int, carrier_url: str):
    ensure_reference_data()
    warehouse, _ = inventory_services.warehouse_upsert(code="BFAMS", name="Bench AMS", priority=1)
    skus = []
    for n in range(30):
        product, _ = inventory_services.product_upsert(
            sku=f"BF-{n:03d}", name=f"Bench item {n}", list_price=Decimal("9.95"), vat_category="high",
            weight_grams=200 + 20 * n,
        )  # fmt: skip
        inventory_services.stock_receive(product_id=product.pk, warehouse_id=warehouse.pk, quantity=10_000,
                                         reference="bench")  # fmt: skip
        skus.append(product.sku)
    carrier = carrier_services.carrier_save(user=None, code="benchpost", name="BenchPost", kind=CarrierKind.EXTERNAL,
                                            api_endpoint=carrier_url, api_key="k")  # fmt: skip
    service = carrier_services.service_level_save(user=None, carrier_id=carrier.pk, code="std", name="Std",
                                                  transit_days=1)  # fmt: skip
    carrier_services.rates_set(user=None, service_id=service.pk, zone="nl", brackets=[(30_000, Decimal("5.95"))])
    customer = Customer.objects.create(number="C-BENCH", name="Bench Klant", email="bench@example.nl")
    address = {"street": "Oudegracht", "house_number": "1", "postal_code": "3511 AB", "city": "Utrecht"}
    for n in range(orders):
        lines = [{"sku": skus[(n + k) % len(skus)], "quantity": 1 + k} for k in range(3)]
        order_services.order_place(
            channel="web",
            customer=customer,
            lines=lines,
            user=None,
            shipping_address=address,
            payment_method="bank_transfer",
        )  # by bank transfer: iDEAL orders wait for their payment before picking
    return warehouse, carrier


def _timed(label: str, samples: list[float], unit: str = "ms") -> None:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if len(ordered) > 1 else ordered[0]
    print(f"{label:<34} n={len(samples):<4} mean {statistics.mean(samples) * 1000:7.1f} {unit}"
          f"  p95 {p95 * 1000:7.1f} {unit}  ({len(samples) / sum(samples):6.1f}/s)")  # fmt: skip


def run(orders: int) -> None:
    server = FakeCarrier().start()
    try:
        with notices.paused():
            started = time.perf_counter()
            warehouse, carrier = _setup(orders, server.url)
            print(f"setup: {orders} orders of 3 lines placed in {time.perf_counter() - started:.1f} s")
            _measure(warehouse, carrier, server)
    finally:
        server.stop()


def _measure(warehouse, carrier, server) -> None:
    # Packing queues the hand-off after commit; inline that would run it inside the pack timing.
    packing.queue_hand_off = lambda *args, **kwargs: True
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        page = list(selectors.pick_queue(warehouse.pk)[:50])
        selectors.units_to_pick(page, warehouse.pk)
        elapsed = time.perf_counter() - started
    print(f"pick queue, first 50 of {orders_waiting(warehouse)}: {elapsed * 1000:.1f} ms, {len(queries)} queries")
    ids = [o.pk for o in page]
    started = time.perf_counter()
    picking.pick_list_create(warehouse_id=warehouse.pk, order_ids=ids, user=None)
    print(f"pick list of {len(ids)} orders: {(time.perf_counter() - started) * 1000:.0f} ms")
    packs, hands = [], []
    for order_id in ids:
        started = time.perf_counter()
        shipment = packing.shipment_start(order_id=order_id, warehouse_id=warehouse.pk, user=None)
        for line in shipment.lines.all():
            packing.shipment_scan(shipment_id=shipment.pk, code=line.sku, quantity=line.quantity_expected, user=None)
        packing.shipment_pack(shipment_id=shipment.pk, weight_grams=1500, user=None)
        packs.append(time.perf_counter() - started)
        started = time.perf_counter()
        # billing invoices the shipped units on shipment.handed_off (inline here); its PDF is a
        # billing worker's job (bench/invoices.py), so it is left out of the hand-off's time
        with invoice_delivery.paused():
            handoff.shipment_hand_off(shipment_id=shipment.pk)
        hands.append(time.perf_counter() - started)
    _timed("pack (open, 3 scans, close)", packs)
    _timed("hand-off (HTTP, label, stock)", hands)
    shipped = list(Shipment.objects.filter(status="handed_off").values_list("tracking_number", flat=True))
    reports = []
    for n, number in enumerate(shipped * 2):
        started = time.perf_counter()
        tracking.tracking_event_record(carrier_id=carrier.pk, event_id=f"b{n}", tracking_number=number,
                                       status="in_transit" if n < len(shipped) else "delivered",
                                       occurred_at=timezone.now())  # fmt: skip
        reports.append(time.perf_counter() - started)
    _timed("tracking report (webhook service)", reports)
    print(f"carrier: {len(server.requests)} requests, {server.labels_made} labels; "
          f"{carrier_selectors.carrier_get(carrier.pk).name}")  # fmt: skip


def orders_waiting(warehouse) -> int:
    return selectors.pick_queue(warehouse.pk).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()
    db = settings.DATABASES["default"]
    db["TEST"] = {**db.get("TEST", {}), "NAME": f"{db['NAME']}_bench", "CHARSET": None, "TEMPLATE": None}
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args.orders)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
