"""What recording a payment and completing a counter sale cost in queries (issue 19: at most 15
per payment), and that the cost does not grow with the order's lines or the invoices paid.

Every statement counts, including the savepoints the test's own transaction turns the use case's
transaction into (in production one of them is the COMMIT)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice, InvoiceStatus
from billing.services import counter_sale, order_invoice, payment_record
from oms.invariants import violations
from orders.models import Order
from tests.factories.inventory import ProductFactory, stock
from tests.factories.payments import dispatch_pending, place

pytestmark = pytest.mark.django_db

PAYMENT_LIMIT = 15  # issue 19
# A prepaid order paid in full costs a payment's worth too: its invoice is issued by the
# payment.received handler after commit (on the worker), not in the payment's transaction.
COUNTER_SALE = 37


@pytest.fixture
def four_products(shop):
    products = [shop.mug, shop.book]
    for index in range(2):
        product = ProductFactory(sku=f"CUP-{index}", list_price=Decimal("3.10"), vat_category="high")
        stock(product, shop.ams, 50)
        products.append(product)
    return [p.sku for p in products]


def queries(call) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return len(captured.captured_queries), result


def on_account_invoice(shop, *skus):
    order = place(shop.business, *((sku, 1) for sku in skus), method="on_account")
    dispatch_pending()
    return order_invoice(order_id=order.pk, basis="ordered", user=None)


def test_a_bank_transfer_paying_open_invoices_costs_at_most_15_queries_however_many(shop, no_delivery):
    # given a business with one open invoice, and later with three more (of three orders)
    first = on_account_invoice(shop, "MUG-RED", "BOOK-1")
    one, _ = queries(
        lambda: payment_record(
            customer=shop.business, method="bank_transfer", amount=first.gross_amount, reference="NL-1", user=None
        )
    )
    three = [
        on_account_invoice(shop, "MUG-RED"),
        on_account_invoice(shop, "BOOK-1"),
        on_account_invoice(shop, "MUG-RED"),
    ]
    total = sum((invoice.gross_amount for invoice in three), Decimal("0.00"))
    # when a transfer pays them all
    many, _ = queries(
        lambda: payment_record(
            customer=shop.business, method="bank_transfer", amount=total, reference="NL-2", user=None
        )
    )
    # then each costs the same, within the limit, and every invoice and order is paid
    assert one == many <= PAYMENT_LIMIT, (one, many)
    assert set(Invoice.objects.filter(pk__in=[first.pk, *(i.pk for i in three)]).values_list("status", flat=True)) == {
        InvoiceStatus.PAID
    }
    orders = Order.objects.filter(pk__in=[i.order_id for i in [first, *three]])
    assert all(order.amount_paid == order.gross_amount for order in orders)
    assert violations() == {}


def test_a_partial_payment_of_a_prepaid_order_costs_at_most_15_queries_whatever_its_lines(
    shop, four_products, no_delivery
):
    warm = place(shop.consumer, ("BOOK-1", 1))
    small = place(shop.consumer, ("MUG-RED", 1))
    large = place(shop.consumer, *((sku, 2) for sku in four_products))
    dispatch_pending()
    # a process's first payment also fills its caches (the ledger lock, the accounts, the prepared
    # table-stamps read), so whether it is cold depends on the tests that ran before in the process:
    # it keeps within the limit, and the two compared are both warm
    first = queries(lambda: payment_record(order=warm, method="ideal", amount="5.00", reference="tr_warm", user=None))
    counts = [
        queries(lambda o=o: payment_record(order=o, method="ideal", amount="5.00", reference=f"tr_{o.pk}", user=None))[
            0
        ]
        for o in (small, large)
    ]
    assert first[0] <= PAYMENT_LIMIT, first[0]
    assert counts[0] == counts[1] <= PAYMENT_LIMIT, counts
    assert not Invoice.objects.filter(order__in=[small, large]).exists()  # not paid in full: no invoice yet
    assert Order.objects.get(pk=large.pk).amount_paid == Decimal("5.00")
    assert violations() == {}


def test_a_prepaid_order_paid_in_full_costs_at_most_15_queries_and_is_invoiced_right_after(
    shop, four_products, no_delivery
):
    warm = place(shop.consumer, ("BOOK-1", 1))
    small = place(shop.consumer, ("MUG-RED", 1))
    large = place(shop.consumer, *((sku, 2) for sku in four_products))
    dispatch_pending()
    # the year's invoice counter exists (the year's first invoice costs two statements more)
    payment_record(order=warm, method="ideal", amount=warm.gross_amount, reference="tr_warm", user=None)
    dispatch_pending()
    counts, handler_counts = [], []
    for order in (small, large):
        count, result = queries(
            lambda o=order: payment_record(
                order=o, method="ideal", amount=o.gross_amount, reference=f"tr_{o.pk}", user=None
            )
        )
        counts.append(count)
        # the request recorded the payment: paid in full, the invoice not yet issued
        assert Order.objects.get(pk=order.pk).amount_paid == order.gross_amount
        assert not Invoice.objects.filter(order=order).exists()
        # the worker's handler issues it right after, paid from the payment's credit
        handler_counts.append(queries(dispatch_pending)[0])
        invoice = Invoice.objects.get(order=order)
        assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, order.gross_amount)
        result.payment.refresh_from_db()
        assert result.payment.amount_allocated == order.gross_amount
    assert counts[0] == counts[1] <= PAYMENT_LIMIT, counts
    assert handler_counts[0] == handler_counts[1], handler_counts  # the worker's side: whatever the lines
    found = violations()
    assert found == {}, found


def test_a_counter_sale_costs_the_same_for_one_line_as_for_four(shop, four_products, no_delivery):
    counter_sale(lines=[{"sku": "MUG-RED", "quantity": 1}], method="pin", user=None)  # the walk-in customer exists
    one, sale = queries(
        lambda: counter_sale(lines=[{"sku": "BOOK-1", "quantity": 1}], method="cash", tendered="50", user=None)
    )
    four, big = queries(
        lambda: counter_sale(
            lines=[{"sku": sku, "quantity": 1} for sku in four_products], method="cash", tendered="100", user=None
        )
    )
    assert one == four == COUNTER_SALE, (one, four)
    for done in (sale, big):
        assert done.order.status == "completed" and done.invoice.status == InvoiceStatus.PAID
        assert Order.objects.get(pk=done.order.pk).status == "completed"
    assert violations() == {}
