"""The counter sale: a store order placed, its stock issued, booked as a cash sale, completed."""

from decimal import Decimal

import pytest

from billing import accounts
from billing.models import Invoice, JournalLine, Payment
from billing.services import counter_sale
from billing.services.counter import WALK_IN_REF
from inventory.models import StockLevel
from oms.errors import InsufficientStock, ValidationFailed
from oms.invariants import violations
from oms.models import OutboxEvent
from orders.models import Allocation, Order, OrderEvent, OrderLine, OrderStatus
from tests.factories.payments import dispatch_pending

pytestmark = pytest.mark.django_db


def level(product, warehouse):
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def test_counter_sale_cash_is_booked_as_a_cash_sale_and_completes_the_order(shop, no_delivery):
    # when two mugs (9.99 on the shelf) and a book (21.80) are sold for cash, 50.00 handed over
    sale = counter_sale(
        lines=[{"sku": "MUG-RED", "quantity": 2}, {"sku": "BOOK-1", "quantity": 1}],
        method="cash",
        tendered="50.00",
        user=None,
    )
    # then the store order is completed, without shipping, and the stock left the shop
    order = Order.objects.get(pk=sale.order.pk)
    assert (order.channel, order.status, order.shipping_amount) == ("store", OrderStatus.COMPLETED, 0)
    assert order.amount_paid == order.gross_amount == Decimal("41.78")
    assert (level(shop.mug, shop.ams).on_hand, level(shop.mug, shop.ams).reserved) == (18, 0)
    assert level(shop.book, shop.ams).on_hand == 9
    # and the change is what was handed over less the total
    assert sale.change == Decimal("8.22")
    # and the invoice is paid, booked as a cash sale: cash debited, no receivable
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == "paid" and invoice.customer.external_ref == WALK_IN_REF
    # at shelf prices: the total is their sum, the VAT in it extracted per rate (issue 15)
    assert invoice.prices_include_vat and invoice.gross_amount == Decimal("19.98") + Decimal("21.80")
    assert {(v.rate, v.net_amount, v.vat_amount) for v in invoice.vat_lines.all()} == {
        (Decimal("21.00"), Decimal("16.51"), Decimal("3.47")),
        (Decimal("9.00"), Decimal("20.00"), Decimal("1.80")),
    }
    posted = {(ln.account.code, ln.debit, ln.credit) for ln in JournalLine.objects.filter(entry=invoice.journal_entry)}
    assert (accounts.CASH, Decimal("41.78"), Decimal("0.00")) in posted
    assert not JournalLine.objects.filter(account__code=accounts.RECEIVABLES).exists()
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.amount, payment.reference) == ("cash", Decimal("41.78"), order.number)
    # the order.placed handler that runs afterwards does not invoice it again
    dispatch_pending()
    assert Invoice.objects.filter(order=order).count() == 1
    assert violations() == {}


def test_counter_sale_refuses_too_little_cash_and_gives_the_stock_back(shop, no_delivery):
    with pytest.raises(ValidationFailed) as exc:
        counter_sale(lines=[{"sku": "MUG-RED", "quantity": 2}], method="cash", tendered="5.00", user=None)
    assert exc.value.field == "tendered"
    assert Order.objects.get().status == OrderStatus.CANCELLED
    assert (level(shop.mug, shop.ams).on_hand, level(shop.mug, shop.ams).reserved) == (20, 0)
    assert not Invoice.objects.exists() and not Payment.objects.exists()


def test_counter_sale_sells_only_what_is_in_stock(shop):
    with pytest.raises(InsufficientStock):
        counter_sale(lines=[{"sku": "BOOK-1", "quantity": 11}], method="pin", user=None)
    assert not Order.objects.exists() and level(shop.book, shop.ams).on_hand == 10


def test_counter_sale_pin_to_a_known_customer(shop, no_delivery):
    sale = counter_sale(
        lines=[{"sku": "BOOK-1", "quantity": 1}], method="pin", customer=shop.consumer, reference="T-0042", user=None
    )
    assert sale.invoice.customer_id == shop.consumer.pk and sale.invoice.buyer_street
    assert (sale.payment.method, sale.payment.reference) == ("pin", "T-0042")
    assert JournalLine.objects.get(entry=sale.invoice.journal_entry, account__code=accounts.PIN_IN_TRANSIT).debit == (
        sale.invoice.gross_amount
    )
    assert violations() == {}


def test_counter_sale_hands_the_goods_over_as_shipped_delivered_and_paid(shop, no_delivery):
    # when a mug and two books are sold by PIN
    sale = counter_sale(
        lines=[{"sku": "MUG-RED", "quantity": 1}, {"sku": "BOOK-1", "quantity": 2}], method="pin", user=None
    )
    # then the order's timeline tells the hand-over step by step, as shipping and paying would
    timeline = list(OrderEvent.objects.filter(order=sale.order).order_by("id"))
    assert [row.kind for row in timeline] == ["placed", "shipped", "delivered", "payment", "completed"]
    assert timeline[1].message == "Shipped 1 x MUG-RED, 2 x BOOK-1; everything has shipped."
    assert timeline[1].data["units"] == 3
    # and publishes each status's event once, in that order
    names = OutboxEvent.objects.filter(payload__order_id=sale.order.pk, name__startswith="order.")
    assert list(names.order_by("id").values_list("name", flat=True)) == [
        "order.placed",
        "order.allocated",
        "order.shipped",
        "order.delivered",
        "order.completed",
    ]
    # and every line is shipped in full from issued allocations
    lines = OrderLine.objects.filter(order=sale.order)
    assert all(line.quantity_shipped == line.quantity for line in lines)
    assert set(Allocation.objects.filter(order_line__order=sale.order).values_list("status", flat=True)) == {"issued"}
    assert violations() == {}
