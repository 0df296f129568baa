"""The pick queue of a warehouse and batch pick lists sorted by SKU (PDF)."""

import pytest

from oms.errors import Conflict
from orders.models import Order
from orders.services import order_cancel, order_hold
from shipping import documents
from shipping.selectors import fulfilment as selectors
from shipping.services import picking
from tests.factories.inventory import WarehouseFactory, stock
from tests.shipping.flow import place
from tests.support.pdf import pdf_text

pytestmark = pytest.mark.django_db


def test_pick_queue_shows_what_the_warehouse_may_pick(customer, mug, plate, ams, packer, parcel_carrier):
    allocated = place(customer, ("MUG-RED", 2))
    as_available = place(customer, ("PLATE-1", 7))  # 5 reserved, 2 wait: ships as available
    complete = place(customer, ("PLATE-1", 3), ship_complete=True)  # all waits... nothing left
    on_hold = place(customer, ("MUG-RED", 1))
    order_hold(order=on_hold, user=packer, reason="payment check")
    elsewhere = WarehouseFactory(code="RTM")
    assert [o.pk for o in selectors.pick_queue(ams.pk)] == [allocated.pk, as_available.pk]
    assert list(selectors.pick_queue(elsewhere.pk)) == []
    assert Order.objects.get(pk=complete.pk).status == "backordered"
    units = selectors.units_to_pick(list(selectors.pick_queue(ams.pk)), ams.pk)
    assert (units[allocated.pk].units, units[as_available.pk].units) == (2, 5)


def test_pick_list_create_sorts_by_sku_and_starts_picking(customer, mug, plate, ams, packer, parcel_carrier):
    # given three orders, one cancelled meanwhile
    first = place(customer, ("PLATE-1", 1), ("MUG-RED", 2))
    second = place(customer, ("MUG-RED", 3))
    gone = place(customer, ("MUG-RED", 1))
    order_cancel(order=gone, user=packer)
    # when they are put on one pick list
    result = picking.pick_list_create(warehouse_id=ams.pk, order_ids=[second.pk, first.pk, gone.pk], user=packer)
    # then the cancelled one is left out, the others are picking
    assert result.skipped == [(gone.number, "nothing reserved in this warehouse")]
    assert {Order.objects.get(pk=o.pk).status for o in (first, second)} == {"picking"}
    # and the list walks the shelves by SKU with the units per order
    pick_list = selectors.pick_list_get(result.pick_list.pk)
    rows = [(r.sku, r.total, r.orders) for r in selectors.pick_rows(pick_list)]
    assert rows == [("MUG-RED", 5, [(first.number, 2), (second.number, 3)]), ("PLATE-1", 1, [(first.number, 1)])]
    text = pdf_text(documents.pick_list_pdf(pick_list, selectors.pick_rows(pick_list)))
    assert pick_list.number in text and text.index("MUG-RED") < text.index("PLATE-1")
    # and they left the queue for the pack screen
    assert list(selectors.pick_queue(ams.pk)) == []
    assert [o.pk for o in selectors.orders_to_pack(ams.pk)] == [first.pk, second.pk]


def test_pick_list_create_with_nothing_left_to_pick_says_so(customer, mug, ams, packer, parcel_carrier):
    order = place(customer, ("MUG-RED", 1))
    order_cancel(order=order, user=packer)
    with pytest.raises(Conflict) as caught:
        picking.pick_list_create(warehouse_id=ams.pk, order_ids=[order.pk], user=packer)
    assert caught.value.code == "nothing_to_pick"


def test_pick_queue_of_a_second_warehouse_picks_only_its_own_units(customer, mug, ams, packer, parcel_carrier):
    rtm = WarehouseFactory(code="RTM", priority=5)
    stock(mug, rtm, 4)
    order = place(customer, ("MUG-RED", 12))  # 10 from AMS, 2 from RTM
    result = picking.pick_list_create(warehouse_id=rtm.pk, order_ids=[order.pk], user=packer)
    assert [(r.sku, r.total) for r in selectors.pick_rows(selectors.pick_list_get(result.pick_list.pk))] == [
        ("MUG-RED", 2)
    ]
