"""Benchmark: the role dashboards at 1M orders. Server time of the home page and of every
dashboard panel, per role.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms .venv/bin/python bench/dashboards.py [--requests 30]

It reuses bench/order_screens.py's database (``<db>_orders_bench``: 100k products, 100k
customers, 1,000,000 orders over three years, a few thousand open, some late; seeded once with
bulk SQL) and adds, once, a shipment for each of the newest 30,000 delivered orders (delivered
over the last month, a few handed off today). Then it runs the revenue summary refresh (what the
periodic task does) and times each panel through the whole Django stack (test client: session,
role check, view, template), printing p50/p95/max and the queries of one request. Goal (issue 8):
each dashboard under 500 ms.

It also adds, once, an invoice for each placed order (~975k; paid for completed orders, the
rest open, those of the last day unsent) and a payment for each paid invoice plus 300 today.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SHIPMENTS = 30_000
HTMX = {"HTTP_HX_REQUEST": "true"}


def seed_shipments() -> None:
    from django.db import connection

    from shipping.models import Shipment

    if Shipment.objects.filter(number="SH-B00001").exists():
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        cursor.execute(
            f"""INSERT INTO shipping_shipment (number, order_id, customer_id, warehouse_id, carrier_id, service_id,
                  status, address, parcel_count, weight_grams, tracking_number, label, handoff_key, handoff_attempts,
                  handoff_error, created_at, packed_at, handed_off_at, delivered_at, updated_at)
                SELECT 'SH-B' || lpad(row_number() OVER (ORDER BY o.id)::text, 5, '0'), o.id, o.customer_id,
                       (SELECT min(id) FROM inventory_warehouse), s.carrier_id, s.id,
                       CASE WHEN o.rn <= 200 THEN 'handed_off' ELSE 'delivered' END,
                       o.shipping_address, 1, 1000, 'BT' || o.id, '', gen_random_uuid(), 1, '',
                       o.at, o.at, o.at + interval '20 hours',
                       CASE WHEN o.rn <= 200 THEN NULL
                            ELSE o.at + interval '20 hours' + interval '1 hour' * (o.id % 90) END,
                       o.at
                FROM (SELECT id, customer_id, shipping_address, row_number() OVER (ORDER BY id DESC) AS rn,
                             now() - interval '31 days' * row_number() OVER (ORDER BY id DESC) / {SHIPMENTS} AS at
                      FROM orders_order WHERE status = 'delivered' ORDER BY id DESC LIMIT {SHIPMENTS}) o,
                     LATERAL (SELECT id, carrier_id FROM shipping_servicelevel ORDER BY id LIMIT 1) s"""
        )
        # the first 200 were handed off "today" (placed 20 hours earlier)
        cursor.execute(
            "UPDATE shipping_shipment SET handed_off_at = now() - interval '1 hour' WHERE status = 'handed_off'"
        )
        cursor.execute(
            "UPDATE orders_order o SET placed_at = s.created_at - interval '1 day' FROM shipping_shipment s "
            "WHERE s.order_id = o.id AND s.number LIKE 'SH-B%'"
        )
        cursor.execute("ANALYZE")
    print(f"seeded {SHIPMENTS} shipments in {time.perf_counter() - started:.0f} s")


def seed_billing() -> None:
    """An invoice for every placed, not cancelled order (paid for the completed ones, open for
    the rest: the older of those overdue; the newest 300 not yet sent), a payment for every paid
    invoice and 300 payments received today. Bulk SQL with triggers off for the seed (each
    invoice gets an empty journal entry of its own; payments share one): these rows are there
    for the dashboards' and the search's indexes, not for the ledger."""
    from django.db import connection, transaction

    from billing.models import Invoice

    if Invoice.objects.filter(reference="BENCH-DONE").exists():
        return
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            """WITH o AS (
                 SELECT id, number, created_at, gross_amount FROM orders_order
                 WHERE status NOT IN ('draft', 'cancelled')),
               je AS (
                 INSERT INTO billing_journalentry (date, description, reference, total_amount, posted_at)
                 SELECT created_at::date, 'bench invoice', number, gross_amount, created_at FROM o
                 RETURNING id, reference)
               INSERT INTO billing_invoice (number, kind, year, sequence, credit_reason, reference, issue_date,
                 supply_date, due_date, payment_terms_days, buyer_name, buyer_company, buyer_street,
                 buyer_postal_code, buyer_city, buyer_country, buyer_vat_id, buyer_coc_number, buyer_email, seller,
                 reverse_charge, export, line_count, net_amount, vat_amount, gross_amount, status, amount_paid,
                 amount_credited, pdf, sent_at, journal_entry_id, created_at, customer_id, order_id)
               SELECT extract(year FROM o.created_at)::int || '-' || lpad(row_number() OVER (
                        PARTITION BY extract(year FROM o.created_at) ORDER BY o.id)::text, 6, '0'),
                      'invoice', extract(year FROM o.created_at)::int,
                      row_number() OVER (PARTITION BY extract(year FROM o.created_at) ORDER BY o.id),
                      '', o.number, o.created_at::date, o.created_at::date, o.created_at::date + 14, 14,
                      c.name, '', 'Kerkstraat 1', (o.shipping_address->>'postal_code'), 'Utrecht', 'NL', '', '',
                      c.email, '{}', false, false, 1, o.net_amount + o.shipping_amount, o.vat_amount, o.gross_amount,
                      CASE WHEN o.status = 'completed' THEN 'paid' ELSE 'issued' END,
                      CASE WHEN o.status = 'completed' THEN o.gross_amount ELSE 0 END, 0, '',
                      CASE WHEN o.created_at > now() - interval '1 day' THEN NULL ELSE o.created_at END,
                      je.id, o.created_at, o.customer_id, o.id
               FROM je JOIN orders_order o ON o.number = je.reference
                       JOIN customers_customer c ON c.id = o.customer_id"""
        )
        cursor.execute(
            "INSERT INTO billing_journalentry (date, description, reference, total_amount, posted_at) "
            "VALUES (current_date, 'bench payments', 'BENCH-PAYMENTS', 1, now())"
        )
        cursor.execute(
            """INSERT INTO billing_payment (method, amount, reference, paid_at, amount_allocated, amount_refunded,
                 provider, created_at, customer_id, journal_entry_id, order_id)
               SELECT 'ideal', i.gross_amount, 'BENCH-' || i.id, i.created_at + interval '1 hour', i.gross_amount, 0,
                      '', i.created_at, i.customer_id,
                      (SELECT id FROM billing_journalentry WHERE reference = 'BENCH-PAYMENTS'), i.order_id
               FROM billing_invoice i WHERE i.status = 'paid' AND i.gross_amount > 0"""
        )
        cursor.execute(
            """INSERT INTO billing_payment (method, amount, reference, paid_at, amount_allocated, amount_refunded,
                 provider, created_at, customer_id, journal_entry_id)
               SELECT 'bank_transfer', 10 + g, 'BENCH-TODAY-' || g, now() - interval '1 minute' * g, 0, 0, '', now(),
                      (SELECT min(id) FROM customers_customer),
                      (SELECT id FROM billing_journalentry WHERE reference = 'BENCH-PAYMENTS')
               FROM generate_series(1, 300) g"""
        )
        cursor.execute(
            "UPDATE billing_invoice SET reference = 'BENCH-DONE' WHERE id = (SELECT min(id) FROM billing_invoice)"
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE billing_invoice")
        cursor.execute("VACUUM ANALYZE billing_payment")
    print(f"seeded invoices and payments in {time.perf_counter() - started:.0f} s")


def users() -> dict[str, object]:
    from order_screens import _user

    return {
        role: _user(f"bench-{role}", role) for role in ("customer_service", "warehouse", "purchasing", "accounting")
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    import order_screens

    url = order_screens.bench_database_url()
    order_screens.setup_django(url)
    order_screens.seed(False)
    seed_shipments()
    seed_billing()

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from oms.dashboards import PANELS
    from orders.services import daily_stats_refresh

    started = time.perf_counter()
    rows = daily_stats_refresh()
    print(
        f"revenue summary refresh (the periodic task): {rows} rows in {(time.perf_counter() - started) * 1000:.0f} ms"
    )

    manager, _ = get_user_model().objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name="manager"))
    clients = {}
    for role, user in [*users().items(), ("manager", manager)]:
        client = Client()
        client.force_login(user)
        clients[role] = client

    from oms.roles import has_role

    worst_total = 0.0
    for role, client in clients.items():
        user = get_user_model().objects.get(username=f"bench-{role}")
        scenarios = [("home page (shell)", lambda c=client: c.get("/"))]
        for key, panel in PANELS.items():
            if has_role(user, *panel.roles):
                scenarios.append((f"panel {key}", lambda c=client, k=key: c.get(f"/dashboard/{k}/", **HTMX)))
        print(f"\n{role}")
        total_p95 = 0.0
        for name, call in scenarios:
            p50, p95, slowest, queries = order_screens.measure(name, call, args.requests)
            total_p95 += p95
            print(f"  {name:<44} p50 {p50:>7.1f} ms  p95 {p95:>7.1f} ms  max {slowest:>7.1f} ms  {queries:>3} queries")
        print(f"  {'whole dashboard (sum of p95s)':<44} {total_p95:>7.1f} ms")
        worst_total = max(worst_total, total_p95)
    print(f"\nslowest dashboard, page and all panels one after another (p95 sum): {worst_total:.0f} ms (goal < 500)")

    # the lists the numbers open, with their filters, at the same scale
    import re

    manager_client = clients["manager"]
    links = []
    for key in PANELS:
        html = manager_client.get(f"/dashboard/{key}/", **HTMX).content.decode()
        links += [url.replace("&amp;", "&") for url in re.findall(r'<a href="([^"]+)"[^>]*data-stat=', html)]
    scenarios = [(f"list {url[:50]}", lambda u=url: manager_client.get(u)) for url in dict.fromkeys(links)]
    order_screens.report("the lists behind the numbers (manager)", scenarios, args.requests)


if __name__ == "__main__":
    main()
