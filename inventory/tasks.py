"""Thin Celery entry points for inventory: the CSV/XLSX import worker."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="inventory.tasks.import_job_run",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def import_job_run(job_id: int) -> None:
    from inventory.services import import_job_run

    import_job_run(job_id=job_id)
