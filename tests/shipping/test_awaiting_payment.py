"""Issue 15 defect 2: an order paid before picking (iDEAL, card, Klarna, Riverty) waits for its
payment before the warehouse may pick or ship it. The pick queue (and so the dashboard count)
leaves it out and names it as waiting for payment, the order page says why, and the services
refuse to pick or ship it, whatever screen calls them. Bank transfer and on-account orders are
picked unpaid (they are invoiced per shipment)."""

import pytest

from billing.services import payment_record
from oms.errors import Conflict
from orders.models import Order
from orders.services import order_record_shipment, order_start_picking
from shipping.selectors import fulfilment
from shipping.services import picking
from tests.factories.orders import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def unpaid(customer, mug, ams, parcel_carrier):
    return place(customer, ("MUG-RED", 2), payment_method="card")


def _queue(ams) -> list[str]:
    return [order.number for order in fulfilment.pick_queue(ams.pk)]


def test_an_unpaid_card_order_waits_outside_the_pick_queue_until_paid(unpaid, ams, customer):
    # given a card order with its stock reserved here, not paid
    transfer = place(customer, ("MUG-RED", 1), payment_method="bank_transfer")
    # then it is not in the pick queue nor counted on the dashboard; the queue names it as waiting
    assert _queue(ams) == [transfer.number]
    assert fulfilment.fulfilment_counts(ams.pk) == (1, 0)
    assert [o.number for o in fulfilment.awaiting_payment(ams.pk)] == [unpaid.number]
    # when it is paid
    payment_record(order=unpaid, method="card", amount=unpaid.gross_amount, reference="tr_card", user=None)
    # then it joins the queue (oldest first) and waits no more
    assert _queue(ams) == [unpaid.number, transfer.number]
    assert fulfilment.fulfilment_counts(ams.pk) == (2, 0)
    assert fulfilment.awaiting_payment(ams.pk) == []


def test_the_services_refuse_to_pick_or_ship_an_unpaid_prepaid_order(unpaid, ams, packer):
    with pytest.raises(Conflict) as caught:
        order_start_picking(order=unpaid, user=packer)
    assert caught.value.code == "awaiting_payment" and "waits for its payment" in caught.value.message
    with pytest.raises(Conflict) as caught:
        order_record_shipment(order=unpaid, lines=[(unpaid.lines.get().pk, 2)], user=packer)
    assert caught.value.code == "awaiting_payment"
    # a pick list made with it ticked (a stale screen) leaves it out and says why
    with pytest.raises(Conflict) as caught:
        picking.pick_list_create(warehouse_id=ams.pk, order_ids=[unpaid.pk], user=packer)
    assert caught.value.code == "nothing_to_pick" and "waits for its payment" in caught.value.message
    assert Order.objects.get(pk=unpaid.pk).status == "allocated"


def test_a_partly_paid_ideal_order_still_waits(customer, mug, ams, packer, parcel_carrier):
    order = place(customer, ("MUG-RED", 1), payment_method="ideal")
    payment_record(order=order, method="ideal", amount="1.00", reference="tr_part", user=None)
    assert _queue(ams) == []
    with pytest.raises(Conflict):
        order_start_picking(order=Order.objects.get(pk=order.pk), user=packer)


def test_the_pick_queue_and_the_order_page_say_why_an_order_waits(client, unpaid, ams, packer, make_user):
    from oms.roles import Role

    client.force_login(packer)
    page = client.get(f"/shipping/pick/?warehouse={ams.code}").content.decode()
    assert "Waiting for payment" in page and unpaid.number in page
    assert f'data-order="{unpaid.number}"' in page.split('data-testid="awaiting-payment"')[1]
    assert 'data-testid="queue-row"' not in page
    client.force_login(make_user(Role.CUSTOMER_SERVICE))
    order_page = client.get(f"/orders/{unpaid.number}/").content.decode()
    assert 'data-testid="awaiting-payment"' in order_page and "Waiting for payment" in order_page
