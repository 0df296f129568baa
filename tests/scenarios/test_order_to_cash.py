"""Order-to-cash adds up end to end (issue 15): a Hypothesis state machine that walks the whole
chain through the services, as the users and the workers would, and checks after every step,
to the cent, that the money and stock facts of every app agree.

How it runs:

* PostgreSQL, inside the test's transaction; each example runs in its own savepoint (rolled
  back at its end), marked as the test case's own so that the durable use cases may run in it.
* The workers' part runs eagerly, as the worker would run it after commit: every step runs
  inside ``captureOnCommitCallbacks(execute=True)``, so the outbox hands its events to Celery
  (eager in tests), the handlers run, and so do the tasks they queue (carrier hand-off, invoice
  PDF and e-mail, customer notices). A handler that fails is a failed check, not a retry.
* PDFs are not rendered by WeasyPrint (``oms.pdf.html_to_pdf`` returns a stub): the documents'
  HTML is what the checks read.
* The shop: the demo carriers and rates (``demo_shipping``), one warehouse, four products at
  21 %, 9 % and 0 % with awkward prices, a supplier for each, and customers: two Dutch
  consumers, a Dutch business on account (credit limit), a German business with a VAT id
  (reverse charge) and an American business (export). The consumers' orders and counter sales
  are priced at shelf prices incl. VAT (defect 7), with mixed rates and discounts: the identities
  ``orders: consumers pay shelf prices incl. VAT`` (the order costs the sum of its line totals and
  the shipping's gross) and ``billing: an order's invoices are priced as the order`` hold them,
  beside the per-rate identities every order has. The shop is above the EU distance-selling
  threshold: two consumers in Belgium and Germany pay their country's VAT (defect 8), which the
  ``oss_sales_carry_the_destination_s_vat`` check below and the VAT-account identity hold.
* Vouchers: an order's lines are never negative (its discounts are percentages, which the
  orders carry), so the accountant's invoices by hand bring the voucher lines
  (``invoice_by_hand_with_a_voucher``): a negative line at the rate of the goods it discounts,
  on consumers' invoices incl. VAT and business ones excl. VAT, sometimes credited in part or
  in full; the ledger, VAT-account and per-customer identities hold its share of its rate.

``O2C_EXAMPLES`` sets the number of examples (default 8, the CI's budget: README "Tests") and
``O2C_STEPS`` the steps per example (default 25); ``O2C_PROGRESS=N`` prints a line every N
examples (with ``pytest -s``). A long run is split over processes, each with its own test
database and Redis db: Hypothesis draws each process's examples from its own random seed
(``database=None``, not derandomized). Every counterexample found is kept below the machine as
an ordinary regression test.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from billing import selectors as billing_selectors
from billing import ubl
from billing.models import PREPAID_METHODS, Invoice, InvoiceKind, Payment, PaymentAllocation, ReturnSettlement
from billing.services import counter_sale, invoice_credit, invoice_issue, payment_record, payment_refund
from customers.services import customer_create
from inventory import selectors as inventory_selectors
from inventory.models import StockLevel
from inventory.services import product_upsert, stock_level_configure, stock_receive, warehouse_upsert
from oms import invariants
from oms.errors import OmsError
from oms.models import Notification, OutboxEvent, OutboxStatus
from oms.oss import oss_rates_on
from oms.roles import Role
from orders import selectors as order_selectors
from orders.models import Order, OrderLine, OrderStatus
from orders.services import order_cancel, order_hold, order_lines_change, order_place, order_release_hold
from purchasing.models import GoodsReceiptLine, PurchaseOrder, ReorderRequest, RequestStatus
from purchasing.services import (
    goods_receipt_post,
    purchase_order_send,
    purchase_orders_create_from_requests,
    reorder_scan,
    supplier_product_save,
    supplier_save,
)
from shipping.models import Return, ReturnLine, ReturnStatus, Shipment, ShipmentLine, ShipmentNotice, ShipmentStatus
from shipping.services import packing, returns, tracking

EXAMPLES = int(os.environ.get("O2C_EXAMPLES", "8"))
STEPS = int(os.environ.get("O2C_STEPS", "25"))
# O2C_SHRINK=0: report the first counterexample as found (quicker while hunting).
SHRINK = os.environ.get("O2C_SHRINK", "1") != "0"
# O2C_PROGRESS=N: a line on stderr every N examples (examples run, wall and CPU time), so a
# long run by hand shows how far it got (run pytest with -s to see it as it goes).
PROGRESS_EVERY = int(os.environ.get("O2C_PROGRESS", "0"))

# Checks of ``check_invariants`` that depend on a defect of issue 15 not yet fixed on this
# branch: left out of the machine's every-step check, and held by their own xfail tests below.
# (Defects 2 and 3 were pending here until branch h15a was merged.)
PENDING_CHECKS: dict[str, str] = {}

OPENING_STOCK = 15
METHODS = ["ideal", "card", "klarna", "riverty", "bank_transfer", "on_account", "pin", "cash"]
PER_SHIPMENT = {"on_account", "bank_transfer"}
STATUS_PICKABLE = {OrderStatus.ALLOCATED, OrderStatus.PICKING, OrderStatus.PARTIALLY_SHIPPED}
ADDRESS = {"street": "Oudegracht", "house_number": "12", "postal_code": "9711 AB", "city": "Groningen", "country": "NL"}


# --- the shop ------------------------------------------------------------------------------------


def _user(role: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=f"o2c-{role}", password="pw-for-tests-only")
    user.groups.add(Group.objects.get(name=role))
    return user


def _customer(kind, name, *, user, email, country="NL", postal="9711 AB", **fields):
    address = {"street": "Handelsweg", "house_number": "7", "postal_code": postal, "city": "Stad", "country": country}
    return customer_create(
        kind=kind,
        name=name,
        email=email,
        user=user,
        addresses=[{"kind": "billing", **address}, {"kind": "shipping", **address}],
        **fields,
    )


def build_shop() -> SimpleNamespace:
    """The world every example starts from, made through the services."""
    users = SimpleNamespace(
        cs=_user(Role.CUSTOMER_SERVICE),
        warehouse=_user(Role.WAREHOUSE),
        accounting=_user(Role.ACCOUNTING),
        purchasing=_user(Role.PURCHASING),
    )
    call_command("demo_shipping", stdout=StringIO())
    ams, _ = warehouse_upsert(
        code="AMS", name="Amsterdam", street="Kade", house_number="1", postal_code="1011 AB", city="Amsterdam"
    )
    specs = [
        ("MUG", "Mok", "8.26", "high", 350),
        ("BOOK", "Kookboek", "19.99", "low", 600),
        ("TEA", "Thee", "3.33", "low", 100),
        ("MAP", "Landkaart", "6.45", "zero", 80),
    ]
    products = {}
    supplier = supplier_save(user=users.purchasing, name="Groothandel", email="inkoop@groothandel.example")
    for sku, name, price, category, grams in specs:
        product, _ = product_upsert(sku=sku, name=name, list_price=price, vat_category=category, weight_grams=grams)
        stock_receive(product_id=product.pk, warehouse_id=ams.pk, quantity=OPENING_STOCK, reference="opening stock")
        level = product.stock_levels.get(warehouse=ams)
        stock_level_configure(stock_level_id=level.pk, reorder_point=3, reorder_quantity=10)
        supplier_product_save(
            supplier_id=supplier.pk, product_id=product.pk, unit_cost="1.00", user=users.purchasing, preferred=True
        )
        products[sku] = product
    cs = users.cs
    customers = {
        "anna": _customer("b2c", "Anna Smit", user=cs, email="anna@example.nl"),
        "piet": _customer("b2c", "Piet Jansen", user=cs, email="piet@example.nl", language="en"),
        "bakker": _customer(
            "b2b",
            "Bakkerij",
            user=cs,
            email="inkoop@bakkerij.example",
            company_name="Bakkerij B.V.",
            vat_id="NL000099998B57",
            credit_limit=Decimal("150.00"),
            payment_terms_days=30,
        ),
        "gmbh": _customer(
            "b2b",
            "Handel GmbH",
            user=cs,
            email="einkauf@handel.example",
            company_name="Handel GmbH",
            vat_id="DE136695976",
            country="DE",
            postal="10115",
            credit_limit=Decimal("300.00"),
        ),
        "inc": _customer(
            "b2b",
            "Trading Inc",
            user=cs,
            email="buying@trading.example",
            company_name="Trading Inc",
            country="US",
            postal="10001",
        ),
        # consumers elsewhere in the EU: the shop is above the distance-selling threshold (the
        # fixture sets OMS_OSS_ABOVE_THRESHOLD), so they pay their country's VAT (defect 8)
        "lena": _customer("b2c", "Lena Peeters", user=cs, email="lena@example.be", country="BE", postal="1000"),
        "jonas": _customer("b2c", "Jonas Weber", user=cs, email="jonas@example.de", country="DE", postal="10117"),
    }
    return SimpleNamespace(users=users, ams=ams, products=products, customers=customers, supplier=supplier)


# --- the machine ---------------------------------------------------------------------------------


# What the actions came to over a run, by service: "ok" or the refusal's code (printed at the
# end of a run, so a rule that never gets through shows).
OUTCOMES: Counter = Counter()


PROGRESS = {"examples": 0, "wall": 0.0, "cpu": 0.0}


def _report_progress() -> None:
    n = PROGRESS["examples"]
    wall, cpu = time.monotonic() - PROGRESS["wall"], time.process_time() - PROGRESS["cpu"]
    print(
        f"o2c: {n} examples, {wall:.0f} s wall, {cpu:.0f} s CPU ({wall / n:.2f} s, {cpu / n:.2f} s CPU each)",
        dict(sorted(OUTCOMES.items())),
        file=sys.__stderr__,
        flush=True,
    )


def run(service, **kwargs):
    """One user action, ``service(**kwargs)``, with the workers' after-commit work run eagerly;
    a business refusal (``OmsError``) is an answer, returned, not a failure."""
    name = service.__name__
    with TestCase.captureOnCommitCallbacks(execute=True):
        try:
            result = service(**kwargs)
        except OmsError as exc:
            OUTCOMES[f"{name}: {exc.code}"] += 1
            return exc
    OUTCOMES[f"{name}: ok"] += 1
    return result


def document_state(invoice: Invoice) -> str:
    """What the invoice's document says about payment (the PDF's ``data-state``)."""
    from billing.documents import TEMPLATE, invoice_context

    html = render_to_string(TEMPLATE, invoice_context(billing_selectors.invoice_document(invoice.pk)))
    found = re.search(r'class="pay" data-state="([a-z_]*)"', html)
    return found.group(1) if found else "?"


def recorded_state(invoice: Invoice) -> str:
    """The payment state the payment records give: allocations to the invoice and its credit
    notes, not the invoice's own running totals."""
    paid = PaymentAllocation.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    credited = -(Invoice.objects.filter(credit_of=invoice).aggregate(s=Sum("gross_amount"))["s"] or Decimal(0))
    if invoice.gross_amount <= 0:
        return "none"
    if credited >= invoice.gross_amount:
        return "credited"
    if paid <= 0:
        return "open"
    return "paid" if paid + credited >= invoice.gross_amount else "partly_paid"


