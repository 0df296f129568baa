"""Helpers for the order integration of billing: run the outbox as the workers would, place
orders through orders' services."""

from __future__ import annotations

from oms import events
from oms.models import OutboxEvent, OutboxStatus
from tests.factories.orders import ADDRESS


def dispatch_pending(limit: int = 50) -> list[str]:
    """Dispatch every pending outbox event (and those their handlers publish), oldest first, as
    the worker does after commit. Returns the names dispatched."""
    names = []
    for _ in range(limit):
        event = OutboxEvent.objects.filter(status=OutboxStatus.PENDING).order_by("id").first()
        if event is None:
            return names
        events.dispatch(event.pk)
        names.append(event.name)
    raise AssertionError("the outbox does not drain")


def place(customer, *lines, method: str = "ideal", channel: str = "web", user=None, **kwargs):
    """``place(customer, ("MUG-RED", 2), method="on_account")`` through ``order_place``."""
    from orders.services import order_place

    kwargs.setdefault("shipping_address", ADDRESS)
    return order_place(
        channel=channel,
        customer=customer,
        lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        payment_method=method,
        user=user,
        **kwargs,
    )
