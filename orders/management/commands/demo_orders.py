"""Demo orders: a year of history replayed from the UCI Online Retail data (``orders.demo``),
and a handful of open orders placed through the real services, so the screens have live work.

History (orders of the demo customers, products of the demo catalogue), up to yesterday, is
written in final statuses: ``completed`` (delivered and paid), ``delivered`` (the last weeks, not
all paid yet), ``shipped`` (the last day's, on their way) and ``cancelled`` (the data's ``C``
invoices). It reserves no stock: its lines were shipped
long ago (issued allocations) and on-hand stock is what inventory's demo says it is. The rows
go in with ``COPY`` (orders, lines, allocations, timeline): the full year, 21,772 orders
(3,375 of them cancelled) and 404,707 lines, loads in 20 to 30 seconds; ``--months N`` keeps
the last N months only (``--small``: three).
Order numbers are the column's default (the order sequence), in date order.

The open orders (allocated, backordered, one on hold) go through ``order_place``, which
reserves stock, asks the delivery-quote backend and writes the timeline and events.

Idempotent: the history is skipped when UCI orders exist, the open orders when demo ones do.
"""

from __future__ import annotations

import random
import time
from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from customers import selectors as customers_selectors
from inventory import selectors as inventory_selectors
from oms.delivery import QuoteLine, QuoteRequest
from oms.errors import OmsError
from orders import demo
from orders.models import Channel, Order
from orders.quotes import DEFAULT_BACKEND, delivery_quote
from orders.services import order_draft_create, order_draft_set_lines, order_hold, order_place

END_DAYS_AGO = 1  # the history ends yesterday, so the revenue charts run up to today
OPEN_ORDERS = 14
SMALL_MONTHS = 3


class Command(BaseCommand):
    help = "Replay a year of UCI Online Retail orders for the demo customers, and place a few open orders."

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true", help=f"the last {SMALL_MONTHS} months, for tests")
        parser.add_argument("--months", type=int, default=None, help="replay only the last N months")
        parser.add_argument("--full", action="store_true", help="the whole year (the default), even with --small")

    def handle(self, *args, small=False, months=None, full=False, **options):
        started = time.monotonic()
        months = None if full else (SMALL_MONTHS if small and months is None else months)
        if Order.objects.filter(channel__in=Channel.values, external_reference__startswith="UCI-").exists():
            self.stdout.write("orders: history already loaded")
        else:
            self._history(months)
        self._open_orders()
        self.stdout.write(f"orders: done ({time.monotonic() - started:.1f} s)")

    # --- history -----------------------------------------------------------------------------------

    def _history(self, months: int | None) -> None:
        started = time.monotonic()
        since = demo.LAST_DAY - timedelta(days=31 * months) if months else None
        wanted = [o for o in demo.read_orders(since=since) if o.lines]
        customers = _customers(f"uci:{o.customer_id}" for o in wanted)
        products = _products({line.sku for o in wanted for line in o.lines})
        orders = []
        for order in wanted:
            order.lines = [line for line in order.lines if line.sku in products]
            customer = customers.get(f"uci:{order.customer_id}")
            if customer is not None and order.lines:
                orders.append((order, customer))
        agent = self._agent()
        rows = demo.HistoryRows(
            shift=demo.shift_days(timezone.localdate(), END_DAYS_AGO), now=timezone.now(), agent_id=agent and agent.pk
        )
        with transaction.atomic(), connection.cursor() as cursor:
            order_ids = _ids(cursor, "orders_order", len(orders))
            line_ids = iter(_ids(cursor, "orders_orderline", sum(len(o.lines) for o, _ in orders)))
            for order_id, (order, customer) in zip(order_ids, orders, strict=True):
                rows.add(order_id, order, customer, products, line_ids)
            built = time.monotonic()
            with _foreign_keys_checked_at_the_end(cursor, [table for table, _, _ in rows.tables()]):
                for table, columns, buffer in rows.tables():
                    buffer.seek(0)
                    cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE orders_order, orders_orderline, orders_allocation, orders_orderevent")
        self.stdout.write(
            f"orders: {rows.order_count:,} historical orders, {rows.line_count:,} lines "
            f"(built in {built - started:.1f} s, written in {time.monotonic() - built:.1f} s)"
        )

    def _agent(self):
        return get_user_model().objects.filter(username="customer_service").first()

    # --- open orders ------------------------------------------------------------------------------

    def _open_orders(self) -> None:
        if Order.objects.filter(external_reference__startswith="DEMO-").exists():
            self.stdout.write("orders: open demo orders already placed")
            return
        plan = _open_order_plan()
        if not plan:
            self.stdout.write("orders: no customers or stock for open orders")
            return
        backend = {} if _quotes_work() else {"OMS_DELIVERY_QUOTE_BACKEND": DEFAULT_BACKEND}
        if backend:
            self.stdout.write("orders: the delivery-quote backend has no carriers yet; open orders use the flat rate")
        with override_settings(**backend):
            placed = sum(self._place(index, *step) for index, step in enumerate(plan))
            self._draft(*plan[-1][:2])
        self.stdout.write(f"orders: {placed} open orders placed, one phone order being entered")

    def _place(self, index: int, customer, lines, when, channel) -> bool:
        try:
            order = order_place(
                channel=channel,
                customer=customer,
                lines=lines,
                external_reference=f"DEMO-{index + 1}",
                user=self._agent() if channel == Channel.PHONE else None,
                now=when,
            )
        except OmsError as exc:
            self.stderr.write(f"open order {index + 1}: {exc.message}")
            return False
        if index == 3:
            order_hold(order=order, user=self._agent(), reason="Betaling nog niet binnen", now=when)
        return True

    def _draft(self, customer, lines) -> None:
        """A phone order half entered by customer service (on "Your drafts" of the phone screen)."""
        draft = order_draft_create(channel=Channel.PHONE, customer=customer, user=self._agent())
        order_draft_set_lines(order=draft, lines=lines, user=self._agent())


