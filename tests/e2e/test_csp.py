"""Issue 14 §4: the Content-Security-Policy allows no inline script, and the main screens report
no violation in a real Chromium: their scripts are static files, htmx (with eval off) swaps its
fragments and the SVG charts draw."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.models import OrderStatus
from tests.factories.customers import CustomerFactory
from tests.factories.orders import OrderFactory
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collected in the page before any of its own scripts run (Playwright injects it past the CSP).
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _watch(page) -> list[str]:
    console: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    return console


def _violations(page, console) -> list[str]:
    return page.evaluate("window.__csp || []") + console


def test_main_screens_report_no_csp_violation(live_server, browser_page, make_user):
    # given a manager (every screen) and some records to show
    make_user("manager", username="mia", is_staff=True)
    customer = CustomerFactory(name="Pieter Wijnberg")
    order = OrderFactory(customer=customer, status=OrderStatus.ON_HOLD)
    page = browser_page
    console = _watch(page)
    response = page.goto(f"{live_server.url}/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    login(page, live_server, "mia")
    # when the main screens are opened
    page.goto(f"{live_server.url}/")
    page.locator("#panel-orders-funnel svg[role=img]").wait_for()  # htmx loaded the chart panels
    page.locator("#panel-orders-revenue svg[role=img]").wait_for()
    names = [
        "orders:list",
        "customers:list",
        "customers:create",
        "inventory:stock",
        "shipping:pick_queue",
        "shipping:shipments",
        "purchasing:requests",
        "billing:invoices",
        "billing:journal",
        "billing:counter",
        "billing:lock_date",
        "oms:exceptions",
        "lockouts",
        "api-docs",
        "admin:index",
    ]
    urls = [reverse(name) for name in names]
    urls += [reverse("orders:detail", args=[order.number]), reverse("customers:detail", args=[customer.number])]
    for url in urls:
        response = page.goto(live_server.url + url)
        assert response.ok, (url, response.status)
        page.wait_for_load_state("networkidle")
        assert _violations(page, console) == [], url
    # and their behaviour still works: the customer form shows the business fields (static JS),
    # and the customer list searches as you type (htmx)
    page.goto(f"{live_server.url}{reverse('customers:create')}")
    page.locator("#customer-form [name=kind]").select_option("b2b")
    assert page.locator("#customer-form [data-b2b]").is_visible()
    page.goto(f"{live_server.url}{reverse('customers:list')}")
    page.locator("#customer-search").fill("wijnberg")
    page.get_by_text("Pieter Wijnberg").first.wait_for()
    assert _violations(page, console) == []
