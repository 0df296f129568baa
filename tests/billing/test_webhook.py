"""The payment provider's webhook is a hint: it is answered at once, and the payment is fetched
from the provider (a fake one on 127.0.0.1) after commit (inline here, eager Celery; a real
worker in test_webhook_worker.py) and recorded once; unknown, forged or unpaid ids change nothing."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Invoice, JournalEntry, Payment, PaymentFetch
from billing.services import psp
from oms.invariants import violations
from tests.factories.payments import place

pytestmark = pytest.mark.django_db

URL = "/webhooks/payments/mollie/"


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST to the webhook and run what it queued after commit (the fetch task, eager)."""

    def call(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(*args, **kwargs)

    return call


def test_payment_webhook_records_a_paid_payment_once(shop, fake_psp, post, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    fake_psp.add("tr_Paid1", order_number=order.number, amount=f"{order.gross_amount:.2f}")
    # when the provider calls five times (its retries, a proxy repeating)
    answers = [post(URL, {"id": "tr_Paid1"}) for _ in range(5)]
    # then each call is answered 202 and one payment is recorded, fetched with our key
    assert {a.status_code for a in answers} == {202}
    payment = Payment.objects.get()
    assert (payment.method, payment.reference, payment.amount, payment.provider) == (
        "ideal",
        "tr_Paid1",
        order.gross_amount,
        "mollie",
    )
    assert fake_psp.calls[0] == ("/v2/payments/tr_Paid1", "Bearer test_key")
    assert Invoice.objects.get(order=order).status == "paid"
    assert violations() == {}


def test_payment_webhook_unknown_or_forged_ids_change_nothing(shop, fake_psp, post, caplog):
    order = place(shop.consumer, ("MUG-RED", 1))
    entries = JournalEntry.objects.count()
    with caplog.at_level(logging.WARNING, logger="billing.security"):
        forged = post(URL, {"id": "tr_Forged"})
        garbage = post(URL, {"id": "'; DROP TABLE --"})
        empty = post(URL, content_type="application/json", data=b"{not json")
    assert (forged.status_code, garbage.status_code, empty.status_code) == (202, 202, 202)
    assert not Payment.objects.exists() and JournalEntry.objects.count() == entries
    assert "does not know payment tr_Forged" in caplog.text and "malformed id" in caplog.text
    # a payment the provider knows but for an order we do not know: nothing either
    fake_psp.add("tr_Other", order_number="SO-999999", amount="10.00")
    assert post(URL, {"id": "tr_Other"}).status_code == 202 and not Payment.objects.exists()
    assert not PaymentFetch.objects.exists()
    assert order.pk


def test_payment_webhook_waits_for_paid_and_uses_the_provider_amount(shop, fake_psp, post, no_delivery):
    order = place(shop.consumer, ("BOOK-1", 1))
    fake_psp.add("tr_Slow", order_number=order.number, amount="10.00", status="open", method="klarnapaylater")
    assert post(URL, {"id": "tr_Slow"}, content_type="application/json").status_code == 202
    assert not Payment.objects.exists()
    fake_psp.add("tr_Slow", order_number=order.number, amount="10.00", method="klarnapaylater")
    post(URL, data={"id": "tr_Slow"}, content_type="application/json")
    payment = Payment.objects.get()
    assert (payment.method, str(payment.amount)) == ("klarna", "10.00")
    assert not Invoice.objects.filter(order=order).exists()  # 10.00 of the total: not yet paid in full


def test_payment_webhook_when_the_provider_cannot_be_asked_the_sweep_tries_again(
    shop, fake_psp, post, no_delivery, django_capture_on_commit_callbacks
):
    # given a provider that is down when the webhook comes
    order = place(shop.consumer, ("MUG-RED", 1))
    fake_psp.add("tr_Later", order_number=order.number, amount=f"{order.gross_amount:.2f}")
    fake_psp.down = True
    assert post(URL, {"id": "tr_Later"}).status_code == 202
    fetch = PaymentFetch.objects.get()
    assert (fetch.started_at, fetch.attempts) == (None, 1) and not Payment.objects.exists()
    # when the provider is back and the back-off has passed
    fake_psp.down = False
    assert psp.payment_fetches_sweep() == 0  # not yet due
    PaymentFetch.objects.update(requested_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert psp.payment_fetches_sweep() == 1
    # then the payment is recorded and nothing is left to fetch
    assert Payment.objects.get().reference == "tr_Later" and not PaymentFetch.objects.exists()


def test_payment_webhook_a_hint_while_fetching_fetches_again(shop, fake_psp, client):
    # given a fetch that a worker is running
    fake_psp.add("tr_Busy", order_number="SO-999999", amount="1.00", status="open")
    PaymentFetch.objects.create(provider="mollie", payment_id="tr_Busy", started_at=timezone.now())
    # when the provider calls again: nothing new is queued, the running fetch is marked
    assert client.post(URL, {"id": "tr_Busy"}).status_code == 202
    assert PaymentFetch.objects.get().again is True
    # and a second delivery of the task for a fetch that is running does nothing
    assert psp.payment_fetch_run(provider="mollie", payment_id="tr_Busy") == "duplicate"
    assert fake_psp.calls == []


def test_payment_webhook_a_killed_fetch_is_taken_over_after_the_time_limit(shop, fake_psp, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    fake_psp.add("tr_Dead", order_number=order.number, amount=f"{order.gross_amount:.2f}")
    PaymentFetch.objects.create(
        provider="mollie", payment_id="tr_Dead", started_at=timezone.now() - timedelta(minutes=6), attempts=1
    )
    assert psp.payment_fetch_run(provider="mollie", payment_id="tr_Dead") == "recorded"
    assert not PaymentFetch.objects.exists()


def test_payment_webhook_rate_limit_per_address_is_a_429_problem(shop, fake_psp, client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.OMS_PAYMENT_WEBHOOK_RATE_LIMIT = 3
    answers = [client.post(URL, {"id": f"tr_R{i}"}, REMOTE_ADDR="203.0.113.5").status_code for i in range(5)]
    assert answers == [202, 202, 202, 429, 429]
    refused = client.post(URL, {"id": "tr_R9"}, REMOTE_ADDR="203.0.113.5")
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["errors"][0]["code"] == "rate_limited" and int(refused["Retry-After"]) >= 1
    # another address is not limited
    assert client.post(URL, {"id": "tr_R0"}, REMOTE_ADDR="198.51.100.1").status_code == 202
    assert client.post("/webhooks/payments/unknown/", {"id": "tr_Any"}, REMOTE_ADDR="198.51.100.2").status_code == 404
    assert client.get(URL).status_code == 405


def test_a_pay_later_payment_authorised_by_the_provider_releases_the_order(shop, fake_psp, post, no_delivery):
    # given a Klarna order: the provider authorises it (it owes us the money from then on)
    from orders.models import Order

    order = place(shop.consumer, ("MUG-RED", 1), method="klarna")
    assert Order.objects.get(pk=order.pk).awaits_payment
    fake_psp.add("tr_Auth", order_number=order.number, amount=f"{order.gross_amount:.2f}", status="authorized",
                 method="klarnapaylater")  # fmt: skip
    assert post(URL, {"id": "tr_Auth"}).status_code == 202
    # then it is recorded as Klarna's payment, and the order no longer waits for the warehouse
    assert Payment.objects.get().method == "klarna"
    assert not Order.objects.get(pk=order.pk).awaits_payment
    # an iDEAL payment is never "authorised": only paid counts
    other = place(shop.consumer, ("MUG-RED", 1), method="ideal")
    fake_psp.add("tr_IdealAuth", order_number=other.number, amount=f"{other.gross_amount:.2f}", status="authorized")
    post(URL, {"id": "tr_IdealAuth"})
    assert Payment.objects.count() == 1 and Order.objects.get(pk=other.pk).awaits_payment
    assert violations() == {}
