"""The header search finds each kind of record by number, name, e-mail and postcode, jumps to a
typed number, answers only what the user's role may open, and stays within its query budget."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.conftest import HTMX
from tests.factories.customers import CustomerFactory
from tests.factories.orders import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    from customers.search import build_search_document
    from purchasing.models import POStatus, PurchaseOrder
    from shipping.models import ShipmentStatus
    from tests.factories.billing import b2c_customer, issue
    from tests.factories.inventory import WarehouseFactory
    from tests.factories.purchasing import SupplierFactory
    from tests.factories.shipping import ShipmentFactory

    customer = b2c_customer(name="Zoë Wijnberg", email="zoe.wijnberg@example.nl")
    customer.search_document = build_search_document(
        number=customer.number, name=customer.name, email=customer.email, postcodes=["3511 AB"]
    )
    customer.save(update_fields=["search_document"])
    order = OrderFactory(customer=customer)
    invoice = issue(customer)
    shipment = ShipmentFactory(order=order, status=ShipmentStatus.HANDED_OFF, tracking_number="3STRACK123")
    supplier = SupplierFactory(name="Groothandel Kuipers", email="inkoop@kuipers.example")
    po = PurchaseOrder.objects.create(
        number="PO-000042", supplier=supplier, warehouse=WarehouseFactory(), status=POStatus.SENT
    )
    CustomerFactory(name="Someone Else")  # never found by the queries below
    return {"customer": customer, "order": order, "invoice": invoice, "shipment": shipment, "po": po}


def suggest(client, query: str) -> str:
    response = client.get("/search/", {"q": query}, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def kinds(html: str) -> set[str]:
    import re

    return set(re.findall(r'data-kind="([a-z_]+)"', html))


def test_each_kind_found_by_number_and_jumped_to(records, role_client):
    client = role_client("manager")
    r = records
    jumps = {
        r["order"].number: f"/orders/{r['order'].number}/",
        r["order"].number.lower().replace("-", ""): f"/orders/{r['order'].number}/",
        r["customer"].number: f"/customers/{r['customer'].number}/",
        r["invoice"].number: f"/billing/invoices/{r['invoice'].number}/",
        r["shipment"].number: f"/shipping/shipments/{r['shipment'].pk}/",
        "po-42": "/purchasing/orders/PO-000042/",
    }
    for typed, url in jumps.items():
        response = client.get("/search/", {"q": typed})
        assert response.status_code == 302 and response["Location"] == url, typed
    assert r["order"].number in suggest(client, r["order"].number)
    assert r["invoice"].number in suggest(client, r["invoice"].number)
    assert r["shipment"].number in suggest(client, r["shipment"].number)
    assert "PO-000042" in suggest(client, "PO-000042")
    assert r["shipment"].number in suggest(client, "3STRACK123")  # tracking number


def test_name_email_and_postcode_find_customer_orders_invoices_and_shipments(records, role_client):
    client = role_client("manager")
    r = records
    for query in ("wijnberg", "Zoe Wijnberg", "zoe.wijnberg@example.nl", "3511 AB", "3511ab"):
        html = suggest(client, query)
        assert {"customers", "orders", "invoices", "shipments"} <= kinds(html), query
        assert r["customer"].number in html and r["order"].number in html and r["invoice"].number in html
        assert "Someone Else" not in html
    assert "PO-000042" in suggest(client, "kuipers")  # supplier name
    assert "PO-000042" in suggest(client, "inkoop@kuipers.example")  # supplier e-mail


def test_results_page_groups_hits_and_says_when_nothing_matches(records, role_client):
    client = role_client("manager")
    html = client.get("/search/", {"q": "wijnberg"}).content.decode()
    assert html.count('data-testid="search-hit"') >= 4 and 'data-kind="customers"' in html
    nothing = client.get("/search/", {"q": "qqxxzz"}).content.decode()
    assert 'data-testid="search-nothing"' in nothing
    assert "SO-999999" in client.get("/search/", {"q": "SO-999999"}).content.decode()  # no such order: no jump


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("customer_service", {"customers", "orders", "invoices", "shipments"}),
        ("warehouse", {"orders", "shipments"}),
        ("accounting", {"customers", "orders", "invoices"}),
        ("purchasing", set()),
    ],
)
def test_providers_answer_only_roles_that_may_open_their_list(records, role_client, role, expected):
    client = role_client(role)
    assert kinds(suggest(client, "wijnberg")) == expected
    po = client.get("/search/", {"q": "PO-000042"})
    if role == "purchasing":
        assert po.status_code == 302
    else:
        assert po.status_code == 200  # no jump to a page the role may not open


def test_a_number_the_role_may_not_open_is_not_jumped_to(records, role_client):
    response = role_client("warehouse").get("/search/", {"q": records["invoice"].number})
    assert response.status_code == 200


def test_suggestions_stay_within_a_query_budget(records, role_client, django_assert_max_num_queries):
    client = role_client("manager")
    client.get("/")
    # session, user, groups + customers 2, orders 2, invoices 2, shipments 2, purchase orders 1
    with django_assert_max_num_queries(13):
        suggest(client, "wijnberg")


@pytest.mark.parametrize("query", ["", "a", "x" * 500, "%_'\";--", "SO-", "2026-", "C-abc", "\u00e9\u00e8", "1234"])
def test_odd_input_never_fails(records, role_client, query):
    client = role_client("manager")
    assert client.get("/search/", {"q": query}, **HTMX).status_code == 200
    assert client.get("/search/", {"q": query}).status_code in (200, 302)


def test_header_box_is_on_every_page_for_logged_in_users(role_client, client):
    html = role_client("warehouse").get("/").content.decode()
    assert 'id="header-search-input"' in html and "delay:200ms" in html
    assert timezone.now()  # anonymous users see the login page, no header
    assert 'id="header-search-input"' not in client.get("/accounts/login/").content.decode()
