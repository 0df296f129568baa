"""The order page with a real worker (issue 19): accounting records the payment of a prepaid order
in the panel before the worker has issued the invoice; the panel says the invoice is on its way
and shows it, without a reload, once the worker has issued it."""

import pytest
from playwright.sync_api import expect

from billing.models import Invoice
from tests.factories.payments import place
from tests.support.browser import login
from tests.support.celery_worker import Worker, new_queue, use_broker
from tests.support.services import redis_url

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_panel_shows_the_invoice_the_worker_issues_after_the_payment(
    live_server, browser_page, make_user, shop, smtp, settings, monkeypatch
):
    order = place(shop.consumer, ("MUG-RED", 2))  # placed with tasks inline: unpaid, no invoice
    make_user("accounting", username="anouk")
    queue = new_queue()
    monkeypatch.setenv("EMAIL_URL", smtp.url)
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)
    monkeypatch.setenv("CELERY_TASK_DEFAULT_QUEUE", queue)
    worker = Worker(queue, redis_url())
    page = browser_page
    with use_broker(redis_url(), queue):
        login(page, live_server, "anouk")
        page.goto(f"{live_server.url}/orders/{order.number}/")
        # when the payment is recorded in the panel, the worker not started yet
        form = page.get_by_test_id("payment-form")
        form.get_by_label("Reference", exact=True).fill("tr_BROWSER")
        page.get_by_test_id("payment-submit").click()
        # then the panel says the invoice is being issued
        expect(page.get_by_test_id("invoice-wait")).to_contain_text("the invoice is being issued")
        assert not Invoice.objects.filter(order=order).exists()
        try:
            worker.start()
            # and shows the invoice once the worker has issued it, without a reload
            expect(page.get_by_test_id("order-invoice")).to_have_count(1, timeout=60_000)
        finally:
            worker.stop()
    invoice = Invoice.objects.get(order=order)
    expect(page.get_by_test_id("order-invoice")).to_contain_text(invoice.number)
    expect(page.get_by_test_id("invoice-wait")).to_have_count(0)