_OPEN_FOR_MONEY = (
    OrderStatus.ALLOCATED,
    OrderStatus.BACKORDERED,
    OrderStatus.ON_HOLD,
    OrderStatus.PICKING,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)

ORDER = st.fixed_dictionaries(
    {
        "customer": st.sampled_from(["anna", "piet", "lena", "jonas", "bakker", "gmbh", "inc"]),
        # PIN and cash are the counter's (sell_at_the_counter)
        "method": st.sampled_from([m for m in METHODS if m not in ("pin", "cash")]),
        "channel": st.sampled_from(["web", "phone", "b2b"]),
        "lines": st.lists(
            st.tuples(
                st.sampled_from(["MUG", "BOOK", "TEA", "MAP"]), st.integers(1, 6), st.sampled_from([0, 0, 10, 15])
            ),
            min_size=1,
            max_size=3,
            unique_by=lambda t: t[0],
        ),
    }
)


def _exists(queryset_of):
    """A precondition: the machine has something of this kind to act on."""
    return lambda machine: queryset_of().exists()


def _orders_in(*statuses):
    return lambda: Order.objects.filter(status__in=statuses)


class OrderToCash(RuleBasedStateMachine):
    shop: SimpleNamespace  # set by the test before the machine runs
    skip_checks: frozenset[str] = frozenset(PENDING_CHECKS)
    # The warehouse tries every order of the pick queue's statuses, also prepaid ones not yet
    # paid: those must be refused (issue 15 defect 2), which ``no_prepaid_order_is_picked_unpaid``
    # holds.
    pick_unpaid_prepaid = True
    # No customer gets the same e-mail twice (an order put on hold and released back to the same
    # backorder told it again until the notice was keyed by what waits:
    # test_a_backordered_order_held_and_released_tells_the_customer_once).
    hold_identical_emails = True

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic._from_testcase = True  # durable use cases may run inside, as in a TestCase
        self._atomic.__enter__()
        mail.outbox = []
        self.refs = 0
        self.picked_unpaid: list[str] = []
        self.documents_checked: dict[int, tuple] = {}
        self.over_limit: list[str] = []

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)
        PROGRESS["examples"] += 1
        if PROGRESS_EVERY and PROGRESS["examples"] % PROGRESS_EVERY == 0:
            _report_progress()

    def ref(self, prefix: str) -> str:
        self.refs += 1
        return f"{prefix}-{self.refs}"

    # --- helpers ---------------------------------------------------------------------------

    def orders(self, *statuses, methods=None) -> list[Order]:
        qs = Order.objects.exclude(status=OrderStatus.DRAFT).order_by("id")
        if statuses:
            qs = qs.filter(status__in=statuses)
        if methods is not None:
            qs = qs.filter(payment_method__in=methods)
        return list(qs)

    def pick(self, data, items, label):
        return data.draw(st.sampled_from(items), label=label) if items else None

    # --- rules -----------------------------------------------------------------------------

    @initialize(orders=st.lists(ORDER, min_size=2, max_size=5))
    def start(self, orders):
        self.u = self.shop.users
        for spec in orders:
            self.place_order(**spec)

    @rule(spec=ORDER)
    def place(self, spec):
        self.place_order(**spec)

    def place_order(self, customer, method, channel, lines):
        buyer = self.shop.customers[customer]
        wanted = [{"sku": sku, "quantity": q, "discount_percent": d} for sku, q, d in lines]
        result = run(
            order_place,
            channel=channel,
            customer=buyer,
            lines=wanted,
            user=self.u.cs,
            payment_method=method,
            shipping_address={**ADDRESS, **_address_of(buyer)},
        )
        if isinstance(result, Order) and method == "on_account":
            self._check_credit_limit(result)

    @precondition(_exists(_orders_in(*_OPEN_FOR_MONEY)))
    @rule(data=st.data(), how=st.sampled_from(["exact", "part", "over", "rest"]))
    def pay(self, data, how):
        order = self.pick(data, self.orders(*_OPEN_FOR_MONEY), "order")
        if order is None:
            return
        paid = billing_selectors.order_paid_totals([order.pk])[order.pk]
        due = order.gross_amount - paid
        amount = {
            "exact": order.gross_amount,
            "rest": due,
            "part": (due / 2).quantize(Decimal("0.01")),
            "over": due + Decimal("5.00"),
        }[how]
        if amount <= 0:
            return
        method = order.payment_method if order.payment_method not in ("on_account",) else "bank_transfer"
        run(payment_record, order=order, method=method, amount=amount, reference=self.ref("PAY"), user=None)

    @precondition(_exists(lambda: Payment.objects.filter(amount__gt=0, refund_of__isnull=True)))
    @rule(data=st.data(), part=st.booleans())
    def refund(self, data, part):
        payments = list(Payment.objects.filter(amount__gt=0, refund_of__isnull=True).order_by("id"))
        payment = self.pick(data, payments, "payment")
        if payment is None:
            return
        left = payment.amount - payment.amount_refunded
        amount = (left / 2).quantize(Decimal("0.01")) if part else left
        if amount <= 0:
            return
        run(payment_refund, payment=payment, amount=amount, reference=self.ref("RF"), user=self.u.accounting)

    @precondition(_exists(_orders_in(OrderStatus.ALLOCATED, OrderStatus.BACKORDERED)))
    @rule(data=st.data())
    def hold(self, data):
        order = self.pick(data, self.orders(OrderStatus.ALLOCATED, OrderStatus.BACKORDERED), "order")
        if order is not None:
            run(order_hold, order=order, user=self.u.cs, reason="payment check")

    @precondition(_exists(_orders_in(OrderStatus.ON_HOLD)))
    @rule(data=st.data())
    def release(self, data):
        order = self.pick(data, self.orders(OrderStatus.ON_HOLD), "order")
        if order is not None:
            run(order_release_hold, order=order, user=self.u.cs)

    @precondition(_exists(_orders_in(OrderStatus.ALLOCATED, OrderStatus.BACKORDERED, OrderStatus.ON_HOLD)))
    @rule(data=st.data(), quantity=st.integers(0, 7))
    def change_line(self, data, quantity):
        # Lines of an invoiced order are corrected by hand with a credit note (README): the
        # machine changes only orders not invoiced yet.
        orders = [
            o
            for o in self.orders(OrderStatus.ALLOCATED, OrderStatus.BACKORDERED, OrderStatus.ON_HOLD)
            if not Invoice.objects.filter(order=o).exists()
        ]
        order = self.pick(data, orders, "order")
        if order is None:
            return
        line = self.pick(data, [ln for ln in order.lines.order_by("line_no") if not ln.is_cancelled], "line")
        if line is None:
            return
        result = run(
            order_lines_change, order=order, changes=[{"line_id": line.pk, "quantity": quantity}], user=self.u.cs
        )
        if isinstance(result, Order) and result.payment_method == "on_account":
            self._check_credit_limit(result)

    @precondition(_exists(_orders_in(OrderStatus.ALLOCATED, OrderStatus.BACKORDERED, OrderStatus.ON_HOLD)))
    @rule(data=st.data())
    def cancel(self, data):
        order = self.pick(
            data, self.orders(OrderStatus.ALLOCATED, OrderStatus.BACKORDERED, OrderStatus.ON_HOLD), "order"
        )
        if order is not None:
            run(order_cancel, order=order, user=self.u.cs, reason="customer asked")

    @precondition(_exists(_orders_in(*STATUS_PICKABLE)))
    @rule(data=st.data(), everything=st.booleans())
    def ship(self, data, everything):
        """Open the box, scan all or part, close it; the hand-off runs as the worker would."""
        orders = self.orders(*STATUS_PICKABLE)
        if not self.pick_unpaid_prepaid:
            orders = [o for o in orders if o.payment_method not in PREPAID_METHODS or _paid_in_full(o)]
        self.ship_order(data, self.pick(data, orders, "order"), everything)

    @precondition(_exists(_orders_in(*STATUS_PICKABLE)))
    @rule(data=st.data())
    def pay_and_ship(self, data):
        """The customer pays what is due (exactly), then the warehouse ships all it can."""
        order = self.pick(data, self.orders(*STATUS_PICKABLE), "order")
        if order is None:
            return
        due = order.gross_amount - billing_selectors.order_paid_totals([order.pk])[order.pk]
        if due > 0:
            method = "bank_transfer" if order.payment_method == "on_account" else order.payment_method
            run(payment_record, order=order, method=method, amount=due, reference=self.ref("PAY"), user=None)
        self.ship_order(data, Order.objects.get(pk=order.pk), everything=True)

    def ship_order(self, data, order, everything):
        if order is None:
            return
        unpaid = order.payment_method in PREPAID_METHODS and not _paid_in_full(order)
        shipment = run(packing.shipment_start, order_id=order.pk, warehouse_id=self.shop.ams.pk, user=self.u.warehouse)
        if not isinstance(shipment, Shipment):
            return
        if unpaid:
            self.picked_unpaid.append(order.number)
        for line in shipment.lines.order_by("id"):
            units = line.quantity_expected if everything else data.draw(st.integers(0, line.quantity_expected))
            if units:
                run(
                    packing.shipment_scan, shipment_id=shipment.pk, code=line.sku, quantity=units, user=self.u.warehouse
                )
        packed = run(packing.shipment_pack, shipment_id=shipment.pk, weight_grams=1500, user=self.u.warehouse)
        if isinstance(packed, OmsError):  # nothing scanned: unpack
            run(packing.shipment_cancel, shipment_id=shipment.pk, user=self.u.warehouse)

    @precondition(_exists(lambda: Shipment.objects.filter(status=ShipmentStatus.HANDED_OFF)))
    @rule(data=st.data())
    def deliver(self, data):
        shipments = list(
            Shipment.objects.filter(status=ShipmentStatus.HANDED_OFF).exclude(tracking_number="").order_by("id")
        )
        shipment = self.pick(data, shipments, "shipment")
        if shipment is None:
            return
        run(
            tracking.tracking_event_record,
            carrier_id=shipment.carrier_id,
            event_id=self.ref("EV"),
            tracking_number=shipment.tracking_number,
            status="delivered",
            occurred_at=timezone.now(),
        )

    @precondition(_exists(lambda: Order.objects.filter(lines__quantity_shipped__gt=0)))
    @rule(data=st.data(), keep=st.booleans())
    def return_goods(self, data, keep):
        """The customer sends back some shipped units; they are received into stock or scrapped."""
        orders = [o for o in self.orders() if any(returns.returnable_quantities(o).values())]
        order = self.pick(data, orders, "order")
        if order is None:
            return
        lines = [
            (line_id, data.draw(st.integers(1, units)))
            for line_id, units in returns.returnable_quantities(order).items()
            if units
        ]
        registered = run(returns.return_register, order_id=order.pk, lines=lines, reason="damaged", user=self.u.cs)
        if not isinstance(registered, Return):
            return
        unused_before = _unused_credit(order)
        if keep:
            done = run(
                returns.return_receive, return_id=registered.pk, warehouse_id=self.shop.ams.pk, user=self.u.warehouse
            )
        else:
            done = run(returns.return_scrap, return_id=registered.pk, user=self.u.warehouse)
        if isinstance(done, Return) and order.payment_method != "on_account":
            # what the credit note freed of the order's payments went back to the customer the
            # way it came in: the payments hold no more unused credit than before
            assert _unused_credit(order) <= unused_before, (registered.number, unused_before, _unused_credit(order))

    @rule(
        method=st.sampled_from(["pin", "cash"]),
        customer=st.sampled_from([None, "anna"]),
        lines=st.lists(
            st.tuples(st.sampled_from(["MUG", "BOOK", "TEA", "MAP"]), st.integers(1, 3)),
            min_size=1,
            max_size=2,
            unique_by=lambda t: t[0],
        ),
    )
    def sell_at_the_counter(self, method, customer, lines):
        buyer = self.shop.customers[customer] if customer else None
        wanted = [{"sku": sku, "quantity": q} for sku, q in lines]
        run(counter_sale, lines=wanted, method=method, user=self.u.accounting, customer=buyer, tendered=None)

    @rule(
        customer=st.sampled_from(["anna", "piet", "bakker"]),
        goods=st.lists(
            st.tuples(st.sampled_from(["MUG", "BOOK", "TEA", "MAP"]), st.integers(1, 4)),
            min_size=1,
            max_size=3,
            unique_by=lambda t: t[0],
        ),
        voucher=st.sampled_from([Decimal("0.01"), Decimal("2.50"), Decimal("5.00"), Decimal("100.00")]),
        credit=st.sampled_from([None, "part", "all"]),
    )
    def invoice_by_hand_with_a_voucher(self, customer, goods, voucher, credit):
        """An accountant invoices goods by hand with a voucher line (a negative line; an order's
        lines are never negative, so this is where vouchers meet the ledger), a consumer at
        shelf prices incl. VAT, a business excl. VAT; the voucher is at the first line's rate
        and at most its goods. Then perhaps credits it, in part or in full. The ledger, VAT and
        per-customer identities hold the voucher's share of its rate (``oms.money.spread``)."""
        buyer = self.shop.customers[customer]
        consumer = not buyer.is_b2b
        lines, at_rate = [], Counter()
        for sku, quantity in goods:
            product = self.shop.products[sku]
            price = inventory_selectors.consumer_price(product) if consumer else product.list_price
            lines.append(
                {"description": product.name, "sku": sku, "quantity": quantity, "unit_price": price,
                 "vat_category": product.vat_category}
            )  # fmt: skip
            at_rate[product.vat_category] += quantity * price
        category = lines[0]["vat_category"]
        off = min(voucher, at_rate[category])
        lines.append({"description": "Tegoedbon", "quantity": 1, "unit_price": -off, "vat_category": category})
        invoice = run(
            invoice_issue,
            customer=buyer,
            lines=lines,
            supply_date=timezone.localdate(),
            prices_include_vat=consumer,
            reference=self.ref("HAND"),
            user=self.u.accounting,
        )
        if not isinstance(invoice, Invoice):
            return
        nets = _line_nets(invoice)
        assert all(net * line.net_amount >= 0 for line, net in nets), (invoice.number, nets)
        if credit is None:
            return
        wanted = None if credit == "all" else [{"line": 1, "quantity": 1}]
        note = run(invoice_credit, invoice=invoice, lines=wanted, reason="by hand", user=self.u.accounting)
        if isinstance(note, Invoice) and credit == "all":  # the credit note mirrors the invoice
            assert [net for _line, net in _line_nets(note)] == [-net for _line, net in nets], note.number

    @precondition(_exists(_orders_in(OrderStatus.BACKORDERED, OrderStatus.ALLOCATED)))
    @rule(data=st.data(), short=st.booleans(), scan=st.booleans())
    def order_and_receive_goods(self, data, short, scan):
        """The reorder scan runs (or the triggers' requests are taken as they are); a buyer
        orders the open requests; the goods arrive (all, or one short) and fill the backorders
        waiting for them."""
        if scan:
            run(reorder_scan)
        ids = list(ReorderRequest.objects.filter(status=RequestStatus.OPEN).order_by("id").values_list("id", flat=True))
        if not ids:
            return
        made = run(purchase_orders_create_from_requests, request_ids=ids, user=self.u.purchasing)
        if isinstance(made, OmsError):
            return
        for po in made:
            sent = run(purchase_order_send, purchase_order_id=po.pk, user=self.u.purchasing)
            if not isinstance(sent, PurchaseOrder):
                continue
            quantities = {line.pk: max(line.quantity_ordered - (1 if short else 0), 1) for line in sent.lines.all()}
            run(goods_receipt_post, purchase_order_id=po.pk, quantities=quantities, user=self.u.purchasing)

    # --- checks after every step -------------------------------------------------------------

    @invariant()
    def every_identity_holds(self):
        broken = {name: rows for name, rows in invariants.violations().items() if name not in self.skip_checks}
        assert broken == {}, broken

    @invariant()
    def the_workers_are_done(self):
        left = list(OutboxEvent.objects.exclude(status=OutboxStatus.DONE).values_list("name", "last_error"))
        assert left == [], left

    @invariant()
    def invoice_documents_state_what_the_payments_record(self):
        for invoice in Invoice.objects.filter(kind=InvoiceKind.INVOICE).order_by("id"):
            seen = (invoice.amount_paid, invoice.amount_credited, invoice.status)
            if self.documents_checked.get(invoice.pk) == seen:
                continue  # nothing about its payment changed since it was last read
            assert document_state(invoice) == recorded_state(invoice), invoice.number
            self.documents_checked[invoice.pk] = seen

    @invariant()
    def received_returns_are_settled_once(self):
        for ret in Return.objects.filter(status__in=[ReturnStatus.RECEIVED, ReturnStatus.SCRAPPED]):
            settlements = list(ReturnSettlement.objects.filter(return_id=ret.pk))
            assert len(settlements) == 1, ret.number
            settled = settlements[0]
            notes = Invoice.objects.filter(
                kind=InvoiceKind.CREDIT_NOTE, credit_reason__startswith=f"Return {ret.number}"
            )
            credited = -(notes.aggregate(s=Sum("gross_amount"))["s"] or Decimal(0))
            refunds = Payment.objects.filter(amount__lt=0, reference__startswith=ret.number)
            refunded = -(refunds.aggregate(s=Sum("amount"))["s"] or Decimal(0))
            assert (settled.amount_credited, settled.amount_refunded) == (credited, refunded), ret.number
            if ret.order.payment_method == "on_account":
                assert refunded == 0, ret.number  # credited on the account instead
            else:
                assert refunded <= credited, ret.number

    @invariant()
    def each_customer_email_is_sent_once_per_event(self):
        customers = {c.email for c in self.shop.customers.values()}
        sent = [(m.to[0], m.subject, m.body) for m in mail.outbox if m.to and m.to[0] in customers]
        if self.hold_identical_emails:
            assert len(sent) == len(set(sent)), "an e-mail went out twice"
        # each sent e-mail is recorded once, under its event's key (shipment notices and
        # invoices record theirs in oms.notify too): as many e-mails as keys
        keys = list(Notification.objects.filter(status="sent", to_email__in=customers).values_list("key", flat=True))
        assert len(keys) == len(set(keys)), keys
        assert len(sent) == len(keys), (sorted(m[1] for m in sent), sorted(keys))
        notices = ShipmentNotice.objects.filter(sent_at__isnull=False).count()
        assert notices == len([k for k in keys if k.startswith("shipment_")]), keys

    @invariant()
    def stock_follows_the_goods(self):
        """Per product, the warehouse's on hand (inventory) = the opening stock + goods received
        (purchasing) + returns received into stock - units handed to carriers (shipping) -
        units sold over the counter (orders). One grouped query per source, not per product."""
        left = {"handed_off", "in_transit", "delivered", "failed", "returned"}
        received = _units_by_product(GoodsReceiptLine.objects.all(), "purchase_order_line__product")
        returned = _units_by_product(ReturnLine.objects.filter(ret__status=ReturnStatus.RECEIVED), "product")
        shipped = _units_by_product(ShipmentLine.objects.filter(shipment__status__in=left), "product")
        sold = _units_by_product(
            OrderLine.objects.filter(order__channel="store", order__status=OrderStatus.COMPLETED), "product"
        )
        on_hand = dict(StockLevel.objects.filter(warehouse=self.shop.ams).values_list("product_id", "on_hand"))
        for sku, product in self.shop.products.items():
            pk = product.pk
            expected = OPENING_STOCK + received.get(pk, 0) + returned.get(pk, 0) - shipped.get(pk, 0) - sold.get(pk, 0)
            assert on_hand[pk] == expected, (sku, on_hand[pk], expected)

    @invariant()
    def oss_sales_carry_the_destination_s_vat(self):
        """A consumer elsewhere in the EU is charged their country's VAT on the order, and every
        invoice of it names that country; the OSS return of the quarter adds up to the
        OSS account's movements of the documents."""
        for order in Order.objects.filter(vat_regime="oss").exclude(status=OrderStatus.DRAFT):
            country = order.shipping_address["country"]
            assert country in ("BE", "DE") and order.customer.kind == "b2c", order.number
            rates = oss_rates_on(country, order.supply_date)
            for line in order.lines.all():
                assert line.vat_rate == rates[line.vat_category], (order.number, line.sku)
            assert set(Invoice.objects.filter(order=order).values_list("vat_country", flat=True)) <= {country}
        today = timezone.localdate()
        rows = billing_selectors.oss_quarter(today.year, (today.month - 1) // 3 + 1)
        documents = Invoice.objects.exclude(vat_country="").aggregate(s=Sum("vat_amount"))["s"] or Decimal(0)
        assert sum((row.vat for row in rows), Decimal(0)) == documents

    @invariant()
    def no_prepaid_order_is_picked_unpaid(self):
        assert self.picked_unpaid == [], self.picked_unpaid

    def _check_credit_limit(self, order: Order) -> None:
        customer = order.customer
        exposure = order_selectors.customer_open_on_account_amount(customer.pk)
        if exposure > customer.credit_limit:
            self.over_limit.append(order.number)
        assert exposure <= customer.credit_limit, (order.number, exposure, customer.credit_limit)


def _address_of(customer) -> dict:
    address = customer.addresses.filter(kind="shipping").first()
    if address is None:
        return {}
    return {
        "street": address.street,
        "house_number": address.house_number,
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
    }


def _line_nets(document: Invoice) -> list[tuple]:
    """(line, net) of a document as the ledger books them."""
    lines = list(document.lines.order_by("position"))
    return list(zip(lines, ubl.line_nets(document, lines, list(document.vat_lines.all())), strict=True))


def _units_by_product(queryset, product_field: str) -> dict[int, int]:
    """{product id: the quantities of ``queryset`` summed}, in one grouped query."""
    rows = queryset.order_by().values(product_field).annotate(units=Sum("quantity")).values_list(product_field, "units")
    return {pk: units or 0 for pk, units in rows}


def _unused_credit(order: Order) -> Decimal:
    """What the order's payments brought in and neither paid an invoice nor went back."""
    rows = Payment.objects.filter(order=order, amount__gt=0, refund_of__isnull=True)
    return sum((p.amount - p.amount_allocated - p.amount_refunded for p in rows), Decimal(0))


def _paid_in_full(order: Order) -> bool:
    return billing_selectors.order_paid_totals([order.pk])[order.pk] >= order.gross_amount


# --- the tests -----------------------------------------------------------------------------------


@pytest.fixture
def shop(db, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.OMS_DELIVERY_QUOTE_BACKEND = "shipping.quotes.quote_delivery"
    settings.OMS_OSS_ABOVE_THRESHOLD = True
    monkeypatch.setattr("oms.pdf.html_to_pdf", lambda html: b"%PDF-1.4 harness stub\n")
    with TestCase.captureOnCommitCallbacks(execute=True):
        world = build_shop()
    return world


def _run(machine, shop, examples: int) -> None:
    machine.shop = shop
    OUTCOMES.clear()
    PROGRESS.update(examples=0, wall=time.monotonic(), cpu=time.process_time())
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=list(Phase) if SHRINK else [Phase.explicit, Phase.reuse, Phase.generate],
            report_multiple_bugs=False,
        ),
    )
    print("order-to-cash outcomes:", dict(sorted(OUTCOMES.items())))
    if PROGRESS["examples"]:
        _report_progress()


