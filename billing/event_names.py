"""The names of the events billing publishes (payloads: ``billing.events``). A leaf module, so that
the app's services can name the events they publish without importing the handlers, which import
the services back."""

from __future__ import annotations

INVOICE_ISSUED = "invoice.issued"
PAYMENT_RECEIVED = "payment.received"
