"""Payments under concurrency, on PostgreSQL with threads: repeats of one payment record it
once (webhook and API), concurrent refunds never exceed what was paid, concurrent invoicing of
one order never invoices twice."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from billing.models import Invoice, JournalEntry, Payment
from billing.services import order_invoice, payment_record, payment_refund
from oms.api_clients import api_client_create
from oms.errors import Conflict
from oms.invariants import violations
from orders.services import order_record_shipment
from tests.factories.payments import place

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 6


def together(work, n: int = THREADS) -> list:
    """Run ``work(i)`` on ``n`` threads released at the same moment; each closes its connection."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_payment_webhook_concurrent_repeats_record_one_payment(shop, fake_psp, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 2))
    fake_psp.add("tr_Race", order_number=order.number, amount=f"{order.gross_amount:.2f}")
    statuses = together(lambda i: Client().post("/webhooks/payments/mollie/", {"id": "tr_Race"}).status_code)
    assert statuses == [200] * THREADS
    assert Payment.objects.filter(reference="tr_Race").count() == 1
    assert JournalEntry.objects.filter(description__contains="tr_Race").count() == 1
    assert Invoice.objects.filter(order=order).count() == 1
    assert violations() == {}


def test_order_payments_api_concurrent_repeats_record_one_payment(shop, make_user, no_delivery):
    order = place(shop.consumer, ("BOOK-1", 1))
    token = api_client_create(name="psp bridge", scopes=["payments:write"])[1]
    body = {"method": "card", "amount": f"{order.gross_amount:.2f}", "reference": "ch_Race"}

    def post(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client.post(f"/api/v1/orders/{order.number}/payments/", body, format="json").status_code

    statuses = sorted(together(post))
    assert statuses == [200] * (THREADS - 1) + [201]
    assert Payment.objects.filter(reference="ch_Race").count() == 1
    assert violations() == {}


def test_payment_refund_concurrent_refunds_never_exceed_what_was_paid(shop, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    paid = payment_record(order=order, method="ideal", amount="30.00", reference="tr_Big", user=None).payment

    def refund(i):
        try:
            payment_refund(payment=paid, amount="8.00", reference=f"re_{i}", user=None)
            return "ok"
        except Conflict as exc:
            return exc.code

    outcomes = together(refund)
    assert outcomes.count("ok") == 3 and outcomes.count("refund_exceeds_paid") == THREADS - 3
    paid.refresh_from_db()
    refunds = Payment.objects.filter(refund_of=paid)
    assert sum(r.amount for r in refunds) == Decimal("-24.00") == -paid.amount_refunded
    assert violations() == {}


def test_order_invoice_concurrent_requests_invoice_once(shop, no_delivery):
    order = place(shop.business, ("MUG-RED", 4), method="on_account")
    order_record_shipment(order=order, lines=[(order.lines.get().pk, 4)], user=None)

    def invoice(_):
        try:
            return order_invoice(order_id=order.pk, basis="shipped", user=None).number
        except Conflict as exc:
            return exc.code

    outcomes = together(invoice, 4)
    assert outcomes.count("nothing_to_invoice") == 3
    assert Invoice.objects.filter(order=order).count() == 1
    assert violations() == {}
