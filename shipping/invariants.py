"""Shipping's invariant checks (registered in ``oms/invariants.py: CHECKS``).

Only shipping ships and takes back goods of orders that have shipments, so what orders counts
on a line must equal what shipping's documents say.
"""

from __future__ import annotations

from django.db.models import F, Sum

from shipping.models import SHIPPED_STATUSES, ReturnLine, ReturnStatus, Shipment, ShipmentLine, ShipmentStatus


def shipments_match_shipped_lines() -> list[dict]:
    """Per order line that is in a handed-off shipment: the units in those shipments equal the
    line's ``quantity_shipped``."""
    rows = (
        ShipmentLine.objects.filter(shipment__status__in=SHIPPED_STATUSES)
        .values("order_line_id")
        .annotate(in_shipments=Sum("quantity"), shipped=F("order_line__quantity_shipped"))
        .exclude(in_shipments=F("shipped"))
        .order_by("order_line_id")
    )
    return [dict(row) for row in rows[:100]]


def returns_match_returned_lines() -> list[dict]:
    """Per order line with received or scrapped returns: their units equal ``quantity_returned``."""
    rows = (
        ReturnLine.objects.filter(ret__status__in=[ReturnStatus.RECEIVED, ReturnStatus.SCRAPPED])
        .values("order_line_id")
        .annotate(in_returns=Sum("quantity"), returned=F("order_line__quantity_returned"))
        .exclude(in_returns=F("returned"))
        .order_by("order_line_id")
    )
    return [dict(row) for row in rows[:100]]


def handed_off_shipments_have_labels() -> list[dict]:
    rows = Shipment.objects.filter(status__in=SHIPPED_STATUSES, label="").exclude(status=ShipmentStatus.CANCELLED)
    return [{"shipment": number} for number in rows.values_list("number", flat=True)[:100]]
