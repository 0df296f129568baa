"""Steps of the fulfilment flow for tests: place, pack (scan everything), hand off."""

from __future__ import annotations

from orders.models import Order
from shipping.models import Shipment
from shipping.services import handoff, packing
from tests.factories.orders import place as place_order


def place(customer, *lines, **kwargs) -> Order:
    """Placed by bank transfer unless told otherwise: the warehouse may pick it unpaid (an order
    paid by iDEAL, card, Klarna or Riverty waits for its payment, test_awaiting_payment)."""
    kwargs.setdefault("payment_method", "bank_transfer")
    return place_order(customer, *lines, **kwargs)


def pack(order: Order, warehouse, user, *, weight_grams: int = 1200, scans: dict | None = None, **kwargs) -> Shipment:
    """Open the box, scan ``scans`` ({sku: units}; default everything expected), close it."""
    shipment = packing.shipment_start(order_id=order.pk, warehouse_id=warehouse.pk, user=user)
    wanted = scans if scans is not None else {line.sku: line.quantity_expected for line in shipment.lines.all()}
    for sku, units in wanted.items():
        if units:
            packing.shipment_scan(shipment_id=shipment.pk, code=sku, quantity=units, user=user)
    return packing.shipment_pack(shipment_id=shipment.pk, weight_grams=weight_grams, user=user, **kwargs)


def hand_off(shipment: Shipment, **kwargs):
    return handoff.shipment_hand_off(shipment_id=shipment.pk, **kwargs)


def ship(order: Order, warehouse, user, **kwargs) -> Shipment:
    shipment = pack(order, warehouse, user, **kwargs)
    result = hand_off(shipment)
    assert result.outcome == "handed_off", result
    return Shipment.objects.get(pk=shipment.pk)
