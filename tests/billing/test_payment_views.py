"""The order panel, the customer panel's payments and the counter screens: what a user sees,
what the actions do, fragments vs pages, query budgets."""

from decimal import Decimal

import pytest

from billing.models import Invoice, Payment
from billing.services import payment_record
from oms.roles import Role
from orders.models import Order
from orders.services import order_record_shipment
from tests.factories.payments import dispatch_pending, place

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def acc(role_client):
    return role_client(Role.ACCOUNTING)


def _html(response) -> str:
    return response.content.decode()


def test_order_panel_shows_invoices_payments_and_actions_by_role(shop, acc, role_client, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    payment_record(order=order, method="ideal", amount=order.gross_amount, reference="tr_PANEL", user=None)
    dispatch_pending()  # the worker invoices the order paid in full
    url = f"/billing/orders/{order.pk}/panel/"
    html = _html(acc.get(url, headers=HX))
    invoice = Invoice.objects.get(order=order)
    assert 'id="billing-order-panel"' in html and "<html" not in html
    assert invoice.number in html and "tr_PANEL" in html and 'data-testid="payment-form"' in html
    assert 'data-testid="refund-submit"' in html
    # customer service sees the same facts, without the accounting actions
    cs_html = _html(role_client(Role.CUSTOMER_SERVICE).get(url, headers=HX))
    assert invoice.number in cs_html and "payment-form" not in cs_html and "refund-submit" not in cs_html
    assert acc.get("/billing/orders/999999/panel/").status_code == 404


def test_order_panel_query_count_does_not_grow_with_invoices_and_payments(shop, acc, no_delivery):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = place(shop.business, ("MUG-RED", 6), method="on_account")
    url = f"/billing/orders/{order.pk}/panel/"
    with CaptureQueriesContext(connection) as few:
        acc.get(url, headers=HX)
    line = order.lines.get()
    for n in range(3):
        order_record_shipment(order=Order.objects.get(pk=order.pk), lines=[(line.pk, 2)], user=None)
        acc.post(f"/billing/orders/{order.pk}/invoice/", {"basis": "shipped"}, headers=HX)
        payment_record(order=order, method="bank_transfer", amount="1.00", reference=f"B{n}", user=None)
    with CaptureQueriesContext(connection) as many:
        html = _html(acc.get(url, headers=HX))
    assert html.count('data-testid="order-invoice"') == 3 and html.count('data-testid="order-payment"') == 3
    assert len(many.captured_queries) == len(few.captured_queries)


def test_order_invoice_action_invoices_shipped_then_says_nothing_is_left(shop, acc, no_delivery):
    order = place(shop.business, ("MUG-RED", 3), method="on_account")
    order_record_shipment(order=order, lines=[(order.lines.get().pk, 2)], user=None)
    response = acc.post(f"/billing/orders/{order.pk}/invoice/", {"basis": "shipped"}, headers=HX)
    invoice = Invoice.objects.get(order=order)
    assert response.status_code == 200 and f"Invoice {invoice.number} issued" in _html(response)
    assert [ln.quantity for ln in invoice.lines.filter(kind="goods")] == [2]
    again = acc.post(f"/billing/orders/{order.pk}/invoice/", {"basis": "shipped"}, headers=HX)
    assert "is invoiced" in _html(again) and Invoice.objects.filter(order=order).count() == 1
    # without htmx: POST, then back to the panel
    response = acc.post(f"/billing/orders/{order.pk}/invoice/", {"basis": "ordered"})
    assert response.status_code == 302 and Invoice.objects.filter(order=order).count() == 2


def test_order_payment_action_records_and_shows_errors_in_the_panel(
    shop, acc, no_delivery, django_capture_on_commit_callbacks
):
    order = place(shop.consumer, ("BOOK-1", 1))
    data = {"payment-method": "ideal", "payment-amount": str(order.gross_amount), "payment-reference": "tr_FORM"}
    # tasks inline (the tests' default, the quick start): the commit's callbacks run the
    # payment.received handler in the request, which invoices the order paid in full
    with django_capture_on_commit_callbacks(execute=True):
        response = acc.post(f"/billing/orders/{order.pk}/payments/", data, headers=HX)
    assert response.status_code == 200 and "Recorded iDEAL" in _html(response)
    assert Invoice.objects.get(order=order).status == "paid"
    # a refund above what was paid: refused, the form says why, with status 200 for htmx
    payment = Payment.objects.get(reference="tr_FORM")
    refund_url = f"/billing/payments/{payment.pk}/refund/"
    response = acc.post(refund_url, {"amount": "999.00", "reference": "re_X"}, headers=HX)
    assert response.status_code == 200 and "can still be refunded" in _html(response)
    response = acc.post(refund_url, {"amount": "5.00", "reference": "re_X"}, headers=HX)
    assert "Refunded 5.00" in _html(response)
    assert Payment.objects.get(reference="re_X").amount == Decimal("-5.00")
    # a payment form with nonsense: field errors, nothing recorded
    bad = acc.post(f"/billing/orders/{order.pk}/payments/", {**data, "payment-amount": "abc"}, headers=HX)
    assert bad.status_code == 200 and "Enter a number" in _html(bad) and Payment.objects.count() == 2


def test_customer_panel_shows_credit_and_records_an_account_payment(shop, acc, no_delivery):
    order = place(shop.business, ("MUG-RED", 2), method="on_account")
    order_record_shipment(order=order, lines=[(order.lines.get().pk, 2)], user=None)
    acc.post(f"/billing/orders/{order.pk}/invoice/", {"basis": "shipped"}, headers=HX)
    invoice = Invoice.objects.get(order=order)
    data = {
        "payment-method": "bank_transfer",
        "payment-amount": str(invoice.gross_amount + Decimal("10.00")),
        "payment-reference": "STMT-2026-11-30-4",
    }
    response = acc.post(f"/billing/customers/{shop.business.pk}/payments/", data, headers=HX)
    html = _html(response)
    assert response.status_code == 200 and 'id="billing-customer-panel"' in html
    assert "STMT-2026-11-30-4" in html and 'data-testid="customer-credit"' in html and "10,00" in html
    invoice.refresh_from_db()
    assert invoice.status == "paid" and Order.objects.get(pk=order.pk).amount_paid == invoice.gross_amount


def test_invoice_detail_shows_what_paid_it(shop, acc, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    payment_record(order=order, method="card", amount=order.gross_amount, reference="ch_DETAIL", user=None)
    dispatch_pending()
    invoice = Invoice.objects.get(order=order)
    html = _html(acc.get(f"/billing/invoices/{invoice.number}/"))
    assert 'data-testid="invoice-payments"' in html and "ch_DETAIL" in html and order.number in html


# --- counter ---------------------------------------------------------------------------------------


def test_counter_scans_by_barcode_and_sku_and_prices_the_sale(shop, role_client):
    cs = role_client(Role.CUSTOMER_SERVICE)
    page = cs.get("/billing/counter/")
    assert page.status_code == 200 and 'data-testid="counter-scan"' in _html(page)
    # Enter on a barcode adds the book; on "2*mug-red" two mugs (any letter case)
    first = cs.get("/billing/counter/", {"scan": "8712345678906"}, headers=HX)
    assert "<html" not in _html(first) and 'id="counter-sale"' in _html(first)
    assert first["HX-Replace-Url"] == "/billing/counter/?sku=BOOK-1&qty=1"
    second = cs.get("/billing/counter/", {"sku": "BOOK-1", "qty": "1", "scan": "2*mug-red"}, headers=HX)
    html = _html(second)
    assert html.count('data-testid="counter-line"') == 2
    # at shelf prices incl. VAT (a walk-in consumer): 2 x 9.99 + 21.80
    assert 'data-testid="counter-total">€ 41,78' in html.replace("\u00a0", " ")
    assert 'data-testid="counter-price">€ 9,99' in html.replace("\u00a0", " ") and "Price incl. VAT" in html
    # an unknown code says so and keeps the sale
    third = cs.get("/billing/counter/", {"sku": ["BOOK-1", "MUG-RED"], "qty": ["1", "2"], "scan": "NOPE"}, headers=HX)
    assert "No product with barcode or SKU &#x27;NOPE&#x27;" in _html(third)
    assert _html(third).count('data-testid="counter-line"') == 2
    # removing a line
    fourth = cs.get("/billing/counter/", {"sku": ["BOOK-1", "MUG-RED"], "qty": ["1", "2"], "remove": "0"}, headers=HX)
    assert _html(fourth).count('data-testid="counter-line"') == 1


def test_counter_cash_shows_the_change_and_checkout_shows_the_receipt(shop, role_client, no_delivery):
    cs = role_client(Role.CUSTOMER_SERVICE)
    cart = {"sku": ["MUG-RED", "BOOK-1"], "qty": ["2", "1"], "method": "cash", "tendered": "50.00"}
    html = _html(cs.get("/billing/counter/", cart, headers=HX)).replace("\u00a0", " ")
    assert 'data-testid="counter-change">Change: <strong>€ 8,22' in html
    response = cs.post("/billing/counter/checkout/", cart, headers=HX)
    invoice = Invoice.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/billing/counter/receipt/{invoice.number}/?tendered=50.00"
    receipt = _html(cs.get(response["HX-Redirect"])).replace("\u00a0", " ")
    assert 'data-testid="receipt-change">€ 8,22' in receipt and 'data-testid="receipt-total">€ 41,78' in receipt
    assert "Prices incl. VAT per line" in receipt
    assert Order.objects.get().status == "completed"


def test_counter_checkout_errors_stay_on_the_counter(shop, role_client):
    cs = role_client(Role.CUSTOMER_SERVICE)
    empty = cs.post("/billing/counter/checkout/", {"method": "pin"}, headers=HX)
    assert empty.status_code == 200 and "Scan at least one product" in _html(empty)
    too_many = cs.post("/billing/counter/checkout/", {"sku": "BOOK-1", "qty": "50", "method": "pin"}, headers=HX)
    assert too_many.status_code == 200 and 'data-testid="counter-error"' in _html(too_many)
    unknown = cs.post("/billing/counter/checkout/", {"sku": "BOOK-1", "qty": "1", "customer": "C-999999"}, headers=HX)
    assert "No customer with that number" in _html(unknown)
    assert not Order.objects.exclude(status="cancelled").exists()
