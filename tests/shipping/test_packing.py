"""The pack screen's services: opening a box, scanning, closing it; partial shipments and the
rest later; ship-complete orders; the carrier service chosen at packing."""

import pytest
from django.utils import timezone

from inventory.services import stock_receive
from oms import events, invariants
from oms.errors import Conflict, InvalidTransition, ValidationFailed
from oms.models import Delivery, OutboxEvent
from orders.models import Order
from orders.services import order_allocate_backorders, order_cancel
from shipping.models import Shipment, ShipmentLine
from shipping.promise import ShippingUnavailable
from shipping.selectors import fulfilment as selectors
from shipping.services import packing
from shipping.services.handoff import CLAIM_TIMEOUT
from tests.factories.inventory import level
from tests.shipping.flow import hand_off, pack, place, ship

pytestmark = pytest.mark.django_db


def _order(order):
    order = Order.objects.get(pk=order.pk)
    return order.status, [
        (ln.quantity_allocated, ln.quantity_backordered, ln.quantity_shipped) for ln in order.lines.all()
    ]


def test_shipment_start_opens_one_box_per_order_and_warehouse(customer, mug, plate, ams, packer, parcel_carrier):
    # given an allocated order of mugs and plates
    order = place(customer, ("MUG-RED", 2), ("PLATE-1", 1))
    # when the packer opens the box twice
    first = packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=packer)
    again = packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=packer)
    # then it is the same pending shipment, expecting what is reserved, and the order is picking
    assert first.pk == again.pk and first.number.startswith("SH-") and first.status == "pending"
    lines = {line.sku: (line.quantity_expected, line.quantity, line.barcode) for line in first.lines.all()}
    assert lines == {"MUG-RED": (2, 0, "8712345678906"), "PLATE-1": (1, 0, "")}
    assert first.weight_grams == 2 * 500 + 800
    assert _order(order)[0] == "picking"


def test_shipment_scan_counts_barcodes_and_skus_and_refuses_strangers_and_too_many(
    customer, mug, plate, ams, packer, parcel_carrier
):
    order = place(customer, ("MUG-RED", 2), ("PLATE-1", 1))
    shipment = packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=packer)
    assert packing.shipment_scan(shipment_id=shipment.pk, code="8712345678906", user=packer).line.quantity == 1
    assert packing.shipment_scan(shipment_id=shipment.pk, code="mug-red", user=packer).line.quantity == 2
    with pytest.raises(Conflict) as too_many:
        packing.shipment_scan(shipment_id=shipment.pk, code="MUG-RED", user=packer)
    assert too_many.value.code == "too_many"
    with pytest.raises(ValidationFailed) as stranger:
        packing.shipment_scan(shipment_id=shipment.pk, code="TEAPOT", user=packer)
    assert stranger.value.code == "unknown_item"
    result = packing.shipment_scan(shipment_id=shipment.pk, code="PLATE-1", user=packer)
    assert result.complete
    # a correction takes an item out again
    line = packing.shipment_line_set(shipment_id=shipment.pk, line_id=result.line.pk, quantity=0, user=packer)
    assert line.quantity == 0


def test_shipment_pack_keeps_what_was_scanned_and_chooses_the_quoted_service(
    customer, mug, plate, ams, packer, parcel_carrier
):
    # given an order of mugs and plates of which only the mugs go in the box
    order = place(customer, ("MUG-RED", 2), ("PLATE-1", 1))
    assert Order.objects.get(pk=order.pk).carrier_code == "pakketpost"
    # when the box is closed
    shipment = pack(order, ams, packer, scans={"MUG-RED": 2}, weight_grams=1050, parcel_count=2)
    # then the plate is not in it, the quoted carrier takes it, and the hand-off is due
    assert list(shipment.lines.values_list("sku", "quantity")) == [("MUG-RED", 2)]
    assert (shipment.status, shipment.carrier.code, shipment.service.code) == ("packed", "pakketpost", "standard")
    assert (shipment.weight_grams, shipment.parcel_count) == (1050, 2)
    assert shipment.handoff_due_at is not None
    # and the plate can be packed in a second box
    second = packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=packer)
    assert [(ln.sku, ln.quantity_expected) for ln in second.lines.all()] == [("PLATE-1", 1)]


def test_shipment_pack_refuses_an_empty_box_and_a_bad_weight(customer, mug, ams, packer, parcel_carrier):
    order = place(customer, ("MUG-RED", 1))
    shipment = packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=packer)
    with pytest.raises(ValidationFailed) as empty:
        packing.shipment_pack(shipment_id=shipment.pk, weight_grams=500, user=packer)
    assert empty.value.code == "nothing_packed"
    packing.shipment_scan(shipment_id=shipment.pk, code="MUG-RED", user=packer)
    with pytest.raises(ValidationFailed) as weight:
        packing.shipment_pack(shipment_id=shipment.pk, weight_grams=0, user=packer)
    assert weight.value.field == "weight_grams"
    packing.shipment_pack(shipment_id=shipment.pk, weight_grams=500, user=packer)
    with pytest.raises(InvalidTransition):
        packing.shipment_scan(shipment_id=shipment.pk, code="MUG-RED", user=packer)


