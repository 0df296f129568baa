"""The pick screen's PDF link with a worker (issue 19): while the worker renders, the new tab
shows "Preparing the pick list…" and polls; when the file is stored it offers the download, which
is the stored PDF."""

import pytest
from playwright.sync_api import expect

from shipping.models import PickList
from shipping.services import picking
from tests.shipping.flow import place
from tests.support.browser import login
from tests.support.celery_worker import Worker, new_queue, use_broker
from tests.support.pdf import pdf_text
from tests.support.services import redis_url

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_pick_screen_link_shows_preparing_then_the_pdf(
    live_server, browser_page, make_user, customer, mug, ams, parcel_carrier, settings, monkeypatch
):
    order = place(customer, ("MUG-RED", 2))
    user = make_user("warehouse", username="wendy")
    queue = new_queue()
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)
    monkeypatch.setenv("CELERY_TASK_DEFAULT_QUEUE", queue)
    worker = Worker(queue, redis_url())
    with use_broker(redis_url(), queue):
        # given a pick list whose render is queued, the worker not started yet
        pick_list = picking.pick_list_create(warehouse_id=ams.pk, order_ids=[order.pk], user=user).pick_list
        page = browser_page
        login(page, live_server, "wendy")
        page.goto(f"{live_server.url}/shipping/pick/lists/{pick_list.pk}/")
        # when the warehouse clicks the PDF link
        with page.context.expect_page() as opened:
            page.get_by_test_id("pick-list-pdf").click()
        tab = opened.value
        # then the new tab says it is preparing
        expect(tab.get_by_test_id("pdf-status")).to_contain_text("Preparing the pick list…")
        try:
            worker.start()
            # and turns into the download when the worker has stored the file
            ready = tab.get_by_test_id("pick-list-pdf-ready")
            expect(ready).to_be_visible(timeout=60_000)
            response = tab.request.get(live_server.url + ready.get_attribute("href"))
        finally:
            worker.stop()
    assert response.headers["content-type"] == "application/pdf"
    data = response.body()
    assert "MUG-RED" in pdf_text(data) and order.number in pdf_text(data)
    stored = PickList.objects.get(pk=pick_list.pk).pdf
    with stored.open("rb") as handle:
        assert handle.read() == data