@contextmanager
def _foreign_keys_checked_at_the_end(cursor, tables: list[str]):
    """Drop the foreign keys of ``tables`` and add them again (same name and definition) after
    the block, in the caller's transaction. PostgreSQL checks a foreign key row by row on
    insert but validates an added one with one join, much faster for the full year's rows:
    "Populating a Database" in its manual."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
        [tables],
    )
    keys = cursor.fetchall()
    # Checks still deferred from earlier in the transaction must run first: a table with pending
    # trigger events cannot be altered. (Every constraint here is DEFERRABLE INITIALLY DEFERRED,
    # as Django makes them, so DEFERRED afterwards restores the default.)
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table, name, _ in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    for table, name, definition in keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _ids(cursor, table: str, count: int) -> list[int]:
    """``count`` new ids of ``table`` in one round trip."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
    return [row[0] for row in cursor.fetchall()]


def _customers(refs) -> dict[str, demo.Customer]:
    """The demo customers by external reference, with their default addresses (three queries)."""
    ids = customers_selectors.customer_ids_by_external_ref(refs)
    by_id = {v: k for k, v in ids.items()}
    found = {}
    for customer in customers_selectors.customer_list_with_addresses().filter(pk__in=list(ids.values())):
        defaults = {a.kind: a.as_snapshot() for a in customer.addresses.all() if a.is_default}
        found[by_id[customer.pk]] = demo.Customer(
            id=customer.pk,
            is_b2b=customer.is_b2b,
            vat_id=customer.vat_id,
            payment_method=customer.preferred_payment_method,
            payment_terms_days=customer.payment_terms_days,
            shipping=defaults.get("shipping") or defaults.get("billing") or {},
            billing=defaults.get("billing") or {},
        )
    return found


def _products(skus: set[str]) -> dict[str, demo.Product]:
    """The catalogue's products with these SKUs and their stock levels per active warehouse."""
    products = inventory_selectors.products_by_skus(skus)
    levels = inventory_selectors.stock_by_product(p.pk for p in products.values())
    return {
        sku: demo.Product(
            id=p.pk,
            sku=demo.text(p.sku),
            name=demo.text(p.name[:200]),
            vat_category=p.vat_category,
            levels=[(s.warehouse_id, s.stock_level_id) for s in levels.get(p.pk, [])],
        )
        for sku, p in products.items()
        if levels.get(p.pk)
    }


def _quotes_work() -> bool:
    """Whether the configured delivery-quote backend can quote a Dutch parcel (shipping's needs
    its carriers, which its demo loads after this one)."""
    request = QuoteRequest(lines=(QuoteLine(product_id=0, quantity=1, weight_grams=500, allocations=()),))
    try:
        delivery_quote(request)
    except OmsError:
        return False
    return True


def _open_order_plan() -> list[tuple]:
    """(customer, lines, when, channel) for the open orders, oldest first: a Dutch consumer or
    business each, 1 to 5 lines of products in stock, every third order with a line larger than
    the stock (backordered); placed over the last week, so the first ones are already late."""
    rng = random.Random(4)
    customers = [
        c
        for c in customers_selectors.customer_list_with_addresses().order_by("id")[:400]
        if not c.credit_hold and any(a.country == "NL" and a.kind == "shipping" for a in c.addresses.all())
    ]
    product_ids = inventory_selectors.product_list(active=True).order_by("id").values_list("id", flat=True)[:3000]
    stock = inventory_selectors.stock_by_product(product_ids)
    in_stock = sorted(pid for pid, levels in stock.items() if sum(s.available for s in levels) >= 6)
    empty = sorted(pid for pid, levels in stock.items() if sum(s.available for s in levels) == 0)
    if not customers or len(in_stock) < 10:
        return []
    now = timezone.now()
    plan = []
    for index in range(OPEN_ORDERS):
        customer = rng.choice(customers)
        lines = [{"product_id": pid, "quantity": rng.randint(1, 4)} for pid in rng.sample(in_stock, rng.randint(1, 5))]
        if index % 3 == 1:
            short = rng.choice(empty) if empty else lines[0]["product_id"]
            lines.append({"product_id": short, "quantity": rng.randint(2, 6) + (0 if empty else 500)})
        when = now - timedelta(hours=(OPEN_ORDERS - index) * 11)
        channel = Channel.B2B if customer.is_b2b else (Channel.PHONE if index % 2 else Channel.WEB)
        plan.append((customer, lines, when, channel))
    return plan
