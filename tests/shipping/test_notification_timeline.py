"""Shipping's e-mails to the customer (on its way with tracking, delivered) are logged as customer
notifications: in the customer's language, once, and on the order's timeline; a customer
without an address shows as "not sent"."""

import pytest
from django.core import mail

from oms.models import Notification
from oms.roles import Role
from shipping.models import ShipmentNotice
from shipping.services import notices
from tests.shipping.flow import place, ship

pytestmark = pytest.mark.django_db


def test_hand_off_notice_is_logged_once_and_shows_on_the_order_timeline(customer, mug, ams, packer, parcel_carrier,
                                                                        role_client):  # fmt: skip
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    notice = ShipmentNotice.objects.get(shipment=shipment, kind="handed_off")
    assert notices.notice_send(notice_id=notice.pk) == "sent"
    assert notices.notice_send(notice_id=notice.pk) == "skipped"
    assert len([m for m in mail.outbox if "onderweg" in m.subject]) == 1
    logged = Notification.objects.get(kind="shipment_handed_off")
    assert (logged.order_id, logged.status, logged.language) == (shipment.order_id, "sent", "nl")
    assert "onderweg" in logged.subject
    page = role_client(Role.CUSTOMER_SERVICE).get(f"/orders/{shipment.order.number}/").content.decode()
    assert f"Shipped (tracking) sent to {customer.email} (nl)" in page


def test_english_customer_gets_english_notice(customer, mug, ams, packer, parcel_carrier):
    customer.__class__.objects.filter(pk=customer.pk).update(language="en")
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    notices.notice_send(notice_id=ShipmentNotice.objects.get(shipment=shipment).pk)
    assert Notification.objects.get(kind="shipment_handed_off").language == "en"
    assert any(m.subject.startswith("Your order") for m in mail.outbox)


def test_customer_without_e_mail_shows_not_sent_on_the_timeline(customer, mug, ams, packer, parcel_carrier,
                                                                role_client):  # fmt: skip
    customer.__class__.objects.filter(pk=customer.pk).update(email="")
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    assert Notification.objects.get(kind="shipment_handed_off").status == "skipped"
    page = role_client(Role.CUSTOMER_SERVICE).get(f"/orders/{shipment.order.number}/").content.decode()
    assert "Shipped (tracking): not sent: no e-mail address" in page


def test_delivered_notice_is_logged_once_and_shows_on_the_timeline(
    customer, mug, ams, packer, parcel_carrier, client, role_client, django_capture_on_commit_callbacks
):
    from tests.shipping.conftest import webhook

    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    event = {"event_id": "e1", "tracking_number": shipment.tracking_number, "status": "delivered",
             "occurred_at": "2026-11-27T10:00:00+01:00"}  # fmt: skip
    for _ in range(2):  # the carrier reports it twice
        with django_capture_on_commit_callbacks(execute=True):
            assert webhook(client, "pakketpost", event).status_code == 200
    assert len([m for m in mail.outbox if "bezorgd" in m.subject]) == 1
    logged = Notification.objects.get(kind="shipment_delivered")
    assert (logged.order_id, logged.status) == (shipment.order_id, "sent")
    page = role_client(Role.CUSTOMER_SERVICE).get(f"/orders/{shipment.order.number}/").content.decode()
    assert f"Delivered notice sent to {customer.email} (nl)" in page
