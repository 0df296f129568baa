"""An import processed by a real Celery worker on Redis: the upload answers at once and the
worker fills in the progress and the error report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import ImportJob, ImportStatus, Product
from tests.factories.inventory import WarehouseFactory
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.services import redis_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.worker]


def test_import_job_run_by_a_worker_reports_progress_and_bad_rows(role_client):
    # given
    WarehouseFactory(code="AMS")
    rows = "".join(f"W-{n},Product {n},{n}.50\n" for n in range(60)) + "W-X,Broken,abc\n"
    queue = new_queue()
    worker = Worker(queue, redis_url()).start()
    try:
        # when
        with use_broker(redis_url(), queue):
            response = role_client("warehouse").post(
                reverse("inventory:import"),
                {"kind": "products", "file": SimpleUploadedFile("p.csv", f"sku,name,list_price\n{rows}".encode())},
            )
        # then
        job = ImportJob.objects.get()
        assert response.status_code == 302
        done = wait_until(lambda: ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE, timeout=30)
        assert done, "".join(worker.log[-30:])
    finally:
        worker.stop()
    job.refresh_from_db()
    assert (job.processed_rows, job.ok_rows, [e["line"] for e in job.errors]) == (61, 60, [62])
    assert Product.objects.filter(sku__startswith="W-").count() == 60