@pytest.mark.slow
@pytest.mark.timeout(0)  # as long as O2C_EXAMPLES asks for
def test_order_to_cash_adds_up_after_every_step(shop):
    _run(OrderToCash, shop, EXAMPLES)


# --- counterexamples the machine found, kept as regression tests ----------------------------------


def test_counter_sale_refund_without_a_return_is_refused_and_leaves_nothing_owed(shop):
    """Found by the machine: a PIN counter sale refunded in part (no return) left its invoice
    3.63 open, a receivable of a cash sale. The refund now needs the sale credited first."""
    # given: a PIN sale of two teas
    sale = run(counter_sale, lines=[{"sku": "TEA", "quantity": 2}], method="pin", user=shop.users.accounting)
    payment = Payment.objects.get(order=sale.order)
    # when: half of it is refunded with no return
    refused = run(payment_refund, payment=payment, amount=payment.amount / 2, reference="RF-1", user=None)
    # then: refused, and the sale owes nothing
    assert isinstance(refused, OmsError) and refused.code == "refund_needs_credit_note"
    assert invariants.violations() == {}


def _ship_units(shop, order, units: dict[str, int]):
    """Pack ``units`` ({sku: n}) of ``order`` into one box and close it (the worker hands it off)."""
    shipment = run(packing.shipment_start, order_id=order.pk, warehouse_id=shop.ams.pk, user=shop.users.warehouse)
    assert isinstance(shipment, Shipment), shipment
    for sku, n in units.items():
        run(packing.shipment_scan, shipment_id=shipment.pk, code=sku, quantity=n, user=shop.users.warehouse)
    return run(packing.shipment_pack, shipment_id=shipment.pk, weight_grams=1000, user=shop.users.warehouse)


