"""Invoice numbers under concurrency, on PostgreSQL with threads (reliability-security.md ACC-4):
200 concurrent issues, a tenth rolled back after drawing their number: no gap, no duplicate."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connection, transaction

from billing.models import Invoice, InvoiceCounter, InvoiceKind
from billing.services import invoice_credit, invoice_issue
from oms.errors import Conflict
from oms.invariants import violations
from tests.factories.billing import LINES, b2b_customer, b2c_customer, issue

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


class Rollback(Exception):
    pass


def _deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_invoice_issue_200_concurrent_with_rollbacks_leaves_no_gap_and_no_duplicate(no_delivery):
    # given a few customers and 200 issues on 12 threads, every tenth rolled back after its number
    customers = [b2c_customer(), b2c_customer(), b2b_customer(), b2b_customer(country="DE", vat_id="DE136695976")]
    deadlocks_before = _deadlocks()
    drawn: list[str] = []
    lock = threading.Lock()

    def work(i: int) -> str | None:
        try:
            with transaction.atomic():
                invoice = invoice_issue(
                    customer=customers[i % len(customers)], lines=LINES, supply_date=date.today(), user=None
                )
                with lock:
                    drawn.append(invoice.number)
                if i % 10 == 0:
                    raise Rollback(invoice.number)
            return invoice.number
        except Rollback:
            return None
        finally:
            connection.close()

    # when they run at the same time
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(work, range(200)))
    elapsed = time.perf_counter() - started
    print(f"200 concurrent issues (20 rolled back) in {elapsed:.2f}s")

    # then 180 invoices exist, numbered 1..180 without a gap or a repeat
    committed = [r for r in results if r]
    assert len(committed) == 180 and len(set(committed)) == 180
    year = date.today().year
    sequences = sorted(Invoice.objects.filter(kind=InvoiceKind.INVOICE, year=year).values_list("sequence", flat=True))
    assert sequences == list(range(1, 181))
    assert InvoiceCounter.objects.get(series=InvoiceKind.INVOICE, year=year).next_number == 181
    # and the rolled-back ones had drawn numbers that were given out again
    assert len(drawn) == 200 and len(set(drawn)) < 200
    assert _deadlocks() == deadlocks_before
    assert not violations()


def test_invoice_credit_twice_at_once_issues_one_credit_note(no_delivery):
    invoice = issue()
    barrier = threading.Barrier(2)

    def credit(_):
        barrier.wait()
        try:
            return invoice_credit(invoice=invoice, reason="double click", user=None).number
        except Conflict as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(credit, range(2)))
    assert outcomes == [f"CN-{invoice.year}-000001", "nothing_to_credit"]
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1
    assert not violations()
