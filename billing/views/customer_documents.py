"""The customer's invoices and credit notes as PDF, from their own order page (no login; the
page's token names the order: ``orders.status_links``). A document of another order answers the
same 404 as an unknown one."""

from __future__ import annotations

import io

from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing.models import Invoice
from billing.services import delivery
from orders.models import Order
from orders.status_links import NOT_FOUND_TEMPLATE, public_page


@require_GET
@public_page
def document_pdf(request, order: Order, number: str):
    invoice_id = Invoice.objects.filter(order_id=order.pk, number=number).values_list("pk", flat=True).first()
    if invoice_id is None:
        return render(request, NOT_FOUND_TEMPLATE, status=404)
    data = delivery.invoice_pdf_content(invoice_id=invoice_id)
    return FileResponse(io.BytesIO(data), content_type="application/pdf", filename=f"{number}.pdf")
