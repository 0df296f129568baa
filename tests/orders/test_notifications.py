"""The customer's e-mails about an order: a confirmation on placing (promised date, lines,
shipping and total incl. VAT) and a backorder notice with the new date when the order falls
back to backordered; each sent once per event, in the customer's language, and on the timeline."""

import pytest
from django.core import mail

from oms import notify
from oms.models import Notification
from oms.roles import Role
from orders.models import Order
from orders.services import order_lines_change
from tests.factories.orders import place
from tests.factories.payments import dispatch_pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_events(django_capture_on_commit_callbacks):
    """Dispatch the outbox as the worker does; the e-mails queued by handlers go out on commit."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_pending()

    return run


def mails_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_order_confirmation_is_sent_once_in_dutch_with_date_lines_and_totals(customer, mug, run_events):
    order = place(customer, ("MUG-RED", 2))
    run_events()
    (message,) = mails_to(customer.email)
    assert message.subject == f"Uw bestelling {order.number} is bevestigd"
    assert "2 x Red mug (MUG-RED)" in message.body
    assert f"Verwachte bezorging: {order.promised_delivery_date:%d-%m-%Y}" in message.body
    body = message.body.replace("\xa0", " ")
    assert "Verzendkosten: € 5,99 incl. btw" in body  # 4.95 + 21% VAT
    assert f"Totaal: {_eur(order.gross_amount)} incl. btw" in body
    notification = Notification.objects.get(order_id=order.pk)
    assert (notification.kind, notification.status, notification.language) == ("order_confirmation", "sent", "nl")
    # the event delivered again, the task run again: still one e-mail
    run_events()
    assert notify.notification_send(notification_id=notification.pk) == "skipped"
    assert len(mails_to(customer.email)) == 1


def test_order_confirmation_in_english_for_an_english_customer(customer, mug, run_events):
    customer.__class__.objects.filter(pk=customer.pk).update(language="en")
    customer.refresh_from_db()
    order = place(customer, ("MUG-RED", 1))
    run_events()
    (message,) = mails_to(customer.email)
    assert message.subject == f"Your order {order.number} is confirmed"
    assert "Expected delivery:" in message.body and "incl. VAT" in message.body


def test_backorder_at_placement_is_told_in_the_confirmation_not_twice(customer, mug, run_events):
    order = place(customer, ("MUG-RED", 12))  # 10 in stock
    assert order.status == "backordered"
    run_events()
    (message,) = mails_to(customer.email)
    assert "bevestigd" in message.subject and "2 x Red mug" in message.body and "na zodra" in message.body
    assert list(Notification.objects.values_list("kind", flat=True)) == ["order_confirmation"]


def test_backorder_later_sends_a_notice_with_the_new_date_once(customer, mug, run_events):
    order = place(customer, ("MUG-RED", 2))
    run_events()
    line = order.lines.get()
    order_lines_change(order=Order.objects.get(pk=order.pk), changes=[{"line_id": line.pk, "quantity": 14}], user=None)
    run_events()
    order.refresh_from_db()
    assert order.status == "backordered"
    notice = mails_to(customer.email)[-1]
    assert notice.subject == f"Uw bestelling {order.number}: nieuwe leverdatum"
    assert "4 x Red mug (MUG-RED)" in notice.body
    if order.promised_delivery_date:
        assert f"{order.promised_delivery_date:%d-%m-%Y}" in notice.body
    run_events()
    assert len(mails_to(customer.email)) == 2
    assert Notification.objects.filter(order_id=order.pk, kind="order_backordered", status="sent").count() == 1


def test_customer_without_e_mail_gets_nothing_and_the_timeline_says_so(customer, mug, run_events, role_client):
    customer.__class__.objects.filter(pk=customer.pk).update(email="")
    customer.refresh_from_db()
    order = place(customer, ("MUG-RED", 1))
    run_events()
    assert mail.outbox == []
    assert Notification.objects.get(order_id=order.pk).status == "skipped"
    page = role_client(Role.CUSTOMER_SERVICE).get(f"/orders/{order.number}/").content.decode()
    assert "Order confirmation: not sent: no e-mail address" in page


def test_the_confirmation_shows_on_the_order_timeline(customer, mug, run_events, role_client):
    order = place(customer, ("MUG-RED", 1))
    run_events()
    page = role_client(Role.CUSTOMER_SERVICE).get(f"/orders/{order.number}/").content.decode()
    assert f"Order confirmation sent to {customer.email} (nl)" in page
    assert 'data-kind="notification"' in page


def _eur(amount):
    from oms.money import format_eur

    return format_eur(amount).replace("\xa0", " ")


def test_a_counter_sale_gets_no_confirmation(customer, mug, run_events):
    place(customer, ("MUG-RED", 1), channel="store", payment_method="pin")
    run_events()
    assert not Notification.objects.filter(kind="order_confirmation").exists()
