"""Revoking the customer's status link (``orders.status_links``)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_noop

from orders.models import Order, OrderEventKind
from orders.services._common import lock_order, save, timeline


def order_status_link_revoke(*, order_id: int, user) -> Order:
    """Stop every status link sent so far for the order and make a new one (the version the
    token is signed with goes up; the customer's next e-mail carries the new link).

    Durable. Locks the order. Writes a timeline entry. Raises ``NotFound``."""
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        order.status_link_version = F("status_link_version") + 1
        save(order, "status_link_version")
        order.refresh_from_db(fields=["status_link_version"])
        timeline(
            order,
            OrderEventKind.NOTE,
            gettext_noop("Customer's order page link revoked; a new link was made."),
            user=user,
            params={},
        )
    return order
