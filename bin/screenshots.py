"""Take the README's screenshots from a running OMS (``make run`` in another terminal).

    .venv/bin/python bin/screenshots.py [http://127.0.0.1:8000]

Logs in with the demo credentials from var/demo-credentials.json and writes PNGs to
docs/screenshots/. Uses Debian's Chromium through Playwright.
"""

import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
# (file name, role to log in as, path, optional selector to wait for)
SHOTS = [
    ("home", "manager", "/", "#panel-orders-revenue svg"),
    ("dashboard-customer-service", "customer_service", "/", "[data-stat=late]"),
    ("dashboard-warehouse", "warehouse", "/", "[data-stat=handed-off-today]"),
    ("dashboard-accounting", "accounting", "/", "[data-stat=cash-today]"),
    ("search", "customer_service", "/search/?q=de%20vries", "[data-testid=search-hit]"),
    ("customers", "customer_service", "/customers/?q=de%20vries", "[data-testid=customer-row]"),
    ("customer", "customer_service", "/customers/C-000007/", "#customer-history"),
    ("inventory-stock", "warehouse", "/inventory/?status=low", "#stock-table"),
    ("inventory-product", "warehouse", "/inventory/products/85123A/", "#stock-panel"),
    ("shipping-rates", "manager", "/shipping/rates/", "#zone-nl"),
    ("shipping-pick", "warehouse", "/shipping/pick/?warehouse=AMS", "#pick-queue"),
    ("shipping-pack", "warehouse", "/shipping/pack/21/", "#pack-lines"),
    ("shipping-shipment", "warehouse", "/shipping/shipments/5/", "#shipment-status"),
    ("shipping-trip", "warehouse", "/shipping/trips/1/", "#stops"),
    ("invoices", "accounting", "/billing/invoices/", "[data-testid=invoice-row]"),
    ("receivables", "accounting", "/billing/receivables/", "[data-testid=ageing-row]"),
    ("journal", "accounting", "/billing/journal/?date_from=2000-01-01", "[data-testid=journal-entry]"),
    ("purchasing-queue", "purchasing", "/purchasing/", "[data-testid=request-row]"),
    ("purchasing-order", "purchasing", "/purchasing/orders/PO-000003/", "#po-lines"),
    ("purchasing-receipt", "warehouse", "/purchasing/receive/PO-000003/", "#receipt-form"),
    (
        "counter",
        "customer_service",
        "/billing/counter/?sku=85123A&qty=2&sku=22423&qty=1&sku=47566&qty=1&method=cash&tendered=150.00",
        "[data-testid=counter-change]",
    ),
    # The demo's numbers on a fresh database: 21,772 replayed orders, then the open ones and a draft.
    ("orders", "customer_service", "/orders/", "[data-testid=order-row]"),
    ("order", "customer_service", "/orders/SO-021774/", "#order-timeline"),
    ("phone-order", "customer_service", "/orders/enter/21787/", "#entry-lines"),
    # the same draft's delivery step: the options, then the pick-up service with points nearby
    ("delivery-options", "customer_service", "/orders/enter/21787/", "[data-testid=delivery-option]"),
    ("exceptions", "manager", "/exceptions/", "#exception-table"),
]


def _choose_pickup(page) -> None:
    """Choose the first service to pick-up points (if the demo has one) and wait for its points."""
    option = page.locator("[data-testid=delivery-option]:has([data-testid=to-pickup-point]) input")
    if option.count():
        option.first.check()
        page.wait_for_selector("[data-testid=pickup-point-option]")


# (what to do before the shot, whether the whole page is taken) per shot that needs it
ACTIONS = {"delivery-options": (_choose_pickup, True)}


def main(base: str) -> None:
    creds = json.loads((ROOT / "var" / "demo-credentials.json").read_text())
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for name, role, path, wait_for in SHOTS:
            context = browser.new_context(viewport={"width": 1400, "height": 850})
            page = context.new_page()
            page.goto(f"{base}/accounts/login/")
            page.get_by_label("Username").fill(role)
            page.get_by_label("Password").fill(creds[role])
            page.keyboard.press("Enter")
            page.wait_for_load_state("networkidle")
            page.goto(base + path)
            if wait_for:
                page.wait_for_selector(wait_for)
            page.wait_for_load_state("networkidle")
            action, full_page = ACTIONS.get(name, (None, False))
            if action:
                action(page)
                page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
            print("wrote", OUT / f"{name}.png")
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
