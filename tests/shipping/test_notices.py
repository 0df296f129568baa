"""The customer's e-mails about a shipment: queued after commit, sent once, with the tracking link."""

import pytest
from django.core import mail

from oms.models import Delivery
from shipping.models import ShipmentNotice
from shipping.services import notices
from tests.shipping.conftest import webhook
from tests.shipping.flow import pack, place, ship

pytestmark = pytest.mark.django_db


def test_notice_send_mails_the_tracking_link_once(customer, mug, ams, packer, parcel_carrier):
    shipment = ship(place(customer, ("MUG-RED", 2)), ams, packer)
    notice = ShipmentNotice.objects.get(shipment=shipment, kind="handed_off")
    assert notices.notice_send(notice_id=notice.pk) == "sent"
    assert notices.notice_send(notice_id=notice.pk) == "skipped"
    (message,) = mail.outbox
    assert message.to == ["jan@example.nl"] and shipment.order.number in message.subject
    assert "onderweg" in message.subject  # the customer reads Dutch
    assert shipment.tracking_url in message.body and "2 x Red mug (MUG-RED)" in message.body
    assert ShipmentNotice.objects.get(pk=notice.pk).sent_at is not None


def test_the_notices_are_queued_after_commit(customer, mug, ams, packer, parcel_carrier, client,
                                             django_capture_on_commit_callbacks):  # fmt: skip
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    # the hand-off's notice task runs (eagerly) when its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        from shipping.services import handoff

        handoff.shipment_hand_off(shipment_id=shipment.pk)
    assert len(_shipping_mails()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        event = {"event_id": "e1", "tracking_number": shipment.__class__.objects.get(pk=shipment.pk).tracking_number,
                 "status": "delivered", "occurred_at": "2026-11-27T10:00:00+01:00"}  # fmt: skip
        assert webhook(client, "pakketpost", event).status_code == 200
    assert len(_shipping_mails()) == 2 and "bezorgd" in _shipping_mails()[1].subject


def test_notice_for_a_customer_without_e_mail_is_kept_but_not_sent(customer, mug, ams, packer, parcel_carrier):
    customer.__class__.objects.filter(pk=customer.pk).update(email="", language="en")
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    notice = ShipmentNotice.objects.get(shipment=shipment)
    assert notice.to_email == "" and notices.notice_send(notice_id=notice.pk) == "skipped"
    assert mail.outbox == []


def test_notices_sweep_queues_old_unsent_notices(customer, mug, ams, packer, parcel_carrier):
    from datetime import timedelta

    from django.utils import timezone

    customer.__class__.objects.filter(pk=customer.pk).update(language="en")
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    Delivery.objects.filter(kind="shipping.notice", key__in=[str(n.pk) for n in shipment.notices.all()]).update(
        next_attempt_at=timezone.now() - timedelta(minutes=10)
    )
    assert notices.notices_sweep() == 1  # eager: sent right away
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("Your order")
    assert notices.notices_sweep() == 0


def _shipping_mails():
    # billing also mails the invoice of an on-account order at hand-off; these tests are about
    # the shipment notices only
    return [m for m in mail.outbox if not m.attachments]
