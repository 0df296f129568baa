"""Role dashboards: every number equals a hand count on a fixture, links to the list that shows
the same records, and each panel stays within its query budget."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from oms import charts
from oms.dashboards import PANELS
from orders.models import Channel, DailyChannelStats, OrderStatus
from tests.conftest import HTMX
from tests.factories.customers import CustomerFactory
from tests.factories.orders import OrderFactory

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
STAT = re.compile(r'<a href="([^"]+)"[^>]*data-stat="([^"]+)" data-value="([^"]+)"')
# Each list's row marker, to count what a number links to.
ROW_MARKERS = {
    "/orders/": 'data-testid="order-row"',
    "/billing/invoices/": 'data-testid="invoice-row"',
    "/billing/payments/": 'data-testid="payment-row"',
    "/purchasing/orders/": 'data-testid="po-row"',
    "/purchasing/receive/": 'data-testid="receipt-row"',
    "/inventory/": 'data-testid="stock-row"',
    "/exceptions/": 'data-testid="exception-row"',
}


def panel(client, key: str) -> dict[str, tuple[str, str]]:
    """key -> (value, url) of the numbers of one panel."""
    response = client.get(f"/dashboard/{key}/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    return {stat: (value, url.replace("&amp;", "&")) for url, stat, value in STAT.findall(html)}


def values(stats: dict) -> dict[str, str]:
    return {key: value for key, (value, _) in stats.items()}


def rows_behind(client, url: str) -> int:
    marker = next(m for prefix, m in ROW_MARKERS.items() if url.startswith(prefix))
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode().count(marker)


# --- charts ---------------------------------------------------------------------------------------


def test_bar_chart_is_accessible_svg_with_one_bar_per_row():
    svg = charts.bar_chart([("web", 1234), ("phone", 5), ("b2b", 0)], label="Orders today")
    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img" and root.get("aria-label") == "Orders today"
    bars = root.findall(f".//{SVG}rect[@class='bar']")
    assert [b.get("data-label") for b in bars] == ["web", "phone", "b2b"]
    assert bars[0].find(f"{SVG}title").text == "web: 1.234"  # Dutch grouping
    assert float(bars[0].get("height")) > float(bars[1].get("height")) > float(bars[2].get("height")) == 0


def test_line_chart_has_a_series_per_channel_and_money_tooltips():
    series = {"Webshop": [("01-11", 1234.5), ("02-11", 10)], "Phone": [("01-11", 0), ("02-11", 3.25)]}
    root = ET.fromstring(str(charts.line_chart(series, label="Revenue", money=True)))
    assert [p.get("data-series") for p in root.findall(f".//{SVG}polyline")] == ["Webshop", "Phone"]
    tips = [c.find(f"{SVG}title").text for c in root.findall(f".//{SVG}circle")]
    assert "Webshop 01-11: € 1.234,50" in tips and "Phone 02-11: € 3,25" in tips


def test_funnel_chart_shows_share_of_the_first_step_and_escapes_labels():
    root = ET.fromstring(str(charts.funnel_chart([("Placed", 200), ("<Paid>", 50)], label="Funnel & co")))
    titles = [r.find(f"{SVG}title").text for r in root.findall(f".//{SVG}rect[@class='bar']")]
    assert titles == ["Placed: 200 (100%)", "<Paid>: 50 (25%)"]
    assert root.get("aria-label") == "Funnel & co"


def test_empty_charts_still_parse():
    ET.fromstring(str(charts.bar_chart([], label="x")))
    ET.fromstring(str(charts.line_chart({}, label="x")))
    ET.fromstring(str(charts.funnel_chart([], label="x")))


# --- customer service -----------------------------------------------------------------------------


@pytest.fixture
def cs_orders():
    now = timezone.now()
    earlier = now - timedelta(days=3)
    today, yesterday = timezone.localdate(), timezone.localdate() - timedelta(days=1)
    customer = CustomerFactory()
    for channel in (Channel.WEB, Channel.WEB, Channel.PHONE, Channel.STORE):
        OrderFactory(customer=customer, channel=channel, created_at=now, status=OrderStatus.COMPLETED)
    OrderFactory(customer=customer, channel=Channel.WEB, created_at=now - timedelta(days=1, hours=1))  # yesterday
    OrderFactory(customer=customer, channel=Channel.WEB, created_at=now, status=OrderStatus.DRAFT)  # not placed
    OrderFactory(customer=customer, created_at=earlier, status=OrderStatus.ON_HOLD)
    OrderFactory(customer=customer, created_at=earlier, status=OrderStatus.BACKORDERED)
    OrderFactory(customer=customer, created_at=earlier, status=OrderStatus.BACKORDERED, promised_delivery_date=today)
    OrderFactory(customer=customer, created_at=earlier, status=OrderStatus.ALLOCATED, promised_delivery_date=yesterday)
    OrderFactory(customer=customer, created_at=earlier, status=OrderStatus.SHIPPED, promised_delivery_date=yesterday)


def test_customer_service_numbers_equal_hand_counts_and_their_lists(cs_orders, role_client):
    client = role_client("customer_service")
    today = panel(client, "orders.today")
    assert values(today) == {
        "today-web": "2",
        "today-phone": "1",
        "today-store": "1",
        "today-b2b": "0",
        "today-all": "4",
    }
    attention = panel(client, "orders.attention")
    assert values(attention) == {"on-hold": "1", "backordered": "2", "late": "1"}
    for value, url in [*today.values(), *attention.values()]:
        assert rows_behind(client, url) == int(value), url


def test_home_lists_the_panels_of_the_role_only(role_client):
    client = role_client("customer_service")
    html = client.get("/").content.decode()
    assert 'data-panel="orders.today"' in html and 'data-panel="orders.attention"' in html
    assert 'data-panel="billing.accounting"' not in html and 'data-panel="orders.revenue"' not in html
    assert 'hx-trigger="load"' in html and 'id="dashboard"' in html  # panels load on their own; nav kept
    manager = role_client("manager").get("/").content.decode()
    assert all(f'data-panel="{key}"' in manager for key in PANELS)


def test_a_panel_of_another_role_is_refused_and_an_unknown_one_is_404(role_client):
    client = role_client("warehouse")
    assert client.get("/dashboard/billing.accounting/", **HTMX).status_code == 403
    assert client.get("/dashboard/no.such/", **HTMX).status_code == 404


# --- accounting -----------------------------------------------------------------------------------


def test_accounting_numbers_equal_hand_counts_and_their_lists(role_client):
    from billing.models import Invoice
    from billing.services import payment_record
    from tests.factories.billing import b2c_customer, issue, line

    today = timezone.localdate()
    customer = b2c_customer()
    # numbers follow dates: the oldest first
    overdue = issue(customer, [line(2, "10.00")], issue_date=today - timedelta(days=40), payment_terms_days=14)
    sent = issue(customer, [line(1, "100.00")])
    Invoice.objects.filter(pk=sent.pk).update(sent_at=timezone.now())
    issue(customer, [line(1, "50.00")])  # unsent, not due
    no_email = issue(b2c_customer(email=""), [line(1, "5.00")])
    assert no_email.buyer_email == ""
    payer = b2c_customer()
    payment_record(method="bank_transfer", amount=Decimal("25.00"), reference="BANK-1", customer=payer, user=None)
    payment_record(method="bank_transfer", amount=Decimal("5.50"), reference="BANK-2", customer=payer, user=None)
    payment_record(
        method="bank_transfer",
        amount=Decimal("99.00"),
        reference="BANK-OLD",
        customer=payer,
        user=None,
        paid_at=timezone.now() - timedelta(days=2),
    )

    client = role_client("accounting")
    stats = panel(client, "billing.accounting")
    assert values(stats) == {
        "unsent": "2",  # the not-due one and the overdue one (the no-e-mail invoice cannot be sent)
        "overdue": "1",
        "overdue-amount": str(overdue.gross_amount),
        "payments-today": "2",
        "cash-today": "30.50",
    }
    assert overdue.gross_amount == Decimal("24.20")
    for key in ("unsent", "overdue", "payments-today"):
        value, url = stats[key]
        assert rows_behind(client, url) == int(value), url


# --- purchasing and warehouse ---------------------------------------------------------------------


def test_purchasing_and_warehouse_numbers_equal_hand_counts(role_client):
    from purchasing.models import POStatus, PurchaseOrder, RequestStatus
    from shipping.models import ShipmentStatus
    from tests.factories.inventory import ProductFactory, WarehouseFactory, stock
    from tests.factories.purchasing import ReorderRequestFactory, SupplierFactory
    from tests.factories.shipping import ShipmentFactory

    today = timezone.localdate()
    warehouse = WarehouseFactory(code="AMS")
    supplier = SupplierFactory()
    ReorderRequestFactory.create_batch(2)
    ReorderRequestFactory(status=RequestStatus.DISMISSED)
    for status, expected in [
        (POStatus.SENT, today - timedelta(days=2)),  # overdue
        (POStatus.PARTIALLY_RECEIVED, today - timedelta(days=1)),  # overdue
        (POStatus.SENT, today),  # expected today
        (POStatus.RECEIVED, today - timedelta(days=5)),  # done
        (POStatus.DRAFT, None),
    ]:
        PurchaseOrder.objects.create(
            number=f"PO-9{PurchaseOrder.objects.count():05d}",
            supplier=supplier,
            warehouse=warehouse,
            status=status,
            expected_date=expected,
        )
    low, empty, fine = ProductFactory.create_batch(3)
    stock(low, warehouse, 2, reorder_point=5)
    stock(empty, warehouse, 0, reorder_point=1)
    stock(fine, warehouse, 50, reorder_point=5)
    now = timezone.now()
    ShipmentFactory(
        warehouse=warehouse, status=ShipmentStatus.HANDED_OFF, tracking_number="TRK-OUT-1", handed_off_at=now
    )
    ShipmentFactory(
        warehouse=warehouse, status=ShipmentStatus.HANDED_OFF, tracking_number="TRK-OUT-2", handed_off_at=now
    )
    ShipmentFactory(
        warehouse=warehouse,
        status=ShipmentStatus.DELIVERED,
        tracking_number="TRK-DONE-3",
        handed_off_at=now - timedelta(days=2),
    )

    buyer = role_client("purchasing")
    buying = panel(buyer, "purchasing.buying")
    assert values(buying) == {"open-requests": "2", "overdue-pos": "2"}
    stock_panel = panel(buyer, "inventory.stock")
    assert values(stock_panel) == {"low-stock": "2"}
    assert rows_behind(buyer, stock_panel["low-stock"][1]) == 2

    warehouse_client = role_client("warehouse")
    assert values(panel(warehouse_client, "purchasing.receipts")) == {"expected-today": "1"}
    fulfilment = panel(warehouse_client, "shipping.fulfilment")
    counts = values(fulfilment)  # the factories made more warehouses: nothing to pick or pack anywhere
    assert counts["handed-off-today"] == "2" and counts["to-pick-AMS"] == counts["to-pack-AMS"] == "0"
    assert {value for key, value in counts.items() if key.startswith(("to-pick", "to-pack"))} == {"0"}
    shipments = warehouse_client.get(fulfilment["handed-off-today"][1]).content.decode()
    # tracking numbers with a hyphen: a page's random CSRF token (letters and digits) cannot hold one
    assert "TRK-OUT-1" in shipments and "TRK-OUT-2" in shipments and "TRK-DONE-3" not in shipments
    receipts = warehouse_client.get(panel(warehouse_client, "purchasing.receipts")["expected-today"][1])
    assert receipts.content.decode().count("/purchasing/receive/PO-9") == 1
    overdue_list = buyer.get(buying["overdue-pos"][1]).content.decode()
    assert len(set(re.findall(r"PO-9\d{5}", overdue_list))) == 2


# --- manager --------------------------------------------------------------------------------------


def test_manager_funnel_and_revenue_from_the_summary(role_client):
    from orders.services import daily_stats_refresh

    now = timezone.now()
    customer = CustomerFactory()
    common = {"customer": customer, "net_amount": Decimal("100.00"), "vat_amount": Decimal("21.00")}
    OrderFactory(**common, created_at=now, status=OrderStatus.ALLOCATED, gross_amount=Decimal("121.00"))
    OrderFactory(
        **common,
        created_at=now - timedelta(days=2),
        status=OrderStatus.DELIVERED,
        gross_amount=Decimal("121.00"),
        amount_paid=Decimal("121.00"),
    )
    OrderFactory(
        **common, created_at=now - timedelta(days=2), status=OrderStatus.CANCELLED, gross_amount=Decimal("121")
    )
    OrderFactory(
        **common,
        channel=Channel.PHONE,
        created_at=now - timedelta(days=3),
        status=OrderStatus.SHIPPED,
        shipping_amount=Decimal("5.00"),
        gross_amount=Decimal("126.00"),
    )
    OrderFactory(
        **common, created_at=now - timedelta(days=40), status=OrderStatus.COMPLETED, gross_amount=Decimal("121")
    )

    client = role_client("manager")
    funnel = client.get("/dashboard/orders.funnel/", **HTMX).content.decode()
    root = ET.fromstring(re.search(r"<svg.*</svg>", funnel, re.S).group(0))
    steps = {r.get("data-label"): r.get("data-value") for r in root.findall(f".//{SVG}rect[@class='bar']")}
    assert steps == {"Placed": "4", "Not cancelled": "3", "Shipped": "2", "Delivered": "1", "Paid in full": "1"}

    # live (no summary yet), then from the summary: the same numbers
    from orders import selectors

    live = selectors.revenue_by_channel(days=30)
    assert daily_stats_refresh() == 35 * len(Channel.values)
    assert selectors.revenue_by_channel(days=30) == live
    two_days_ago = timezone.localdate() - timedelta(days=2)
    assert dict(live[Channel.WEB])[two_days_ago] == Decimal("100.00")  # cancelled left out
    assert dict(live[Channel.PHONE])[two_days_ago - timedelta(days=1)] == Decimal("105.00")
    assert dict(live[Channel.WEB])[timezone.localdate()] == Decimal("100.00")
    # past days are read from the summary (a changed row shows), today is always live
    DailyChannelStats.objects.filter(day=two_days_ago, channel=Channel.WEB).update(revenue=Decimal("7.00"))
    html = client.get("/dashboard/orders.revenue/", **HTMX).content.decode()
    assert "Webshop " + two_days_ago.strftime("%d-%m") + ": € 7,00" in html
    ET.fromstring(re.search(r"<svg.*</svg>", html, re.S).group(0))


def test_delivery_time_percentiles(role_client):
    from shipping.models import ShipmentStatus
    from tests.factories.shipping import ShipmentFactory

    now = timezone.now()
    for days in (1, 2, 3, 4, 10):
        order = OrderFactory(placed_at=now - timedelta(days=days + 1), status=OrderStatus.DELIVERED)
        ShipmentFactory(
            order=order,
            status=ShipmentStatus.DELIVERED,
            tracking_number=f"D{days}",
            delivered_at=now - timedelta(days=1),
        )
    order = OrderFactory(placed_at=now - timedelta(days=60), status=OrderStatus.DELIVERED)
    ShipmentFactory(
        order=order, status=ShipmentStatus.DELIVERED, tracking_number="OLD", delivered_at=now - timedelta(days=45)
    )
    from shipping.selectors.fulfilment import delivery_times

    times = delivery_times(days=30)
    assert times["count"] == 5
    assert times["p50"] == pytest.approx(3.0)
    assert times["p90"] == pytest.approx(7.6)  # between 4 and 10 days, linear
    html = role_client("manager").get("/dashboard/shipping.delivery_time/", **HTMX).content.decode()
    assert "Median 3,0 days, 90% within 7,6 days" in html


# --- query budgets --------------------------------------------------------------------------------

BUDGETS = {
    "orders.today": 1,
    "orders.attention": 1,
    "orders.funnel": 1,
    "orders.revenue": 2,
    "billing.accounting": 3,
    "purchasing.buying": 2,
    "purchasing.receipts": 2,
    "inventory.stock": 1,
    "shipping.fulfilment": 4,  # warehouses, then pick and pack per warehouse (one here), handed off
    "shipping.delivery_time": 1,
    "oms.exceptions": 1,
}
SESSION = 2  # session and user


@pytest.mark.parametrize("key", sorted(PANELS))
def test_each_panel_stays_within_its_query_budget(key, role_client, django_assert_max_num_queries):
    from tests.factories.inventory import WarehouseFactory

    WarehouseFactory(code="AMS")
    client = role_client("manager")
    client.get("/")  # the session is warm
    with django_assert_max_num_queries(BUDGETS[key] + SESSION + 1):  # + the manager's groups
        assert client.get(f"/dashboard/{key}/", **HTMX).status_code == 200


def test_home_page_itself_queries_little(role_client, django_assert_max_num_queries):
    client = role_client("manager")
    client.get("/")
    with django_assert_max_num_queries(4):
        assert client.get("/").status_code == 200


def test_open_exceptions_panel_counts_the_roles_items_and_links_to_the_inbox(role_client):
    from oms.models import ExceptionItem

    now = timezone.now()

    def item(rule, subject, role, closed=False):
        ExceptionItem.objects.create(
            rule=rule, subject=subject, title=subject, role=role, opened_at=now, last_seen_at=now,
            closed_at=now if closed else None, close_reason="cleared" if closed else "",
        )  # fmt: skip

    item("shipping.handoff_failed", "shipment:1", "warehouse")
    item("shipping.handoff_failed", "shipment:2", "warehouse")
    item("shipping.untracked", "shipment:3", "warehouse")
    item("shipping.untracked", "shipment:4", "warehouse", closed=True)  # closed: not counted
    item("billing.invoice_unsent", "invoice:1", "accounting")  # another role's
    client = role_client("warehouse")
    stats = panel(client, "oms.exceptions")
    assert values(stats) == {
        "exceptions-total": "3",
        "exceptions-shipping.handoff_failed": "2",
        "exceptions-shipping.untracked": "1",
    }
    for value, url in stats.values():
        assert rows_behind(client, url) == int(value), url
    assert values(panel(role_client("manager"), "oms.exceptions"))["exceptions-total"] == "4"
