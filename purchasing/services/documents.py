"""The purchase order document: a PDF rendered with WeasyPrint by a worker and e-mailed to the
supplier once (an ``oms.deliver_once`` delivery, kind ``purchasing.po_email``). Both steps run
outside any transaction that holds a lock (rendering is slow next to a database write, and the
mail server may take seconds)."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from oms import deliver_once
from oms.pdf import render_pdf
from purchasing.models import POStatus, PurchaseOrder, PurchaseOrderDocument
from purchasing.services.purchase_orders import PO_EMAIL, log_event

PDF_TEMPLATE = "purchasing/purchase_order_pdf.html"
SWEEP_GRACE = timedelta(minutes=2)
SWEEP_WINDOW = timedelta(days=7)


def purchase_order_pdf_bytes(po: PurchaseOrder) -> bytes:
    """Render the PDF of a purchase order (supplier, deliver-to address, lines, totals)."""
    lines = list(po.lines.order_by("line_no"))
    context = {
        "po": po,
        "lines": lines,
        "supplier": po.supplier,
        "warehouse": po.warehouse,
        "seller": settings.OMS_SELLER,
        "total_units": sum(line.quantity_ordered for line in lines),
    }
    return render_pdf(PDF_TEMPLATE, context)


def purchase_order_document_render(*, purchase_order_id: int) -> PurchaseOrderDocument:
    """The purchase order's PDF, rendered and stored the first time it is asked for; later
    calls (and a concurrent one) get the stored document. Takes no lock: the one-to-one key
    keeps the first stored PDF and a concurrent second render is dropped."""
    doc = PurchaseOrderDocument.objects.filter(purchase_order_id=purchase_order_id).first()
    if doc is not None:
        return doc
    po = PurchaseOrder.objects.select_related("supplier", "warehouse").get(pk=purchase_order_id)
    pdf = purchase_order_pdf_bytes(po)
    PurchaseOrderDocument.objects.bulk_create(
        [PurchaseOrderDocument(purchase_order_id=purchase_order_id, pdf=pdf)], ignore_conflicts=True
    )
    return PurchaseOrderDocument.objects.get(purchase_order_id=purchase_order_id)


def purchase_order_document_send(*, purchase_order_id: int) -> bool:
    """Render the PDF (once) and e-mail it to the supplier (once). Returns True when this call
    sent the e-mail; False when it was sent already, another run is sending it, or the
    purchase order is not (or no longer) one to send.

    The e-mail is claimed (``oms.deliver_once``) before the mail server is called and marked
    sent after it accepted the message, so running the task twice, even at the same moment,
    sends one e-mail. A failed send releases the claim and raises, so
    the task retries. Publishes nothing.
    """
    po = PurchaseOrder.objects.select_related("supplier", "warehouse").filter(pk=purchase_order_id).first()
    if po is None or po.status in (POStatus.DRAFT, POStatus.CANCELLED):
        return False
    doc = purchase_order_document_render(purchase_order_id=po.pk)
    if doc.emailed_at is not None:
        return False
    claim = deliver_once.claim(PO_EMAIL, po.pk)
    if claim is None:
        return False
    with deliver_once.attempt(claim):
        _email(po, bytes(doc.pdf))
    deliver_once.succeed(claim)
    with transaction.atomic():
        PurchaseOrderDocument.objects.filter(pk=doc.pk).update(emailed_at=timezone.now(), emailed_to=po.supplier.email)
        log_event(po, "emailed", f"PDF e-mailed to {po.supplier.email}.")
    return True


def purchase_order_documents_sweep(*, limit: int = 200) -> int:
    """Queue the document job again for purchase orders sent in the last week (more than two
    minutes ago) whose e-mail has not gone out and is not being sent, and for those whose
    last try failed and is due again. Returns the count."""
    now = timezone.now()
    unrendered = Q(sent_at__lt=now - SWEEP_GRACE, sent_at__gt=now - SWEEP_WINDOW, document__isnull=True)
    due = Q(pk__in=[int(key) for key in deliver_once.due_keys(PO_EMAIL, limit=limit)])
    ids = list(
        PurchaseOrder.objects.filter(unrendered | due)
        .exclude(status=POStatus.CANCELLED)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for purchase_order_id in ids:
        if not deliver_once.queue_try(PO_EMAIL, purchase_order_id):
            break  # the broker is down: try again at the next sweep
    return len(ids)


def _email(po: PurchaseOrder, pdf: bytes) -> None:
    seller = settings.OMS_SELLER
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "oms.local"
    message = EmailMessage(
        subject=f"Purchase order {po.number} from {seller['name']}",
        body=(
            f"Dear {po.supplier.contact_name or po.supplier.name},\n\n"
            f"Please find our purchase order {po.number} attached. We expect the goods at our "
            f"{po.warehouse.name} warehouse on {po.expected_date:%d-%m-%Y}. Please quote {po.number} "
            "on the delivery note and the invoice.\n\n"
            f"Kind regards,\n{seller['name']}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[po.supplier.email],
        reply_to=[seller["email"]] if seller.get("email") else None,
        # The same Message-ID on a repeat lets a mail server drop a duplicate.
        headers={"Message-ID": f"<purchase-order-{po.number}@{domain}>"},
    )
    message.attach(f"{po.number}.pdf", pdf, "application/pdf")
    message.send(fail_silently=False)
