"""Issue 19: a prepaid order paid in full is invoiced by the worker right after the payment
commits (the ``payment.received`` handler), not in the payment's transaction. With a real Celery
worker on Redis: one invoice per order, e-mailed once (to a fake SMTP server on 127.0.0.1), for a
payment through the API and one through the order panel; the issuing step run twice, or twice at
the same time, gives one invoice; a paid order whose event was lost is invoiced by the sweep."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from billing import tasks
from billing.models import Invoice, InvoiceStatus, Payment
from billing.services import payment_record
from billing.services.orders import order_invoice_when_paid, prepaid_orders_invoice_sweep
from oms import events
from oms.models import HandlerRun, OutboxEvent, OutboxStatus
from oms.roles import Role
from orders.models import Order
from tests.factories.payments import dispatch_pending, place
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.services import redis_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker_down(monkeypatch):
    """Events stay pending after commit (the hand-off to the broker fails), so the test hands
    them out itself, or loses them."""
    monkeypatch.setattr(events, "send", lambda event_ids: False)


def _invoice_mails(smtp, invoice: Invoice) -> list:
    return [m for m in smtp.messages if invoice.number in (m["Subject"] or "")]


@pytest.mark.redis
@pytest.mark.worker
def test_a_worker_invoices_an_order_paid_in_full_via_the_api_or_the_panel_once_and_mails_it_once(
    shop, smtp, settings, monkeypatch, api_client_for, role_client
):
    monkeypatch.setenv("EMAIL_URL", smtp.url)
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)
    queue = new_queue()
    monkeypatch.setenv("CELERY_TASK_DEFAULT_QUEUE", queue)  # what the worker queues comes back to it
    worker = Worker(queue, redis_url()).start()
    log = lambda: "".join(worker.log[-40:])  # noqa: E731
    try:
        with use_broker(redis_url(), queue):
            # given two prepaid web orders, placed (their order.placed events handled: unpaid, no invoice)
            by_api = place(shop.consumer, ("MUG-RED", 2))
            by_panel = place(shop.consumer, ("BOOK-1", 1))
            assert wait_until(
                lambda: not OutboxEvent.objects.filter(status=OutboxStatus.PENDING).exists(), timeout=60
            ), log()
            assert not Invoice.objects.exists()
            # when one is paid in full through the API and the other through the order panel
            response = api_client_for(Role.API_CLIENT).post(
                f"/api/v1/orders/{by_api.number}/payments/",
                {"method": "ideal", "amount": str(by_api.gross_amount), "reference": "tr_API"},
                format="json",
            )
            assert response.status_code == 201, response.content
            response = role_client(Role.ACCOUNTING).post(
                f"/billing/orders/{by_panel.pk}/payments/",
                {
                    "payment-method": "card",
                    "payment-amount": str(by_panel.gross_amount),
                    "payment-reference": "ch_PANEL",
                },
                headers={"HX-Request": "true"},
            )
            assert response.status_code == 200 and "Recorded" in response.content.decode()
            # then the worker issues each order's invoice, paid, and e-mails it
            for order in (by_api, by_panel):
                invoice = wait_until(lambda o=order: Invoice.objects.filter(order=o, sent_at__isnull=False).first(), 60)
                assert invoice, log()
                assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, order.gross_amount)
            # and a second delivery of the payment events changes nothing
            received = list(OutboxEvent.objects.filter(name="payment.received").values_list("id", flat=True))
            assert len(received) == 2
            events.send(received)
            tasks.invoice_pdf_render.apply_async(kwargs={"invoice_id": Invoice.objects.get(order=by_api).pk})
            assert wait_until(
                lambda: sum("invoice_pdf_render" in line and "succeeded" in line for line in worker.log) >= 3, 30
            ), log()
    finally:
        worker.stop()
    for order in (by_api, by_panel):
        (invoice,) = Invoice.objects.filter(order=order)
        assert len(_invoice_mails(smtp, invoice)) == 1, [m["Subject"] for m in smtp.messages]
        assert Payment.objects.get(order=order).amount_allocated == order.gross_amount
        assert Order.objects.get(pk=order.pk).amount_paid == order.gross_amount


def test_issuing_twice_in_a_row_or_at_the_same_time_gives_one_invoice(shop, no_delivery, broker_down):
    # given a prepaid order paid in full, its payment.received event not yet handled
    order = place(shop.consumer, ("MUG-RED", 3))
    dispatch_pending()
    payment_record(order=order, method="ideal", amount=order.gross_amount, reference="tr_TWICE", user=None)
    # when two workers run the issuing step at the same moment
    barrier, results, errors = threading.Barrier(2), [], []

    def issue_it():
        try:
            barrier.wait(10)
            results.append(order_invoice_when_paid(order_id=order.pk))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # then one of them issued the invoice and the other found it done
    assert errors == [] and sorted(result is None for result in results) == [False, True]
    # and running it again, or the event handled and delivered once more, adds nothing
    assert order_invoice_when_paid(order_id=order.pk) is None
    assert dispatch_pending() == ["payment.received", "invoice.issued"]  # the one invoice's
    received = OutboxEvent.objects.get(name="payment.received", payload__order_id=order.pk)
    HandlerRun.objects.filter(event=received).delete()
    OutboxEvent.objects.filter(pk=received.pk).update(status=OutboxStatus.PENDING)
    assert events.dispatch(received.pk) == OutboxStatus.DONE
    (invoice,) = Invoice.objects.filter(order=order)
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, order.gross_amount)


def test_the_sweep_invoices_a_paid_order_whose_event_was_lost_and_only_that(shop, no_delivery, broker_down):
    # given a prepaid order paid in full whose payment.received event was lost, one paid in part,
    # and an order on account paid in full (invoiced per shipment, not when paid)
    lost = place(shop.consumer, ("MUG-RED", 1))
    partly = place(shop.consumer, ("BOOK-1", 1))
    on_account = place(shop.business, ("MUG-RED", 1), method="on_account")
    dispatch_pending()
    payment_record(order=lost, method="ideal", amount=lost.gross_amount, reference="tr_LOST", user=None)
    payment_record(order=partly, method="ideal", amount="1.00", reference="tr_PART", user=None)
    payment_record(order=on_account, method="bank_transfer", amount=on_account.gross_amount, reference="NL1", user=None)
    OutboxEvent.objects.filter(name="payment.received").update(status=OutboxStatus.DEAD)
    later = timezone.now() + timedelta(minutes=5)
    # a payment just recorded is left to its handler
    assert prepaid_orders_invoice_sweep() == 0
    # when the sweep runs later, it invoices the paid prepaid order, once
    assert prepaid_orders_invoice_sweep(now=later) == 1
    assert prepaid_orders_invoice_sweep(now=later) == 0
    (invoice,) = Invoice.objects.filter(order=lost)
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, lost.gross_amount)
    assert not Invoice.objects.filter(order__in=[partly, on_account]).exists()
    # the beat task runs it with the unpaid-order chase
    assert tasks.unpaid_orders_chase()["invoiced"] == 0
