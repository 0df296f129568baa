"""The exception inbox in a browser, by keyboard only: tab to an item's note, type, press Enter;
the row turns into "Resolved by ..." in place (htmx) and the Closed tab lists it."""

import pytest
from django.utils import timezone

from oms.models import ExceptionItem
from oms.roles import Role
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_resolve_an_exception_with_the_keyboard(live_server, browser_page, make_user):
    make_user(Role.WAREHOUSE, username="wanda")
    now = timezone.now()
    item = ExceptionItem.objects.create(rule="shipping.untracked", subject="shipment:1", title="SH-000001 no tracking",
                                        role=Role.WAREHOUSE, opened_at=now, last_seen_at=now)  # fmt: skip
    page = browser_page
    login(page, live_server, "wanda")
    page.goto(f"{live_server.url}/exceptions/")
    page.get_by_placeholder("Note (optional)").focus()
    page.keyboard.type("parcel found behind the door")
    page.keyboard.press("Enter")
    row = page.locator(f"#exception-{item.pk}")
    row.get_by_text("Resolved by wanda").wait_for()
    assert "parcel found behind the door" in row.inner_text()
    assert page.url.endswith("/exceptions/")  # swapped in place, no page load
    item.refresh_from_db()
    assert item.close_reason == "resolved" and item.closed_by.username == "wanda"
    page.get_by_test_id("tab-closed").click()
    page.get_by_text("parcel found behind the door").wait_for()
