"""The names of the events shipping publishes (payloads: ``shipping.events``). A leaf module, so that
the app's services can name the events they publish without importing the handlers, which import
the services back."""

from __future__ import annotations

SHIPMENT_HANDED_OFF = "shipment.handed_off"
SHIPMENT_DELIVERED = "shipment.delivered"
SHIPMENT_FAILED = "shipment.failed"
RETURN_RECEIVED = "return.received"

PUBLISHED = (SHIPMENT_HANDED_OFF, SHIPMENT_DELIVERED, SHIPMENT_FAILED, RETURN_RECEIVED)
