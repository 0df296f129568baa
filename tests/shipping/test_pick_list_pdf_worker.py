"""The pick list's PDF is rendered by the worker and stored (issue 19: the first PDF took seconds
in the web process); the pick screen's link serves the stored file, shows a polling page while it
is not ready, never serves a PDF that disagrees with the pick list, and renders in the request
when tasks run inline (the quick start)."""

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from oms.roles import Role
from shipping import documents
from shipping.models import PickList, PickListLine
from shipping.services import picking
from tests.conftest import HTMX
from tests.shipping.flow import place
from tests.support.celery_worker import Worker, new_queue, use_broker, wait_until
from tests.support.pdf import pdf_text
from tests.support.services import redis_url


def _stored(pick_list_id: int) -> bytes | None:
    pick_list = PickList.objects.get(pk=pick_list_id)
    if not pick_list.pdf or not default_storage.exists(pick_list.pdf.name):
        return None
    with default_storage.open(pick_list.pdf.name, "rb") as handle:
        return handle.read()


def _worker(settings, monkeypatch, queue: str) -> Worker:
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)  # the worker stores where this process reads
    monkeypatch.setenv("CELERY_TASK_DEFAULT_QUEUE", queue)
    return Worker(queue, redis_url())


@pytest.mark.django_db(transaction=True)
@pytest.mark.redis
@pytest.mark.worker
def test_the_worker_renders_a_new_pick_list_and_the_link_serves_the_stored_file(
    role_client, customer, mug, plate, ams, packer, parcel_carrier, settings, monkeypatch
):
    first = place(customer, ("PLATE-1", 1), ("MUG-RED", 2))
    second = place(customer, ("MUG-RED", 3))
    queue = new_queue()
    worker = _worker(settings, monkeypatch, queue).start()
    try:
        with use_broker(redis_url(), queue):
            # when a pick list is made (its PDF is queued when the transaction commits)
            result = picking.pick_list_create(warehouse_id=ams.pk, order_ids=[first.pk, second.pk], user=packer)
            pick_list = result.pick_list
            data = wait_until(lambda: _stored(pick_list.pk), timeout=60)
            assert data, "".join(worker.log[-40:])
            # then the stored PDF lists the pick list's lines
            text = pdf_text(data)
            assert pick_list.number in text and text.index("MUG-RED") < text.index("PLATE-1")
            assert first.number in text and second.number in text
            # and the link serves that file without rendering in this process
            before = documents.renders["pick_list"]
            response = role_client(Role.WAREHOUSE).get(reverse("shipping:pick_list_pdf", args=[pick_list.pk]))
            assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content) == data
            assert documents.renders["pick_list"] == before
    finally:
        worker.stop()


@pytest.mark.django_db
@pytest.mark.redis
def test_the_link_polls_while_the_pdf_is_not_ready_then_serves_it(
    role_client, customer, mug, ams, packer, parcel_carrier
):
    order = place(customer, ("MUG-RED", 2))
    pick_list = picking.pick_list_create(warehouse_id=ams.pk, order_ids=[order.pk], user=packer).pick_list
    url = reverse("shipping:pick_list_pdf", args=[pick_list.pk])
    wh = role_client(Role.WAREHOUSE)
    with use_broker(redis_url(), new_queue()):  # a worker is configured, but has not rendered it yet
        before = documents.renders["pick_list"]
        page = wh.get(url)
        assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
        assert "Preparing the pick list…" in page.content.decode() and 'hx-trigger="every 1s"' in page.content.decode()
        poll = wh.get(url, {"poll": 0}, **HTMX)
        assert b"<html" not in poll.content and "Preparing the pick list…" in poll.content.decode()
        assert documents.renders["pick_list"] == before
        # a poll that has waited long (no worker took the task) offers to print in the request
        late = wh.get(url, {"poll": 19}, **HTMX)
        assert b'data-testid="pick-list-pdf-now"' in late.content and b"every 1s" not in late.content
        now = wh.get(url, {"now": 1})
        assert now["Content-Type"] == "application/pdf" and "MUG-RED" in pdf_text(now.content)
        assert documents.renders["pick_list"] == before + 1
        # when the worker's task runs
        assert picking.pick_list_pdf_render(pick_list_id=pick_list.pk) is True
        # then the poll turns into the download, and the link serves the file
        ready = wh.get(url, {"poll": 1}, **HTMX)
        assert b'data-testid="pick-list-pdf-ready"' in ready.content and b"every 1s" not in ready.content
        before = documents.renders["pick_list"]
        pdf = wh.get(url)
        assert pdf["Content-Type"] == "application/pdf" and pick_list.number in pdf_text(
            b"".join(pdf.streaming_content)
        )
        assert documents.renders["pick_list"] == before
        # and a second run of the task keeps the file
        assert picking.pick_list_pdf_render(pick_list_id=pick_list.pk) is False


@pytest.mark.django_db
@pytest.mark.redis
def test_a_pick_list_changed_after_its_pdf_is_never_served_stale(
    role_client, customer, mug, plate, ams, packer, parcel_carrier
):
    order = place(customer, ("MUG-RED", 2), ("PLATE-1", 1))
    pick_list = picking.pick_list_create(warehouse_id=ams.pk, order_ids=[order.pk], user=packer).pick_list
    picking.pick_list_pdf_render(pick_list_id=pick_list.pk)
    url = reverse("shipping:pick_list_pdf", args=[pick_list.pk])
    wh = role_client(Role.WAREHOUSE)
    # when a line leaves the pick list after rendering
    PickListLine.objects.filter(pick_list=pick_list, sku="PLATE-1").delete()
    # then with a worker the link waits for a new render instead of serving the old file
    with use_broker(redis_url(), new_queue()):
        page = wh.get(url)
        assert "Preparing the pick list…" in page.content.decode()
    # inline (the quick start) it renders the current list in the request
    fresh = pdf_text(wh.get(url).content)
    assert "MUG-RED" in fresh and "PLATE-1" not in fresh
    # and the worker's next render replaces the stored file with the current list
    assert picking.pick_list_pdf_render(pick_list_id=pick_list.pk) is True
    with use_broker(redis_url(), new_queue()):
        served = pdf_text(b"".join(wh.get(url).streaming_content))
    assert "MUG-RED" in served and "PLATE-1" not in served


@pytest.mark.django_db
def test_inline_tasks_render_in_the_request_as_before(role_client, customer, mug, ams, packer, parcel_carrier):
    order = place(customer, ("MUG-RED", 2))
    pick_list = picking.pick_list_create(warehouse_id=ams.pk, order_ids=[order.pk], user=packer).pick_list
    assert not PickList.objects.get(pk=pick_list.pk).pdf  # nothing queued inline: no render on create
    before = documents.renders["pick_list"]
    response = role_client(Role.WAREHOUSE).get(reverse("shipping:pick_list_pdf", args=[pick_list.pk]))
    assert response["Content-Type"] == "application/pdf" and "MUG-RED" in pdf_text(response.content)
    assert documents.renders["pick_list"] == before + 1
