"""The payment provider's webhook is a hint: the payment is fetched from the provider (a fake
one on 127.0.0.1) and recorded once; unknown, forged or unpaid ids change nothing."""

import logging

import pytest

from billing.models import Invoice, JournalEntry, Payment
from oms.invariants import violations
from tests.factories.payments import place

pytestmark = pytest.mark.django_db

URL = "/webhooks/payments/mollie/"


def test_payment_webhook_records_a_paid_payment_once(shop, fake_psp, client, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    fake_psp.add("tr_Paid1", order_number=order.number, amount=f"{order.gross_amount:.2f}")
    # when the provider calls five times (its retries, a proxy repeating)
    answers = [client.post(URL, {"id": "tr_Paid1"}) for _ in range(5)]
    # then each call is answered 200 and one payment is recorded, fetched with our key
    assert {a.status_code for a in answers} == {200}
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


def test_payment_webhook_unknown_or_forged_ids_change_nothing(shop, fake_psp, client, caplog):
    order = place(shop.consumer, ("MUG-RED", 1))
    entries = JournalEntry.objects.count()
    with caplog.at_level(logging.WARNING, logger="billing.security"):
        forged = client.post(URL, {"id": "tr_Forged"})
        garbage = client.post(URL, {"id": "'; DROP TABLE --"})
        empty = client.post(URL, content_type="application/json", data=b"{not json")
    assert (forged.status_code, garbage.status_code, empty.status_code) == (200, 200, 200)
    assert not Payment.objects.exists() and JournalEntry.objects.count() == entries
    assert "does not know payment tr_Forged" in caplog.text and "malformed id" in caplog.text
    # a payment the provider knows but for an order we do not know: nothing either
    fake_psp.add("tr_Other", order_number="SO-999999", amount="10.00")
    assert client.post(URL, {"id": "tr_Other"}).status_code == 200 and not Payment.objects.exists()
    assert order.pk


def test_payment_webhook_waits_for_paid_and_uses_the_provider_amount(shop, fake_psp, client, no_delivery):
    order = place(shop.consumer, ("BOOK-1", 1))
    fake_psp.add("tr_Slow", order_number=order.number, amount="10.00", status="open", method="klarnapaylater")
    assert client.post(URL, {"id": "tr_Slow"}, content_type="application/json").status_code == 200
    assert not Payment.objects.exists()
    fake_psp.add("tr_Slow", order_number=order.number, amount="10.00", method="klarnapaylater")
    client.post(URL, data={"id": "tr_Slow"}, content_type="application/json")
    payment = Payment.objects.get()
    assert (payment.method, str(payment.amount)) == ("klarna", "10.00")
    assert not Invoice.objects.filter(order=order).exists()  # 10.00 of the total: not yet paid in full


def test_payment_webhook_answers_503_when_the_provider_cannot_be_asked(shop, fake_psp, client):
    fake_psp.down = True
    response = client.post(URL, {"id": "tr_Any"})
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert client.post("/webhooks/payments/unknown/", {"id": "tr_Any"}).status_code == 404
    assert client.get(URL).status_code == 405


def test_a_pay_later_payment_authorised_by_the_provider_releases_the_order(shop, fake_psp, client, no_delivery):
    # given a Klarna order: the provider authorises it (it owes us the money from then on)
    from orders.models import Order

    order = place(shop.consumer, ("MUG-RED", 1), method="klarna")
    assert Order.objects.get(pk=order.pk).awaits_payment
    fake_psp.add("tr_Auth", order_number=order.number, amount=f"{order.gross_amount:.2f}", status="authorized",
                 method="klarnapaylater")  # fmt: skip
    assert client.post(URL, {"id": "tr_Auth"}).status_code == 200
    # then it is recorded as Klarna's payment, and the order no longer waits for the warehouse
    assert Payment.objects.get().method == "klarna"
    assert not Order.objects.get(pk=order.pk).awaits_payment
    # an iDEAL payment is never "authorised": only paid counts
    other = place(shop.consumer, ("MUG-RED", 1), method="ideal")
    fake_psp.add("tr_IdealAuth", order_number=other.number, amount=f"{other.gross_amount:.2f}", status="authorized")
    client.post(URL, {"id": "tr_IdealAuth"})
    assert Payment.objects.count() == 1 and Order.objects.get(pk=other.pk).awaits_payment
    assert violations() == {}
