"""Thin Celery entry points for purchasing: the scheduled reorder scan and the purchase order
document (PDF rendered with WeasyPrint, e-mailed to the supplier once)."""

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError


@shared_task(name="purchasing.tasks.reorder_scan", acks_late=True, ignore_result=True)
def reorder_scan() -> int:
    from purchasing.services import reorder_scan

    return reorder_scan()


@shared_task(name="purchasing.tasks.quarter_hourly", ignore_result=True)
def quarter_hourly() -> dict:
    """Beat, every 15 minutes: the reorder scan, then re-queue purchase order documents whose
    after-commit task was lost (broker down when the order was sent, worker killed)."""
    from purchasing.services import purchase_order_documents_sweep, reorder_scan

    return {"requests_raised": reorder_scan(), "documents_queued": purchase_order_documents_sweep()}


@shared_task(
    name="purchasing.tasks.purchase_order_document_send",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, SMTPException, OSError),
    retry_backoff=True,
    max_retries=8,
)
def purchase_order_document_send(purchase_order_id: int) -> bool:
    from purchasing.services import purchase_order_document_send

    return purchase_order_document_send(purchase_order_id=purchase_order_id)