def test_shipment_pack_of_a_ship_complete_order_wants_everything(customer, mug, plate, ams, packer, parcel_carrier):
    order = place(customer, ("MUG-RED", 2), ("PLATE-1", 1), ship_complete=True)
    with pytest.raises(Conflict) as caught:
        pack(order, ams, packer, scans={"MUG-RED": 2})
    assert caught.value.code == "ship_complete_partial"


def test_a_ship_complete_order_waiting_for_stock_cannot_be_packed(customer, mug, ams, packer, parcel_carrier):
    order = place(customer, ("MUG-RED", 12), ship_complete=True)
    assert order not in list(selectors.pick_queue(ams.pk))
    with pytest.raises(Conflict) as caught:
        packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=packer)
    assert caught.value.code == "ship_complete_waiting"
    assert not Shipment.objects.filter(order_id=order.pk).exists()


def test_a_partial_shipment_now_and_the_rest_when_stock_arrives(customer, mug, ams, packer, parcel_carrier):
    # given an order of 12 mugs with 10 in stock, shipping as available
    order = place(customer, ("MUG-RED", 12))
    assert _order(order) == ("backordered", [(10, 2, 0)])
    assert list(selectors.pick_queue(ams.pk)) == [Order.objects.get(pk=order.pk)]
    # when the 10 are packed and handed off
    first = ship(order, ams, packer)
    # then they left, the order is partially shipped, nothing more is to pick
    assert list(first.lines.values_list("quantity", flat=True)) == [10]
    assert _order(order) == ("partially_shipped", [(10, 2, 10)])
    assert list(selectors.pick_queue(ams.pk)) == []
    # when 5 mugs arrive and fill the backorder
    stock_receive(product_id=mug.pk, warehouse_id=ams.pk, quantity=5, reference="PO-1")
    order_allocate_backorders(product_id=mug.pk, warehouse_id=ams.pk)
    assert _order(order) == ("partially_shipped", [(12, 0, 10)])
    assert [o.pk for o in selectors.pick_queue(ams.pk)] == [order.pk]
    # then the rest ships in a second shipment and the order is shipped
    second = ship(order, ams, packer)
    assert list(second.lines.values_list("quantity", flat=True)) == [2]
    assert _order(order) == ("shipped", [(12, 0, 12)])
    assert (level(mug, ams).on_hand, level(mug, ams).reserved) == (3, 0)
    assert invariants.violations() == {}


def test_shipment_pack_takes_the_own_fleet_when_chosen_and_waits_for_a_trip(
    customer, mug, ams, packer, parcel_carrier, own_fleet
):
    order = place(customer, ("MUG-RED", 1))
    shipment = pack(order, ams, packer, service_id=own_fleet.pk)
    assert shipment.carrier.is_own_fleet and shipment.handoff_due_at is None
    assert hand_off(shipment).outcome == "skipped"


def test_shipment_pack_without_any_carrier_for_the_address_says_so(customer, mug, ams, packer, parcel_carrier):
    order = place(customer, ("MUG-RED", 1))
    shipment = packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=packer)
    packing.shipment_scan(shipment_id=shipment.pk, code="MUG-RED", user=packer)
    with pytest.raises(ShippingUnavailable):
        packing.shipment_pack(shipment_id=shipment.pk, weight_grams=45_000, user=packer)  # above every bracket
    assert Shipment.objects.get(pk=shipment.pk).status == "pending"


def test_shipment_cancel_unpacks_and_the_order_can_be_packed_again(customer, mug, ams, packer, parcel_carrier):
    order = place(customer, ("MUG-RED", 2))
    shipment = pack(order, ams, packer)
    packing.shipment_cancel(shipment_id=shipment.pk, user=packer)
    assert Shipment.objects.get(pk=shipment.pk).status == "cancelled"
    assert hand_off(shipment).outcome == "skipped"
    again = packing.shipment_start(order_id=order.pk, warehouse_id=ams.pk, user=packer)
    assert [(ln.sku, ln.quantity_expected) for ln in again.lines.all()] == [("MUG-RED", 2)]
    assert level(mug, ams).reserved == 2


def test_order_cancelled_unpacks_its_open_shipments(customer, mug, ams, packer, parcel_carrier):
    # given a packed shipment whose order customer service cancels
    order = place(customer, ("MUG-RED", 2))
    shipment = pack(order, ams, packer)
    order_cancel(order=order, user=packer)
    # when the outbox delivers order.cancelled to its handlers
    event = OutboxEvent.objects.get(name="order.cancelled", payload__order_id=order.pk)
    assert events.dispatch(event.pk) == "done"
    # then the box is unpacked and its hand-off will not run
    assert Shipment.objects.get(pk=shipment.pk).status == "cancelled"
    assert ShipmentLine.objects.filter(shipment=shipment).count() == 1
    assert hand_off(shipment).outcome == "skipped"


def test_shipment_cancel_during_a_running_hand_off_is_refused(customer, mug, ams, packer, parcel_carrier):
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    Delivery.objects.create(
        kind="shipping.handoff", key=str(shipment.pk), state="claimed", claimed_until=timezone.now() + CLAIM_TIMEOUT
    )
    with pytest.raises(Conflict) as caught:
        packing.shipment_cancel(shipment_id=shipment.pk, user=packer)
    assert caught.value.code == "handoff_running"
