"""The purchasing screens: the reorder queue, purchase orders, goods receipt and suppliers.
(Who may open what: tests/test_permissions.py with tests/purchasing/routes.py.)"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import StockMovement
from purchasing.models import POStatus, PurchaseOrder, ReorderRequest, RequestStatus, Supplier, SupplierProduct
from tests.factories.inventory import ProductFactory, WarehouseFactory, level
from tests.factories.purchasing import (
    ReorderRequestFactory,
    SupplierFactory,
    SupplierProductFactory,
    draft_purchase_order,
    sent_purchase_order,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
QUEUE = reverse("purchasing:requests")


@pytest.fixture
def ams():
    return WarehouseFactory(code="AMS", name="Amsterdam", priority=10)


@pytest.fixture
def buyer(role_client):
    return role_client("purchasing")


@pytest.fixture
def clerk(role_client):
    return role_client("warehouse")


def requests_for(supplier, warehouse, count, *, start=0):
    return [
        ReorderRequestFactory(
            product=ProductFactory(sku=f"{supplier.name[:3].upper()}-{n:03d}"),
            warehouse=warehouse,
            supplier=supplier,
            suggested_quantity=6 + n,
        )
        for n in range(start, start + count)
    ]


# --- the reorder queue ----------------------------------------------------------------------------


def test_request_queue_groups_open_requests_by_supplier_page_and_fragment(buyer, ams):
    requests_for(SupplierFactory(name="Beta"), ams, 2)
    requests_for(SupplierFactory(name="Alpha"), ams, 3)
    ReorderRequestFactory(product=ProductFactory(sku="ORPHAN"), warehouse=ams, supplier=None)
    dismissed = ReorderRequestFactory(product=ProductFactory(sku="GONE"), warehouse=ams)
    ReorderRequest.objects.filter(pk=dismissed.pk).update(status=RequestStatus.DISMISSED)
    page = buyer.get(QUEUE)
    body = page.content.decode()
    assert page.status_code == 200 and "<html" in body
    groups = re.findall(r'data-testid="group-name">([^<]+)<', body)
    assert groups == ["Alpha", "Beta", "No supplier"]
    assert body.count('data-testid="request-row"') == 6 and "GONE" not in body
    fragment = buyer.get(QUEUE, **HTMX)
    assert "<html" not in fragment.content.decode() and 'id="queue"' in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]


def test_request_queue_query_count_does_not_grow_with_rows(buyer, ams, django_assert_max_num_queries):
    alpha = SupplierFactory(name="Alpha")
    requests_for(alpha, ams, 3)
    with django_assert_max_num_queries(12) as few:
        buyer.get(QUEUE)
    requests_for(alpha, ams, 40, start=3)
    requests_for(SupplierFactory(name="Beta"), ams, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = buyer.get(QUEUE)
    assert response.content.decode().count('data-testid="request-row"') == 63


def test_request_update_saves_the_quantity_and_answers_with_the_row(buyer, ams):
    (request,) = requests_for(SupplierFactory(name="Alpha"), ams, 1)
    url = reverse("purchasing:request_update", args=[request.pk])
    response = buyer.post(url, {f"qty_{request.pk}": "48"}, **HTMX)
    assert response.status_code == 200 and f'id="request-{request.pk}"' in response.content.decode()
    assert 'value="48"' in response.content.decode()
    total = re.search(r'id="group-total-\d+"[^>]*hx-swap-oob="true">([^<]*)<strong>([^<]+)<', response.content.decode())
    assert total and "1 open request" in total.group(1) and total.group(2) == "€\xa0216,00"  # 48 x 4.50
    request.refresh_from_db()
    assert request.quantity == 48
    response = buyer.post(url, {f"qty_{request.pk}": "0"}, **HTMX)
    assert response.status_code == 200 and 'data-testid="row-error"' in response.content.decode()
    request.refresh_from_db()
    assert request.quantity == 48


def test_request_dismiss_removes_the_row(buyer, ams):
    (request,) = requests_for(SupplierFactory(name="Alpha"), ams, 1)
    response = buyer.post(reverse("purchasing:request_dismiss", args=[request.pk]), **HTMX)
    assert response.status_code == 200 and response.content == b""
    request.refresh_from_db()
    assert request.status == RequestStatus.DISMISSED


def test_requests_order_makes_drafts_with_the_typed_quantities(buyer, ams):
    alpha, beta = SupplierFactory(name="Alpha"), SupplierFactory(name="Beta")
    a1, a2 = requests_for(alpha, ams, 2)
    (b1,) = requests_for(beta, ams, 1)
    for r in (a1, a2, b1):
        SupplierProductFactory(supplier=r.supplier, product=r.product, unit_cost=Decimal("2.00"))
    response = buyer.post(
        reverse("purchasing:requests_order"),
        {"request": [a1.pk, b1.pk], f"qty_{a1.pk}": "30", f"qty_{a2.pk}": "99", f"qty_{b1.pk}": "5"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?status=draft")
    orders = {po.supplier.name: po for po in PurchaseOrder.objects.all()}
    assert {name: [(ln.sku, ln.quantity_ordered) for ln in po.lines.all()] for name, po in orders.items()} == {
        "Alpha": [(a1.product.sku, 30)],
        "Beta": [(b1.product.sku, 5)],
    }
    a2.refresh_from_db()
    assert a2.status == RequestStatus.OPEN  # not ticked


def test_requests_order_of_one_supplier_opens_the_draft(buyer, ams):
    (a1,) = requests_for(SupplierFactory(name="Alpha"), ams, 1)
    response = buyer.post(reverse("purchasing:requests_order"), {"request": [a1.pk], f"qty_{a1.pk}": "7"})
    po = PurchaseOrder.objects.get()
    assert response["Location"] == reverse("purchasing:po_detail", args=[po.number])


def test_requests_order_explains_what_is_wrong_and_creates_nothing(buyer, ams):
    orphan = ReorderRequestFactory(product=ProductFactory(sku="ORPHAN"), warehouse=ams, supplier=None)
    response = buyer.post(reverse("purchasing:requests_order"), {"request": [orphan.pk]})
    body = response.content.decode()
    assert response.status_code == 200 and "ORPHAN has no supplier; add a supplier product first." in body
    assert not PurchaseOrder.objects.exists()
    response = buyer.post(reverse("purchasing:requests_order"), {})
    assert "Tick the requests to order first." in response.content.decode()


def test_reorder_scan_run_raises_requests_for_low_levels(buyer, ams):
    from inventory.services import stock_level_configure

    product = ProductFactory(sku="LOW")
    stock_level_configure(stock_level_id=level(product, ams).pk, reorder_point=3, reorder_quantity=10)
    response = buyer.post(reverse("purchasing:scan"), follow=True)
    assert "The scan raised 1 new request." in response.content.decode()
    assert ReorderRequest.objects.get().product == product


# --- purchase orders ------------------------------------------------------------------------------


def test_po_list_filters_and_pages_with_few_queries(buyer, ams, django_assert_max_num_queries):
    alpha = SupplierFactory(name="Alpha")
    draft = draft_purchase_order([(ProductFactory(sku="D1"), 3, Decimal("1.00"))], warehouse=ams, supplier=alpha)
    sent = sent_purchase_order([(ProductFactory(sku="S1"), 3, Decimal("1.00"))], warehouse=ams)
    url = reverse("purchasing:po_list")
    with django_assert_max_num_queries(8):
        body = buyer.get(url).content.decode()
    assert draft.number in body and sent.number in body
    body = buyer.get(url, {"status": "sent"}, **HTMX).content.decode()
    assert sent.number in body and draft.number not in body and "<html" not in body
    body = buyer.get(url, {"supplier": alpha.pk}, **HTMX).content.decode()
    assert draft.number in body and sent.number not in body
    body = buyer.get(url, {"q": sent.number[-3:]}, **HTMX).content.decode()
    assert sent.number in body


def test_po_detail_shows_lines_totals_and_timeline_with_few_queries(buyer, ams, django_assert_max_num_queries):
    lines = [(ProductFactory(sku=f"L{n}"), n + 1, Decimal("1.25")) for n in range(12)]
    po = sent_purchase_order(lines, warehouse=ams)
    with django_assert_max_num_queries(12):
        response = buyer.get(reverse("purchasing:po_detail", args=[po.number]))
    body = response.content.decode()
    assert body.count('data-testid="po-line"') == 12
    assert "€\xa097,50" in body  # (1 + ... + 12) x 1.25
    assert "Sent; expected on" in body


def test_po_send_view_sends_and_reports_a_missing_email(buyer, ams):
    no_email = SupplierFactory(email="")
    po = draft_purchase_order([(ProductFactory(), 2, Decimal("1.00"))], warehouse=ams, supplier=no_email)
    url = reverse("purchasing:po_send", args=[po.number])
    body = buyer.post(url, follow=True).content.decode()
    assert "has no e-mail address" in body
    Supplier.objects.filter(pk=po.supplier_id).update(email="x@y.example")
    body = buyer.post(url, follow=True).content.decode()
    po.refresh_from_db()
    assert po.status == POStatus.SENT and "is sent" in body


def test_po_cancel_view_records_the_reason(buyer, ams):
    po = sent_purchase_order([(ProductFactory(), 2, Decimal("1.00"))], warehouse=ams)
    buyer.post(reverse("purchasing:po_cancel", args=[po.number]), {"reason": "double order"})
    po.refresh_from_db()
    assert po.status == POStatus.CANCELLED
    assert po.timeline.order_by("-id").first().message == "Cancelled: double order."


def test_po_line_update_changes_a_draft_line_in_place(buyer, ams):
    po = draft_purchase_order([(ProductFactory(sku="A"), 2, Decimal("1.50"))], warehouse=ams)
    line = po.lines.get()
    response = buyer.post(reverse("purchasing:po_line_update", args=[po.number, line.pk]), {"quantity": "10"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and 'id="po-lines"' in body and "€\xa015,00" in body and "<html" not in body
    response = buyer.post(reverse("purchasing:po_line_update", args=[po.number, line.pk]), {"quantity": "0"}, **HTMX)
    assert "cancel it instead" in response.content.decode()
    other = draft_purchase_order([(ProductFactory(sku="B"), 2, Decimal("1.50"))], warehouse=ams)
    wrong_order = reverse("purchasing:po_line_update", args=[other.number, line.pk])
    assert buyer.post(wrong_order, {"quantity": "3"}).status_code == 404


def test_po_pdf_is_served_once_rendered(buyer, ams, django_capture_on_commit_callbacks):
    po = draft_purchase_order([(ProductFactory(), 2, Decimal("1.00"))], warehouse=ams)
    url = reverse("purchasing:po_pdf", args=[po.number])
    assert buyer.get(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        buyer.post(reverse("purchasing:po_send", args=[po.number]))
    response = buyer.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# --- goods receipt --------------------------------------------------------------------------------


@pytest.fixture
def po(ams):
    mug = ProductFactory(sku="MUG", name="Mug", barcode="8712345678906")
    cup = ProductFactory(sku="CUP", name="Cup")
    return sent_purchase_order([(mug, 10, Decimal("1.00")), (cup, 4, Decimal("2.00"))], warehouse=ams)


def test_receipt_queue_lists_orders_waiting_for_goods_and_opens_a_scanned_number(clerk, po, ams):
    draft = draft_purchase_order([(ProductFactory(), 2, Decimal("1.00"))], warehouse=ams)
    body = clerk.get(reverse("purchasing:receipts")).content.decode()
    assert po.number in body and draft.number not in body
    response = clerk.get(reverse("purchasing:receipts"), {"q": po.number.lower()})
    assert response["Location"] == reverse("purchasing:receipt_create", args=[po.number])


def test_receipt_create_counts_scanned_items_and_keeps_typed_quantities(clerk, po):
    url = reverse("purchasing:receipt_create", args=[po.number])
    mug, cup = po.lines.get(sku="MUG"), po.lines.get(sku="CUP")
    form = clerk.get(url).content.decode()
    key = re.search(r'name="key" value="([0-9a-f]+)"', form).group(1)
    data = {"key": key, "action": "scan", "scan": "8712345678906", f"line_{cup.pk}": "3"}
    body = clerk.post(url, data, **HTMX).content.decode()
    assert "<html" not in body and 'id="receipt-form"' in body
    assert re.search(rf'name="line_{mug.pk}" value="1"', body) and re.search(rf'name="line_{cup.pk}" value="3"', body)
    assert "MUG: 1" in body
    data.update({f"line_{mug.pk}": "1", "scan": "cup"})
    body = clerk.post(url, data, **HTMX).content.decode()
    assert re.search(rf'name="line_{cup.pk}" value="4"', body)
    data["scan"] = "NOPE"
    body = clerk.post(url, data, **HTMX).content.decode()
    assert f"No line of {po.number} has the barcode or SKU “NOPE”." in body
    assert not StockMovement.objects.filter(kind="receipt", reference=po.number).exists()


def test_receipt_create_posts_a_partial_receipt_into_stock(clerk, po, ams):
    url = reverse("purchasing:receipt_create", args=[po.number])
    mug = po.lines.get(sku="MUG")
    response = clerk.post(url, {"key": "k1", "action": "post", f"line_{mug.pk}": "6"}, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("purchasing:po_detail", args=[po.number])
    po.refresh_from_db()
    assert po.status == POStatus.PARTIALLY_RECEIVED and level(mug.product, ams).on_hand == 6
    again = clerk.post(url, {"key": "k1", "action": "post", f"line_{mug.pk}": "6"})  # the same form twice
    assert again.status_code == 302 and level(mug.product, ams).on_hand == 6


def test_receipt_create_refuses_over_receipt_on_the_line_and_books_nothing(clerk, po, ams):
    url = reverse("purchasing:receipt_create", args=[po.number])
    mug, cup = po.lines.get(sku="MUG"), po.lines.get(sku="CUP")
    response = clerk.post(url, {"key": "k2", "action": "post", f"line_{mug.pk}": "50", f"line_{cup.pk}": "4"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="line-error"' in body
    assert "Line 1 (CUP)" not in body and "(MUG): 50 is too many" in body
    assert level(mug.product, ams).on_hand == 0 and level(cup.product, ams).on_hand == 0
    po.refresh_from_db()
    assert po.status == POStatus.SENT


def test_receipt_create_for_a_received_order_says_there_is_nothing_to_receive(clerk, ams):
    po = draft_purchase_order([(ProductFactory(), 2, Decimal("1.00"))], warehouse=ams)
    body = clerk.get(reverse("purchasing:receipt_create", args=[po.number])).content.decode()
    assert 'data-testid="not-receivable"' in body


# --- suppliers ------------------------------------------------------------------------------------


def test_supplier_create_checks_fields_and_saves(buyer):
    url = reverse("purchasing:supplier_create")
    data = {"name": "Zaanse Snoepfabriek", "email": "verkoop@zaanse.example", "country": "NL", "postal_code": "1506ab",
            "vat_id": "NL000099998B56", "payment_terms_days": "30", "lead_time_days": "2", "active": "on"}  # fmt: skip
    body = buyer.post(url, data).content.decode()
    assert "Not a valid EU VAT id" in body and not Supplier.objects.exists()
    data["vat_id"] = "NL000099998B57"
    response = buyer.post(url, data)
    supplier = Supplier.objects.get()
    assert response["Location"] == reverse("purchasing:supplier_detail", args=[supplier.pk])
    assert (supplier.postal_code, supplier.vat_id) == ("1506 AB", "NL000099998B57")


def test_supplier_edit_changes_fields(buyer):
    supplier = SupplierFactory(name="Old name")
    url = reverse("purchasing:supplier_edit", args=[supplier.pk])
    assert 'value="Old name"' in buyer.get(url).content.decode()
    data = {"name": "New name", "country": "DE", "payment_terms_days": "14", "lead_time_days": "3", "active": "on"}
    buyer.post(url, data)
    supplier.refresh_from_db()
    assert (supplier.name, supplier.country, supplier.lead_time_days) == ("New name", "DE", 3)


def test_supplier_product_save_by_sku_moves_the_preferred_mark(buyer):
    product = ProductFactory(sku="MUG")
    old = SupplierProductFactory(product=product, preferred=True)
    supplier = SupplierFactory(name="New")
    url = reverse("purchasing:supplier_product_save", args=[supplier.pk])
    data = {"sku": "MUG", "unit_cost": "1.10", "min_order_quantity": "12", "pack_size": "6", "preferred": "on"}
    response = buyer.post(url, data, **HTMX)
    assert response.status_code == 200 and 'id="supplier-products"' in response.content.decode()
    offer = SupplierProduct.objects.get(supplier=supplier)
    assert (offer.unit_cost, offer.min_order_quantity, offer.pack_size) == (Decimal("1.10"), 12, 6)
    assert offer.preferred is True
    old.refresh_from_db()
    assert old.preferred is False
    body = buyer.post(url, {**data, "sku": "NOPE"}, **HTMX).content.decode()
    assert "No product with SKU &#x27;NOPE&#x27;." in body
    buyer.post(reverse("purchasing:supplier_product_remove", args=[supplier.pk, offer.pk]), **HTMX)
    assert not SupplierProduct.objects.filter(pk=offer.pk).exists()


def test_admin_shows_purchasing_read_only(admin_client, ams):
    po = sent_purchase_order([(ProductFactory(sku="ADM"), 2, Decimal("1.00"))], warehouse=ams)
    for name in ["supplier", "supplierproduct", "reorderrequest", "purchaseorder", "goodsreceipt"]:
        assert admin_client.get(reverse(f"admin:purchasing_{name}_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:purchasing_purchaseorder_change", args=[po.pk]))
    assert page.status_code == 200 and "ADM" in page.content.decode()
    assert admin_client.get(reverse("admin:purchasing_purchaseorder_add")).status_code == 403
