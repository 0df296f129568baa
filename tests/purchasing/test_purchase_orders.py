"""Purchase orders: drafted from requests (one per supplier and warehouse), edited while draft,
sent (expected receipts in inventory, a PDF e-mailed once by a worker), cancelled."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from inventory.models import ExpectedReceipt
from oms import deliver_once, invariants
from oms.errors import Conflict, InvalidTransition, MultipleErrors, ValidationFailed
from purchasing.models import POStatus, PurchaseOrderDocument, ReorderRequest, RequestStatus
from purchasing.services import (
    purchase_order_cancel,
    purchase_order_document_send,
    purchase_order_line_set_quantity,
    purchase_order_send,
    purchase_orders_create_from_requests,
    reorder_request_dismiss,
)
from purchasing.services.purchase_orders import PO_EMAIL
from purchasing.tasks import purchase_order_document_send as purchase_order_document_send_task
from tests.factories.inventory import ProductFactory, WarehouseFactory
from tests.factories.purchasing import (
    ReorderRequestFactory,
    SupplierFactory,
    SupplierProductFactory,
    draft_purchase_order,
    sent_purchase_order,
)
from tests.support.pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def ams():
    return WarehouseFactory(code="AMS", name="Amsterdam", priority=10)


@pytest.fixture
def rtm():
    return WarehouseFactory(code="RTM", name="Rotterdam", priority=20)


@pytest.fixture
def buyer(make_user):
    return make_user("purchasing")


def expected(po):
    return sorted(
        (e.product.sku, e.warehouse.code, e.quantity, e.expected_date)
        for e in ExpectedReceipt.objects.filter(reference=po.number).select_related("product", "warehouse")
    )


# --- drafts from requests -------------------------------------------------------------------------


def test_purchase_orders_create_from_requests_makes_one_draft_per_supplier_and_warehouse(ams, rtm, buyer):
    # given: supplier X has requests for AMS (two products) and RTM, supplier Y one for AMS
    x, y = SupplierFactory(name="X", lead_time_days=3), SupplierFactory(name="Y", lead_time_days=10)
    mug, cup = ProductFactory(sku="MUG", name="Mug"), ProductFactory(sku="CUP", name="Cup")
    SupplierProductFactory(supplier=x, product=mug, unit_cost=Decimal("1.25"), supplier_sku="X-MUG", lead_time_days=4)
    SupplierProductFactory(supplier=x, product=cup, unit_cost=Decimal("0.99"), lead_time_days=None)
    SupplierProductFactory(supplier=y, product=cup, unit_cost=Decimal("0.80"), preferred=False)
    requests = [
        ReorderRequestFactory(product=mug, warehouse=ams, supplier=x, suggested_quantity=12),
        ReorderRequestFactory(product=cup, warehouse=ams, supplier=x, suggested_quantity=7),
        ReorderRequestFactory(product=mug, warehouse=rtm, supplier=x, suggested_quantity=5),
    ]
    y_request = ReorderRequestFactory(product=ProductFactory(sku="PLATE"), warehouse=ams, supplier=y)
    SupplierProductFactory(supplier=y, product=y_request.product, unit_cost=Decimal("3.00"))
    monday = date(2026, 11, 23)
    # when: the buyer orders the open ones, changing the cup's quantity
    orders = purchase_orders_create_from_requests(
        request_ids=[requests[0].pk, requests[1].pk, requests[2].pk, y_request.pk],
        quantities={requests[1].pk: 10},
        user=buyer,
        today=monday,
    )
    # then
    summary = [
        (
            po.supplier.name,
            po.warehouse.code,
            [(ln.sku, ln.quantity_ordered, ln.unit_cost) for ln in po.lines.all()],
        )
        for po in orders
    ]
    assert summary == [
        ("X", "AMS", [("CUP", 10, Decimal("0.99")), ("MUG", 12, Decimal("1.25"))]),
        ("X", "RTM", [("MUG", 5, Decimal("1.25"))]),
        ("Y", "AMS", [("PLATE", 12, Decimal("3.00"))]),
    ]
    assert all(re.fullmatch(r"PO-\d{6}", po.number) and po.status == "draft" for po in orders)
    assert len({po.number for po in orders}) == 3
    assert orders[0].total_amount == Decimal("24.90")  # 10 x 0.99 + 12 x 1.25
    assert orders[0].expected_date == date(2026, 11, 27)  # the longest lead time: the mug's 4 days (cup: X's 3)
    assert orders[0].lines.get(sku="MUG").supplier_sku == "X-MUG"
    for request in requests[:3]:
        request.refresh_from_db()
        assert request.status == RequestStatus.ORDERED and request.purchase_order is not None
    assert ReorderRequest.objects.get(pk=requests[1].pk).quantity == 10
    assert orders[0].timeline.get().kind == "created"


def test_purchase_orders_create_from_requests_refuses_requests_not_open_or_without_supplier(ams, buyer):
    ordered = ReorderRequestFactory(warehouse=ams)
    no_supplier = ReorderRequestFactory(warehouse=ams, supplier=None)
    fine = ReorderRequestFactory(warehouse=ams)
    reorder_request_dismiss(request_id=ordered.pk, user=buyer)
    with pytest.raises(MultipleErrors) as exc:
        purchase_orders_create_from_requests(request_ids=[ordered.pk, no_supplier.pk, fine.pk], user=buyer)
    codes = sorted(e.code for e in exc.value.errors)
    assert codes == ["no_supplier", "request_not_open"]
    fine.refresh_from_db()
    assert fine.status == RequestStatus.OPEN  # nothing was created
    with pytest.raises(ValidationFailed) as exc:
        purchase_orders_create_from_requests(request_ids=[], user=buyer)
    assert exc.value.code == "nothing_selected"


def test_purchase_order_line_set_quantity_changes_a_draft_and_its_total(ams, buyer):
    po = draft_purchase_order(
        [(ProductFactory(sku="A"), 10, Decimal("1.50")), (ProductFactory(sku="B"), 4, Decimal("2.00"))], warehouse=ams
    )
    line_a, line_b = po.lines.order_by("line_no")
    purchase_order_line_set_quantity(line_id=line_a.pk, quantity=20, user=buyer)
    po.refresh_from_db()
    assert po.total_amount == Decimal("38.00")
    purchase_order_line_set_quantity(line_id=line_b.pk, quantity=0, user=buyer)
    po.refresh_from_db()
    assert (po.lines.count(), po.total_amount) == (1, Decimal("30.00"))
    with pytest.raises(Conflict) as exc:
        purchase_order_line_set_quantity(line_id=line_a.pk, quantity=0, user=buyer)
    assert exc.value.code == "last_line"
    purchase_order_send(purchase_order_id=po.pk, user=buyer)
    with pytest.raises(InvalidTransition):
        purchase_order_line_set_quantity(line_id=line_a.pk, quantity=5, user=buyer)


# --- sending ----------------------------------------------------------------------------------------


def test_purchase_order_send_records_expected_receipts_and_emails_the_pdf_once(
    ams, buyer, django_capture_on_commit_callbacks
):
    # given
    supplier = SupplierFactory(name="Zaanse Snoepfabriek", email="verkoop@zaanse.example", lead_time_days=2)
    po = draft_purchase_order(
        [(ProductFactory(sku="A"), 10, Decimal("1.50")), (ProductFactory(sku="B"), 4, Decimal("2.00"))],
        warehouse=ams,
        supplier=supplier,
    )
    # when: sending queues the document task after commit (Celery runs it inline in tests)
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_send(purchase_order_id=po.pk, user=buyer)
    # then
    po.refresh_from_db()
    today = timezone.localdate()
    assert (po.status, po.order_date, po.sent_by) == (POStatus.SENT, today, buyer)
    assert expected(po) == [("A", "AMS", 10, po.expected_date), ("B", "AMS", 4, po.expected_date)]
    (message,) = mail.outbox
    assert message.to == ["verkoop@zaanse.example"] and po.number in message.subject
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == (f"{po.number}.pdf", "application/pdf") and content.startswith(b"%PDF")
    doc = PurchaseOrderDocument.objects.get(purchase_order=po)
    assert doc.emailed_to == "verkoop@zaanse.example" and doc.emailed_at is not None
    assert [e.kind for e in po.timeline.order_by("id")] == ["created", "sent", "emailed"]
    # and the task running again (a redelivery) sends nothing more
    purchase_order_document_send_task.apply(args=[po.pk])
    assert purchase_order_document_send(purchase_order_id=po.pk) is False
    assert len(mail.outbox) == 1
    assert invariants.violations() == {}


def test_purchase_order_pdf_shows_supplier_lines_and_totals(ams, buyer):
    supplier = SupplierFactory(
        name="Heli Süßwaren GmbH & Co. KG", contact_name="Petra Winkler", address="Tiergartenstraße 5",
        postal_code="10785", city="Berlin", country="DE",
    )  # fmt: skip
    lines = [
        (ProductFactory(sku="85123A", name="White Hanging Heart T-Light Holder"), 24, Decimal("1.85")),
        (ProductFactory(sku="22423", name="Regency Cakestand 3 Tier"), 6, Decimal("7.40")),
    ]
    po = sent_purchase_order(lines, warehouse=ams, supplier=supplier, user=buyer)
    purchase_order_document_send(purchase_order_id=po.pk)
    text = pdf_text(bytes(PurchaseOrderDocument.objects.get(purchase_order=po).pdf))
    flat = " ".join(text.split())
    assert f"Purchase order {po.number}" in flat
    assert "Heli Süßwaren GmbH & Co. KG" in flat and "Attn. Petra Winkler" in flat and "10785 Berlin DE" in flat
    assert "SUPPLIER" in flat and "DELIVER TO" in flat and "warehouse Amsterdam" in flat and "(AMS)" in flat
    assert re.search(r"S-85123A\s+85123A\s+White Hanging Heart T-Light Holder\s+24\s+€ 1,85\s+€ 44,40", flat)
    assert re.search(r"S-22423\s+22423\s+Regency Cakestand 3 Tier\s+6\s+€ 7,40\s+€ 44,40", flat)
    assert re.search(r"Total excluding VAT \(2 lines\)\s+30\s+€ 88,80", flat)
    assert f"Delivery expected {po.expected_date:%d-%m-%Y}" in flat


def test_purchase_order_send_refuses_a_supplier_without_email_and_a_second_send(ams, buyer):
    po = draft_purchase_order(
        [(ProductFactory(), 1, Decimal("1.00"))], warehouse=ams, supplier=SupplierFactory(email="")
    )
    with pytest.raises(ValidationFailed) as exc:
        purchase_order_send(purchase_order_id=po.pk, user=buyer)
    assert exc.value.code == "supplier_without_email"
    po.supplier.email = "a@b.example"
    po.supplier.save(update_fields=["email"])
    purchase_order_send(purchase_order_id=po.pk, user=buyer)
    with pytest.raises(InvalidTransition):
        purchase_order_send(purchase_order_id=po.pk, user=buyer)


def test_purchase_order_document_send_releases_its_claim_when_the_mail_server_fails(ams, buyer, settings):
    po = sent_purchase_order([(ProductFactory(), 1, Decimal("1.00"))], warehouse=ams, user=buyer)
    settings.EMAIL_BACKEND = "tests.purchasing.failing_mail.Backend"
    with pytest.raises(OSError):
        purchase_order_document_send(purchase_order_id=po.pk)
    doc = PurchaseOrderDocument.objects.get(purchase_order=po)
    assert (deliver_once.state_of(PO_EMAIL, po.pk).claimed_until, doc.emailed_at) == (None, None)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert purchase_order_document_send(purchase_order_id=po.pk) is True
    assert len(mail.outbox) == 1


# --- cancelling -------------------------------------------------------------------------------------


def test_purchase_order_cancel_clears_expected_receipts_and_dismisses_its_requests(ams, buyer):
    po = sent_purchase_order([(ProductFactory(sku="A"), 10, Decimal("1.50"))], warehouse=ams, user=buyer)
    assert expected(po)
    purchase_order_cancel(purchase_order_id=po.pk, user=buyer, reason="supplier out of stock")
    po.refresh_from_db()
    assert po.status == POStatus.CANCELLED and expected(po) == []
    assert list(po.requests.values_list("status", flat=True)) == [RequestStatus.DISMISSED]
    assert po.timeline.order_by("-id").first().message == "Cancelled: supplier out of stock."
    with pytest.raises(InvalidTransition):
        purchase_order_cancel(purchase_order_id=po.pk, user=buyer)
    assert invariants.violations() == {}


def test_purchase_order_documents_sweep_sends_what_a_lost_task_left_behind(ams, buyer):
    # given: sent, but the after-commit task never ran (the broker was down); five minutes ago
    po = sent_purchase_order([(ProductFactory(), 2, Decimal("1.00"))], warehouse=ams, user=buyer)
    po.__class__.objects.filter(pk=po.pk).update(sent_at=timezone.now() - timezone.timedelta(minutes=5))
    assert not PurchaseOrderDocument.objects.filter(purchase_order=po).exists()
    # when: the quarter-hourly beat task runs (Celery inline in tests)
    from purchasing.tasks import quarter_hourly

    result = quarter_hourly.apply().get()
    # then
    assert result["documents_queued"] == 1
    assert len(mail.outbox) == 1 and PurchaseOrderDocument.objects.get(purchase_order=po).emailed_at
    assert quarter_hourly.apply().get()["documents_queued"] == 0