def test_per_shipment_invoices_add_up_to_the_order_to_the_cent(shop):
    """Three teas at 15 % off on account, shipped one at a time: three invoices of 2.83 + 9 %
    VAT (0.25 each, 0.75) against the order's 8.49 + 0.76."""
    order = run(
        order_place, channel="b2b", customer=shop.customers["bakker"],
        lines=[{"sku": "TEA", "quantity": 3, "discount_percent": 15}],
        user=shop.users.cs, payment_method="on_account", shipping_address=ADDRESS,
    )  # fmt: skip
    for _ in range(3):
        _ship_units(shop, order, {"TEA": 1})
    assert Invoice.objects.filter(order=order).count() == 3
    assert invariants.violations() == {}


def test_an_unpaid_prepaid_order_does_not_enter_the_pick_queue(shop):
    """Issue 15 defect 2, as the machine found it: an unpaid iDEAL order was packed and handed
    off, and the hand-off invoiced the shipped units as if on account (the per-order identity
    broke). Now the pick refuses it."""
    order = run(
        order_place, channel="web", customer=shop.customers["anna"], lines=[{"sku": "BOOK", "quantity": 2}],
        user=shop.users.cs, payment_method="ideal", shipping_address=ADDRESS,
    )  # fmt: skip
    started = run(packing.shipment_start, order_id=order.pk, warehouse_id=shop.ams.pk, user=shop.users.warehouse)
    assert isinstance(started, OmsError)
    assert invariants.violations() == {}


