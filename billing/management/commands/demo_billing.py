"""Demo invoices, credit notes and payments for the demo customers (see ``billing.demo``).

Idempotent: UCI invoices already issued (reference ``UCI <InvoiceNo>``) are skipped, and nothing
is issued when invoices that are not demo invoices exist (their numbers and dates come first).
Issued through ``invoice_issue`` like any invoice, with delivery paused: PDFs are rendered when
first opened and e-mail goes out with "Send unsent invoices". Most invoices older than ten days
are then paid by bank transfer (some in part), through ``payment_record`` with a reference per
invoice, so a second run records nothing twice.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from billing import demo
from billing.models import Invoice
from billing.services import delivery, invoice_credit, invoice_issue, invoices_mark_overdue, payment_record
from customers.models import Customer
from oms.errors import OmsError

FULL, SMALL = 400, 40
SPREAD_DAYS = 150


class Command(BaseCommand):
    help = "Issue demo invoices from the UCI Online Retail data to the demo customers."

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true", help=f"{SMALL} invoices instead of {FULL}")

    def handle(self, *args, small=False, **options):
        started = time.monotonic()
        wanted = list(demo.read_invoices(SMALL if small else FULL))
        done = set(Invoice.objects.filter(reference__startswith="UCI ").values_list("reference", flat=True))
        if Invoice.objects.exclude(reference__startswith="UCI ").exists():
            self.stdout.write("billing: other invoices exist; no demo invoices added")
            return
        customers = Customer.objects.in_bulk([i.customer_ref for i in wanted], field_name="external_ref")
        todo = [i for i in wanted if f"UCI {i.number}" not in done and i.customer_ref in customers]
        issued = self._issue(todo, customers, len(wanted))
        paid = self._pay()
        overdue = invoices_mark_overdue()
        self.stdout.write(
            f"billing: {issued} invoices issued, {len(done)} already there, {paid} payments recorded, "
            f"{overdue} overdue ({time.monotonic() - started:.1f} s)"
        )

    def _pay(self) -> int:
        """Bank transfers for three in four demo invoices older than ten days; every ninth pays half."""
        user = get_user_model().objects.filter(username="accounting").first()
        cutoff = timezone.localdate() - timedelta(days=10)
        invoices = Invoice.objects.filter(
            reference__startswith="UCI ", kind="invoice", issue_date__lte=cutoff
        ).select_related("customer")
        recorded = 0
        for index, invoice in enumerate(invoices.order_by("sequence")):
            if index % 4 == 0 or invoice.gross_amount <= 0:
                continue
            amount = invoice.gross_amount if index % 9 else (invoice.gross_amount / 2).quantize(Decimal("0.01"))
            day = invoice.issue_date + timedelta(days=5 + index % 12)
            paid_at = min(timezone.make_aware(datetime.combine(day, dt_time(10, 0))), timezone.now())
            result = payment_record(
                customer=invoice.customer,
                method="bank_transfer",
                amount=amount,
                reference=f"DEMO-{invoice.number}",
                paid_at=paid_at,
                user=user,
                history=True,  # months of demo history, older than the screens accept
            )
            recorded += result.created
        return recorded

    def _issue(self, todo: list[demo.DemoInvoice], customers: dict, total: int) -> int:
        user = get_user_model().objects.filter(username="accounting").first()
        today = timezone.localdate()
        issued = 0
        with delivery.paused():
            for index, item in enumerate(todo):
                day = today - timedelta(days=SPREAD_DAYS - SPREAD_DAYS * (total - len(todo) + index) // total)
                try:
                    invoice = invoice_issue(
                        customer=customers[item.customer_ref],
                        lines=item.lines,
                        supply_date=day,
                        issue_date=day,
                        reference=f"UCI {item.number}",
                        user=user,
                    )
                except OmsError as exc:
                    self.stderr.write(f"UCI {item.number}: {exc.message}")
                    continue
                issued += 1
                if index % 23 == 7:  # now and then a customer sends something back
                    invoice_credit(
                        invoice=invoice,
                        lines=[{"line": 1, "quantity": 1}],
                        reason="Retour: beschadigd",
                        user=user,
                        issue_date=day,
                    )
        return issued
