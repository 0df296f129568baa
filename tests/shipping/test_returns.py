"""Returns: registered against shipped lines with a reason, received into stock or scrapped;
the order counts them, billing is told, and the stock invariants hold."""

import pytest

from inventory.models import StockMovement
from oms import invariants
from oms.errors import Conflict, InvalidTransition, ValidationFailed
from oms.models import OutboxEvent
from orders.models import OrderLine
from shipping.models import Return, Shipment
from shipping.services import returns
from tests.factories.inventory import level
from tests.shipping.conftest import webhook
from tests.shipping.flow import place, ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(customer, mug, plate, ams, packer, parcel_carrier):
    """3 mugs and 2 plates, shipped."""
    return ship(place(customer, ("MUG-RED", 3), ("PLATE-1", 2)), ams, packer)


def _line(shipment, sku):
    return OrderLine.objects.get(order_id=shipment.order_id, sku=sku)


def test_return_register_then_receive_into_stock(shipped, mug, ams, packer):
    # given 2 of the 3 shipped mugs come back damaged
    mugs = _line(shipped, "MUG-RED")
    ret = returns.return_register(
        order_id=shipped.order_id, lines=[(mugs.pk, 2)], reason="damaged", note="box crushed",
        shipment_id=shipped.pk, user=packer,
    )  # fmt: skip
    assert ret.number.startswith("RT-") and ret.status == "registered"
    assert _line(shipped, "MUG-RED").quantity_returned == 0  # not here yet
    on_hand = level(mug, ams).on_hand
    # when they arrive and go back into Amsterdam's stock
    returns.return_receive(return_id=ret.pk, warehouse_id=ams.pk, user=packer)
    # then the stock, the order line and the event for billing say so
    assert level(mug, ams).on_hand == on_hand + 2
    assert StockMovement.objects.filter(product=mug, kind="return").get().quantity == 2
    assert _line(shipped, "MUG-RED").quantity_returned == 2
    event = OutboxEvent.objects.get(name="return.received")
    assert event.payload == {"return_id": ret.pk, "number": ret.number, "order_id": shipped.order_id,
                             "reason": "arrived damaged", "restocked": True,
                             "lines": [{"order_line_id": mugs.pk, "quantity": 2}]}  # fmt: skip
    assert Return.objects.get(pk=ret.pk).status == "received"
    assert invariants.violations() == {}


def test_return_register_refuses_more_than_can_come_back(shipped, packer):
    mugs = _line(shipped, "MUG-RED")
    returns.return_register(order_id=shipped.order_id, lines=[(mugs.pk, 2)], reason="not_wanted", user=packer)
    with pytest.raises(Conflict) as caught:
        returns.return_register(order_id=shipped.order_id, lines=[(mugs.pk, 2)], reason="not_wanted", user=packer)
    assert caught.value.code == "more_than_shipped" and "1 can come back" in caught.value.message
    with pytest.raises(ValidationFailed):
        returns.return_register(order_id=shipped.order_id, lines=[(mugs.pk, 1)], reason="because", user=packer)


def test_return_scrap_counts_the_return_without_restocking(shipped, plate, ams, packer):
    plates = _line(shipped, "PLATE-1")
    ret = returns.return_register(order_id=shipped.order_id, lines=[(plates.pk, 1)], reason="defective", user=packer)
    on_hand = level(plate, ams).on_hand
    returns.return_scrap(return_id=ret.pk, user=packer)
    assert level(plate, ams).on_hand == on_hand
    assert _line(shipped, "PLATE-1").quantity_returned == 1
    assert OutboxEvent.objects.get(name="return.received").payload["restocked"] is False
    with pytest.raises(InvalidTransition):
        returns.return_receive(return_id=ret.pk, warehouse_id=ams.pk, user=packer)
    assert invariants.violations() == {}


def test_a_shipment_whose_every_unit_came_back_is_returned(shipped, ams, packer):
    lines = [(_line(shipped, "MUG-RED").pk, 3), (_line(shipped, "PLATE-1").pk, 2)]
    ret = returns.return_register(order_id=shipped.order_id, lines=lines, reason="too_late", shipment_id=shipped.pk,
                                  user=packer)  # fmt: skip
    returns.return_receive(return_id=ret.pk, warehouse_id=ams.pk, user=packer)
    assert Shipment.objects.get(pk=shipped.pk).status == "returned"


def test_a_parcel_the_carrier_sends_back_is_expected_as_a_return(client, shipped, ams, packer):
    event = {"event_id": "rts-1", "tracking_number": shipped.tracking_number, "status": "returned_to_sender",
             "occurred_at": "2026-11-28T10:00:00+01:00"}  # fmt: skip
    assert webhook(client, "pakketpost", event).status_code == 200
    ret = Return.objects.get(order_id=shipped.order_id)
    assert (ret.reason, ret.status, ret.shipment_id) == ("undeliverable", "registered", shipped.pk)
    assert sorted(ret.lines.values_list("sku", "quantity")) == [("MUG-RED", 3), ("PLATE-1", 2)]


def test_return_cancel_frees_the_units_for_another_return(shipped, packer):
    mugs = _line(shipped, "MUG-RED")
    ret = returns.return_register(order_id=shipped.order_id, lines=[(mugs.pk, 3)], reason="not_wanted", user=packer)
    returns.return_cancel(return_id=ret.pk, user=packer)
    again = returns.return_register(order_id=shipped.order_id, lines=[(mugs.pk, 3)], reason="not_wanted", user=packer)
    assert again.status == "registered"


def test_a_received_return_of_a_paid_order_is_credited_and_refunded_through_the_chain(
    customer, mug, plate, ams, packer, parcel_carrier
):
    # given an iDEAL order, paid (so picked, shipped and invoiced), of which one mug comes back
    from billing.models import Invoice, Payment
    from billing.services import payment_record
    from tests.factories.payments import dispatch_pending

    order = place(customer, ("MUG-RED", 2), payment_method="ideal")
    payment_record(order=order, method="ideal", amount=order.gross_amount, reference="tr_chain", user=None)
    shipment = ship(order, ams, packer)
    dispatch_pending()
    invoice = Invoice.objects.get(order=order)
    mugs = _line(shipment, "MUG-RED")
    ret = returns.return_register(order_id=order.pk, lines=[(mugs.pk, 1)], reason="defective", user=packer)
    # when the warehouse receives it, and billing handles the event as the worker would
    returns.return_receive(return_id=ret.pk, warehouse_id=ams.pk, user=packer)
    dispatch_pending()
    # then the mug is credited (not the shipping) and refunded by iDEAL under the return's number
    note = Invoice.objects.get(credit_of=invoice)
    assert [(ln.sku, ln.quantity) for ln in note.lines.all()] == [("MUG-RED", -1)]
    assert ret.number in note.credit_reason and "defective" in note.credit_reason
    refund = Payment.objects.get(order=order, amount__lt=0)
    assert (refund.method, refund.reference, refund.amount) == ("ideal", ret.number, note.gross_amount)
    assert invariants.violations() == {}
