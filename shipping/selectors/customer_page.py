"""What the customer's own order page (``shipping.views.customer_page``) shows of shipping: the
order's parcels, its returns, and until when a return can be asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from orders.models import Order
from shipping.models import SHIPPED_STATUSES, Return, Shipment, ShipmentStatus
from shipping.services.returns import returnable_quantities


@dataclass
class CustomerShipping:
    shipments: list[Shipment]
    returns: list[Return]
    returnable: dict[int, int]  # order line id -> units that may still be asked back
    return_until: date | None  # the last day of the return period; None before anything left

    @property
    def can_return(self) -> bool:
        return bool(
            self.return_until
            and timezone.localdate() <= self.return_until
            and any(left > 0 for left in self.returnable.values())
        )


def customer_shipping(order: Order) -> CustomerShipping:
    """The order's shipments (not cancelled; carrier and service, oldest first), its returns
    (newest first) and the return period: ``OMS_RETURN_PERIOD_DAYS`` after the last parcel was
    delivered, or left when the carrier did not report delivery. Three queries; the order's
    lines must be prefetched (``orders.selectors.order_for_status_token``)."""
    shipments = list(
        Shipment.objects.filter(order_id=order.pk)
        .exclude(status=ShipmentStatus.CANCELLED)
        .select_related("carrier", "service")
        .prefetch_related("lines")
        .order_by("id")
    )
    returns = list(Return.objects.filter(order_id=order.pk).prefetch_related("lines").order_by("-id"))
    left = [s.delivered_at or s.handed_off_at for s in shipments if s.status in SHIPPED_STATUSES]
    left = [moment for moment in left if moment]
    until = timezone.localdate(max(left)) + timedelta(days=settings.OMS_RETURN_PERIOD_DAYS) if left else None
    return CustomerShipping(shipments, returns, returnable_quantities(order), until)


def return_by_request_key(order_id: int, key: str) -> Return | None:
    """The return a customer's return form already made (the form sent a second time)."""
    return Return.objects.filter(order_id=order_id, request_key=key).first() if key else None
