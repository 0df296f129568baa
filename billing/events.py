"""Events billing publishes, and the handlers it subscribes (registered in oms/events.py).

Published:
* ``invoice.issued`` {invoice_id, number, kind ("invoice" | "credit_note"), customer_id,
  credit_of_id, gross_amount}: by ``invoice_issue`` and ``invoice_credit``, in their transaction.

Subscribed: none yet. The order integration adds ``order.*`` / ``shipment.handed_off`` handlers
here that call ``billing.services.invoice_issue`` (which is not durable for that reason).
"""

INVOICE_ISSUED = "invoice.issued"
