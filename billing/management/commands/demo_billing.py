"""Demo invoices and credit notes for the demo customers (see ``billing.demo``).

Idempotent: UCI invoices already issued (reference ``UCI <InvoiceNo>``) are skipped, and nothing
is issued when invoices that are not demo invoices exist (their numbers and dates come first).
Issued through ``invoice_issue`` like any invoice, with delivery paused: PDFs are rendered when
first opened and e-mail goes out with "Send unsent invoices".
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from billing import demo
from billing.models import Invoice
from billing.services import delivery, invoice_credit, invoice_issue, invoices_mark_overdue
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
        overdue = invoices_mark_overdue()
        self.stdout.write(
            f"billing: {issued} invoices issued, {len(done)} already there, {overdue} overdue "
            f"({time.monotonic() - started:.1f} s)"
        )

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