def test_a_backordered_order_held_and_released_tells_the_customer_once(shop):
    """Found by the machine (O2C_EXAMPLES=100): an order backordered at placing, put on hold and
    released twice, sent the customer the same backorder notice twice (one per ``order.backordered``
    of each release), though nothing changed for them. The notice is now keyed by what waits."""
    order = run(
        order_place, channel="b2b", customer=shop.customers["inc"], lines=[{"sku": "BOOK", "quantity": 20}],
        user=shop.users.cs, payment_method="bank_transfer", shipping_address=ADDRESS,
    )  # fmt: skip
    assert order.status == OrderStatus.BACKORDERED
    for _ in range(2):
        run(order_hold, order=Order.objects.get(pk=order.pk), user=shop.users.cs, reason="check")
        run(order_release_hold, order=Order.objects.get(pk=order.pk), user=shop.users.cs)
    sent = [(m.to[0], m.subject, m.body) for m in mail.outbox]
    assert len(sent) == len(set(sent)), sorted(m[1] for m in sent)
    # the confirmation told the backorder; going back to the same backorder is no news
    assert len(sent) == 1, sorted(m[1] for m in sent)


def test_an_invoice_by_hand_with_a_voucher_and_its_credit_note_add_up(shop):
    """The machine's voucher rule, once by hand: a consumer's invoice incl. VAT of mugs and tea
    with a voucher at the mugs' rate, credited in full; every identity holds."""
    machine = OrderToCash()
    machine.shop, machine.u = shop, shop.users
    try:
        machine.invoice_by_hand_with_a_voucher(
            customer="anna", goods=[("MUG", 2), ("TEA", 1)], voucher=Decimal("5.00"), credit="all"
        )
        invoice, note = Invoice.objects.filter(customer=shop.customers["anna"]).order_by("id")
        assert [net for _line, net in _line_nets(invoice)][-1] < 0  # the voucher's share
        assert note.gross_amount == -invoice.gross_amount
        assert invariants.violations() == {}
    finally:
        machine.teardown()
