"""Issue 17, payment links: a phone or webshop order paid through the provider gets a Mollie
payment (through the official client, against a fake Mollie on 127.0.0.1), its link goes in
the confirmation e-mail, on the order page and in the API, and the payment made through it
releases the order to the pick queue. The provider being away or refusing never reaches the
user as a 500: links are retried, with the same Idempotency-Key."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from billing.models import LinkStatus, Payment, PaymentLink
from billing.services import payment_links
from oms.models import Delivery, Notification
from orders import status_links
from orders.models import OrderEvent
from orders.services import payment as order_payment
from shipping.selectors.fulfilment import pick_queue
from tests.factories.payments import dispatch_pending, place

pytestmark = pytest.mark.django_db

WEBHOOK = "/webhooks/payments/mollie/"


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a step and then what it queued after commit (tasks are eager here), as workers would."""

    def call(step, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = step(*args, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_pending()
        return result

    return call


def _phone_order(shop, run, method="ideal", **kwargs):
    return run(place, shop.consumer, ("MUG-RED", 2), method=method, channel="phone", **kwargs)


def _link(order) -> PaymentLink:
    return PaymentLink.objects.filter(order=order).order_by("-id").first()


def test_a_phone_order_gets_a_link_in_its_confirmation_and_reaches_the_pick_queue_once_paid(
    shop, fake_mollie, run, client, no_delivery, settings
):
    # when customer service places a phone order paid by iDEAL
    order = _phone_order(shop, run)
    order.refresh_from_db()
    link = _link(order)
    # then a worker made one Mollie payment for it, as the documented API wants it
    (body,) = fake_mollie.bodies
    assert body["amount"] == {"currency": "EUR", "value": f"{order.gross_amount:.2f}"}
    assert order.number in body["description"]
    assert body["metadata"] == {"order_number": order.number}
    assert body["method"] == "ideal"
    assert body["redirectUrl"] == f"https://shop.test/order/{order.number}/"
    assert body["webhookUrl"] == "https://oms.test/webhooks/payments/mollie/"
    assert body["expiresAt"]
    (post,) = [r for r in fake_mollie.requests if r[0] == "POST"]
    assert post[2] == f"oms-payment-link-{link.pk}"
    # and the link is on the order, on its timeline and in the one confirmation e-mail
    assert link.status == LinkStatus.OPEN and order.payment_url == link.checkout_url
    assert order.payment_url.startswith("https://www.mollie.com/checkout/")
    assert OrderEvent.objects.filter(order=order, message__startswith="Payment link made").exists()
    (message,) = mail.outbox
    assert order.number in message.subject and order.payment_url in message.body
    # and the order waits for its payment
    assert order not in pick_queue(shop.ams.pk)
    # when the customer pays and Mollie calls the webhook
    fake_mollie.pay(link.provider_payment_id)
    with_commit = run(client.post, WEBHOOK, {"id": link.provider_payment_id})
    assert with_commit.status_code == 202
    # then the payment is recorded and the order is in the pick queue
    payment = Payment.objects.get(order=order)
    assert (payment.reference, payment.amount, payment.provider) == (
        link.provider_payment_id,
        order.gross_amount,
        "mollie",
    )
    order.refresh_from_db()
    assert order.amount_paid == order.gross_amount and order in pick_queue(shop.ams.pk)
    # and the link is no longer offered anywhere
    assert order.current_payment_url == ""


def test_a_webshop_order_gets_a_link_and_an_order_on_account_or_in_the_store_none(shop, fake_mollie, run, no_delivery):
    web = run(place, shop.consumer, ("MUG-RED", 1), method="klarna", channel="web")
    on_account = run(place, shop.business, ("MUG-RED", 1), method="on_account", channel="phone")
    bank = run(place, shop.consumer, ("MUG-RED", 1), method="bank_transfer", channel="web")
    assert _link(web).status == LinkStatus.OPEN and fake_mollie.bodies[0]["method"] == "klarna"
    assert _link(on_account) is None and _link(bank) is None
    assert len(fake_mollie.bodies) == 1
    # their confirmations went at once, without a link
    assert len(mail.outbox) == 3


def test_links_are_off_without_a_key(shop, fake_mollie, run, settings, no_delivery):
    settings.OMS_PAYMENT_LINKS = False
    order = _phone_order(shop, run)
    assert _link(order) is None and fake_mollie.bodies == []
    (message,) = mail.outbox
    assert "mollie" not in message.body


def test_the_confirmation_waits_for_the_link_while_the_provider_is_down(shop, fake_mollie, run, no_delivery):
    # given Mollie answering 500
    fake_mollie.fail_next = 1
    order = _phone_order(shop, run)
    link = _link(order)
    # then no link yet, the confirmation is written and held, nothing is e-mailed
    assert link.status == LinkStatus.REQUESTED and "500" in link.error
    assert mail.outbox == []
    held = Notification.objects.get(key=f"order_confirmation:order:{order.pk}")
    assert held.status == "queued"
    assert Delivery.objects.get(kind="oms.notification", key=str(held.pk)).attempts == 0
    # when the back-off has passed and the sweep runs
    PaymentLink.objects.filter(pk=link.pk).update(next_try_at=timezone.now())
    assert run(payment_links.payment_links_sweep) == 1
    # then the link is made with the same Idempotency-Key, and the confirmation carries it
    link.refresh_from_db()
    assert link.status == LinkStatus.OPEN
    keys = [key for method, _, key in fake_mollie.requests if method == "POST"]
    assert keys == [f"oms-payment-link-{link.pk}"] * 2
    (message,) = mail.outbox
    assert link.checkout_url in message.body


def test_a_repeated_request_after_a_lost_answer_makes_one_payment_at_the_provider(shop, fake_mollie, run):
    """The Idempotency-Key: the first POST reached Mollie but our worker died before it kept the
    answer (here: the row is claimed again); the retry gets the same payment back."""
    order = _phone_order(shop, run)
    link = _link(order)
    made = len(fake_mollie.payments)
    answer = payment_links.mollie.payment_create(
        {"amount": {"currency": "EUR", "value": "20.00"}, "description": "x"},
        idempotency_key=f"oms-payment-link-{link.pk}",
    )
    assert answer["id"] == link.provider_payment_id and len(fake_mollie.payments) == made


def test_a_refused_link_is_shown_and_the_confirmation_goes_without_it(shop, fake_mollie, run, role_client):
    fake_mollie.refuse = "The payment method is not enabled in your website profile"
    order = _phone_order(shop, run)
    link = _link(order)
    assert link.status == LinkStatus.FAILED and "not enabled" in link.error
    (message,) = mail.outbox
    assert "checkout" not in message.body
    assert OrderEvent.objects.filter(order=order, message__startswith="No payment link").exists()
    page = role_client("customer_service").get(reverse("billing:order_panel", args=[order.pk]))
    assert "not enabled" in page.content.decode()


def test_the_order_panel_shows_the_link_and_sends_it_again(shop, fake_mollie, run, role_client, htmx_headers):
    order = _phone_order(shop, run)
    order.refresh_from_db()
    mail.outbox.clear()
    client = role_client("customer_service")
    page = client.get(reverse("billing:order_panel", args=[order.pk]), **htmx_headers)
    html = page.content.decode()
    assert order.payment_url in html and 'data-testid="payment-link-send"' in html
    # when customer service presses "Send link again" (twice, a double click)
    url = reverse("billing:order_payment_link_send", args=[order.pk])
    answer = run(client.post, url, **htmx_headers)
    run(client.post, url, **htmx_headers)
    # then the panel answers in place and one e-mail with the link went out
    assert answer.status_code == 200 and 'id="billing-order-panel"' in answer.content.decode()
    (message,) = mail.outbox
    assert order.payment_url in message.body and order.number in message.subject


def test_a_double_click_across_a_minute_turn_sends_one_link_and_a_later_press_sends_again(shop, fake_mollie, run):
    order = _phone_order(shop, run)
    order.refresh_from_db()
    mail.outbox.clear()
    # when the two clicks fall on either side of a minute's turn (12:00:59.95 and 12:01:00.05);
    # the turn just gone, so that the e-mail's own write time (the real clock) is never before it
    turn = timezone.now().replace(second=0, microsecond=0)
    first = run(order_payment.order_payment_link_send, order=order, user=None, now=turn - timedelta(milliseconds=50))
    second = run(order_payment.order_payment_link_send, order=order, user=None, now=turn + timedelta(milliseconds=50))
    # then one e-mail went out, and the second press says nothing was sent
    assert (first, second, len(mail.outbox)) == (True, False, 1)
    # and a press after the gap sends the link again
    later = timezone.now() + order_payment.RESEND_GAP + timedelta(seconds=1)
    assert run(order_payment.order_payment_link_send, order=order, user=None, now=later) is True
    assert len(mail.outbox) == 2 and all(order.payment_url in m.body for m in mail.outbox)


def test_a_new_link_after_expiry_from_the_order_panel(shop, fake_mollie, run, role_client, htmx_headers):
    order = _phone_order(shop, run)
    first = _link(order)
    type(order).objects.filter(pk=order.pk).update(payment_url_expires_at=timezone.now() - timedelta(minutes=1))
    client = role_client("customer_service")
    html = client.get(reverse("billing:order_panel", args=[order.pk]), **htmx_headers).content.decode()
    assert first.checkout_url not in html and "expired" in html
    answer = run(client.post, reverse("billing:order_payment_link_new", args=[order.pk]), **htmx_headers)
    order.refresh_from_db()
    assert order.payment_url and order.payment_url != first.checkout_url
    assert order.payment_url in answer.content.decode()


# --- the API ----------------------------------------------------------------------------------------


def test_the_api_answers_the_link_and_makes_a_new_one_after_expiry(shop, fake_mollie, run, api_client_for):
    api = api_client_for(scopes=["orders:read", "orders:write"])
    order = _phone_order(shop, run)
    order.refresh_from_db()
    body = api.get(f"/api/v1/orders/{order.number}/").json()
    assert body["payment_url"] == order.payment_url and body["payment_url_expires_at"]
    # when the link has expired
    type(order).objects.filter(pk=order.pk).update(payment_url_expires_at=timezone.now() - timedelta(minutes=1))
    assert api.get(f"/api/v1/orders/{order.number}/").json()["payment_url"] is None
    # then the webshop asks for a new one and gets it at once (a retry with its key: the same one)
    made = len(fake_mollie.payments)
    url = f"/api/v1/orders/{order.number}/payment-link/"
    answer = run(api.post, url, HTTP_IDEMPOTENCY_KEY="link-1")
    again = run(api.post, url, HTTP_IDEMPOTENCY_KEY="link-1")
    assert answer.status_code == 201, answer.content
    assert again.json() == answer.json() and again["Idempotent-Replayed"] == "true"
    assert len(fake_mollie.payments) == made + 1
    new = answer.json()
    assert new["status"] == "open" and new["payment_url"] != order.payment_url
    assert new["amount"] == f"{order.gross_amount:.2f}"
    assert api.get(f"/api/v1/orders/{order.number}/").json()["payment_url"] == new["payment_url"]


def test_the_api_refuses_a_link_for_a_paid_order_or_one_not_paid_through_the_provider(
    shop, fake_mollie, run, api_client_for, no_delivery
):
    api = api_client_for(scopes=["orders:read", "orders:write"])
    on_account = run(place, shop.business, ("MUG-RED", 1), method="on_account", channel="phone")
    answer = api.post(f"/api/v1/orders/{on_account.number}/payment-link/")
    assert answer.status_code == 409 and answer["Content-Type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["code"] == "not_a_provider_method"
    paid = _phone_order(shop, run)
    link = _link(paid)
    fake_mollie.pay(link.provider_payment_id)
    run(_webhook, WEBHOOK, {"id": link.provider_payment_id})
    answer = api.post(f"/api/v1/orders/{paid.number}/payment-link/")
    assert answer.status_code == 409 and answer.json()["errors"][0]["code"] == "order_paid"


def _webhook(url, data):
    from django.test import Client

    return Client().post(url, data)


@pytest.mark.parametrize("trouble", ["down", "fail_next", "delay"])
def test_the_provider_away_is_a_202_and_the_link_follows(shop, fake_mollie, run, api_client_for, settings, trouble):
    api = api_client_for(scopes=["orders:read", "orders:write"])
    order = _phone_order(shop, run)
    type(order).objects.filter(pk=order.pk).update(payment_url_expires_at=timezone.now() - timedelta(minutes=1))
    settings.OMS_PAYMENT_PROVIDERS = {"mollie": {**settings.OMS_PAYMENT_PROVIDERS["mollie"], "timeout": 0.5}}
    if trouble == "down":
        fake_mollie.down = True
    elif trouble == "fail_next":
        fake_mollie.fail_next = 2
    else:
        fake_mollie.delay = 1.5
    answer = run(api.post, f"/api/v1/orders/{order.number}/payment-link/")
    assert answer.status_code == 202, answer.content
    assert answer.json()["status"] == "requested" and answer.json()["payment_url"] is None
    # a second ask while it is being made is the same link
    assert run(api.post, f"/api/v1/orders/{order.number}/payment-link/").status_code == 202
    assert PaymentLink.objects.filter(order=order, status=LinkStatus.REQUESTED).count() == 1
    # and once the provider is back, the sweep makes it
    fake_mollie.down, fake_mollie.delay = False, 0
    PaymentLink.objects.filter(order=order, status=LinkStatus.REQUESTED).update(next_try_at=timezone.now())
    run(payment_links.payment_links_sweep)
    assert api.get(f"/api/v1/orders/{order.number}/").json()["payment_url"]


def test_a_provider_refusal_through_the_api_is_a_409_problem(shop, fake_mollie, run, api_client_for):
    api = api_client_for(scopes=["orders:read", "orders:write"])
    order = _phone_order(shop, run)
    fake_mollie.refuse = "The amount is lower than the minimum"
    answer = api.post(f"/api/v1/orders/{order.number}/payment-link/")
    (error,) = answer.json()["errors"]
    assert answer.status_code == 409 and error["code"] == "provider_refused" and "minimum" in error["message"]


def test_the_admin_lists_links_read_only(shop, fake_mollie, run, client, django_user_model):
    order = _phone_order(shop, run)
    client.force_login(django_user_model.objects.create_superuser("root-links", "root@example.nl", "x"))
    assert order.number in client.get("/admin/billing/paymentlink/").content.decode()
    assert client.get("/admin/billing/providerrefund/").status_code == 200
    assert client.get("/admin/billing/paymentlink/add/").status_code == 403


def test_without_a_shop_redirect_the_customer_comes_back_to_their_order_page(shop, fake_mollie, run, settings):
    # given no shop page to return to
    settings.OMS_PAYMENT_REDIRECT_URL = ""
    # when a phone order paid by iDEAL gets its link
    order = _phone_order(shop, run)
    # then Mollie sends the customer back to the order's own page in OMS
    (body,) = fake_mollie.bodies
    assert body["redirectUrl"] == status_links.status_url(order)
    assert body["redirectUrl"].startswith(settings.OMS_SITE_URL.rstrip("/") + "/s/")
