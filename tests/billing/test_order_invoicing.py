"""Invoicing orders: prepaid orders once placed and paid (exactly one invoice, whatever the
outbox redelivers), on-account orders per shipment (never twice), cancellations credited."""

from decimal import Decimal

import pytest

from billing.models import Invoice, InvoicedOrderLine, InvoiceKind, InvoiceStatus
from billing.selectors import customer_credit
from billing.services import order_invoice, payment_record
from oms import events
from oms.errors import Conflict
from oms.invariants import violations
from oms.models import HandlerRun, OutboxEvent
from orders.models import Order
from orders.services import (
    order_cancel,
    order_draft_create,
    order_draft_place,
    order_draft_set_lines,
    order_mark_delivered,
    order_record_shipment,
)
from tests.factories.payments import dispatch_pending, place

pytestmark = pytest.mark.django_db


def ship(order, *quantities):
    """Ship ``quantities`` of the order's lines (in line order) and announce the hand-off as
    shipping does."""
    lines = list(order.lines.order_by("line_no"))
    order_record_shipment(
        order=order, lines=[(line.pk, q) for line, q in zip(lines, quantities, strict=False) if q], user=None
    )
    events.publish("shipment.handed_off", {"shipment_id": 1, "order_id": order.pk})


def test_order_placed_twice_delivered_gives_a_paid_prepaid_order_one_invoice(shop, no_delivery):
    # given a web order whose payment came in before its order.placed event was handled
    order = place(shop.consumer, ("MUG-RED", 1))
    payment_record(order=order, method="ideal", amount=order.gross_amount, reference="tr_EARLY", user=None)
    # when the events are handled (order.placed first: it invoices; payment.received finds it
    # done), then delivered again (a worker died before marking it done), and the order event
    # even published a second time
    placed = OutboxEvent.objects.get(name="order.placed", payload__order_id=order.pk)
    dispatch_pending()
    assert Invoice.objects.filter(order=order).count() == 1
    HandlerRun.objects.filter(event=placed).delete()
    OutboxEvent.objects.filter(pk=placed.pk).update(status="pending")
    events.dispatch(placed.pk)
    events.publish("order.placed", {"order_id": order.pk})
    dispatch_pending()
    # then there is still exactly one invoice, paid
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == InvoiceStatus.PAID
    assert list(InvoicedOrderLine.objects.filter(order_id=order.pk).values_list("quantity", flat=True)) == [1]
    assert violations() == {}


def test_order_placed_handler_invoices_a_phone_order_paid_while_a_draft(shop, no_delivery):
    # given a phone order paid (by a payment link) while it is still a draft: kept as credit
    draft = order_draft_create(channel="phone", customer=shop.consumer, user=None)
    order_draft_set_lines(order=draft, lines=[{"sku": "BOOK-1", "quantity": 1}], user=None)
    payment_record(order=draft, method="ideal", amount="30.00", reference="tr_LINK", user=None)
    assert not Invoice.objects.filter(order=draft).exists()
    # when it is placed and its order.placed event handled
    order = order_draft_place(order=draft, user=None)
    dispatch_pending()
    # then the handler invoiced it from the credit; the rest stays the customer's credit
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == InvoiceStatus.PAID and invoice.gross_amount == order.gross_amount
    assert customer_credit(shop.consumer.pk) == Decimal("30.00") - order.gross_amount
    assert violations() == {}


def test_shipment_handed_off_invoices_an_on_account_order_per_shipment(shop, no_delivery):
    # given an on-account order of 5 mugs and 2 books
    order = place(shop.business, ("MUG-RED", 5), ("BOOK-1", 2), method="on_account")
    dispatch_pending()
    assert not Invoice.objects.filter(order=order).exists()
    # when 3 mugs ship
    ship(order, 3)
    dispatch_pending()
    # then they are invoiced, with the shipping charge, on the customer's 30 days
    first = Invoice.objects.get(order=order)
    assert [(ln.sku, ln.quantity, ln.kind) for ln in first.lines.order_by("position")] == [
        ("MUG-RED", 3, "goods"),
        ("", 1, "shipping"),
    ]
    assert first.payment_terms_days == 30 and first.status == InvoiceStatus.ISSUED
    # when the event comes again: nothing more is invoiced
    handed_off = OutboxEvent.objects.filter(name="shipment.handed_off").latest("id")
    events.publish("shipment.handed_off", dict(handed_off.payload))
    dispatch_pending()
    assert Invoice.objects.filter(order=order).count() == 1
    # when the rest ships: the second invoice has only what was not yet invoiced
    ship(order, 2, 2)
    dispatch_pending()
    second = Invoice.objects.filter(order=order).latest("id")
    assert [(ln.sku, ln.quantity) for ln in second.lines.order_by("position")] == [("MUG-RED", 2), ("BOOK-1", 2)]
    # and the invoices add up to the order to the cent
    invoices = Invoice.objects.filter(order=order)
    assert sum(i.net_amount for i in invoices) == order.net_amount + order.shipping_amount
    assert sum(i.gross_amount for i in invoices) == order.gross_amount  # exactly (issue 15)
    assert violations() == {}


def test_order_invoice_shipped_then_ordered_never_invoices_twice(shop, no_delivery):
    order = place(shop.business, ("MUG-RED", 4), method="on_account")
    with pytest.raises(Conflict) as exc:
        order_invoice(order_id=order.pk, basis="shipped", user=None)
    assert exc.value.code == "nothing_to_invoice"
    order_record_shipment(order=order, lines=[(order.lines.get().pk, 1)], user=None)
    order_invoice(order_id=order.pk, basis="shipped", user=None)
    rest = order_invoice(order_id=order.pk, basis="ordered", user=None)
    assert [ln.quantity for ln in rest.lines.filter(kind="goods")] == [3]
    assert not rest.lines.filter(kind="shipping").exists()
    with pytest.raises(Conflict):
        order_invoice(order_id=order.pk, basis="ordered", user=None)
    # a later shipment of units invoiced already invoices nothing
    order_record_shipment(order=order, lines=[(order.lines.get().pk, 3)], user=None)
    events.publish("shipment.handed_off", {"shipment_id": 2, "order_id": order.pk})
    dispatch_pending()
    assert Invoice.objects.filter(order=order).count() == 2
    assert InvoicedOrderLine.objects.get(order_id=order.pk).quantity == 4


def test_an_on_account_order_completes_when_delivered_and_paid(shop, no_delivery):
    order = place(shop.business, ("MUG-RED", 2), method="on_account")
    ship(order, 2)
    dispatch_pending()
    invoice = Invoice.objects.get(order=order)
    order_mark_delivered(order=order, user=None)
    # the customer pays by bank transfer naming the invoice, not the order
    payment_record(
        customer=shop.business, method="bank_transfer", amount=invoice.gross_amount, reference="STMT-7", user=None
    )
    invoice.refresh_from_db()
    stored = Order.objects.get(pk=order.pk)
    assert invoice.status == InvoiceStatus.PAID and stored.amount_paid == invoice.gross_amount
    assert stored.status == "completed"
    assert violations() == {}


def test_order_cancelled_credits_the_invoice_and_keeps_the_money_as_credit(shop, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    payment_record(order=order, method="card", amount=order.gross_amount, reference="ch_1", user=None)
    dispatch_pending()
    order_cancel(order=Order.objects.get(pk=order.pk), reason="Customer changed mind", user=None)
    dispatch_pending()
    invoice = Invoice.objects.get(order=order, kind=InvoiceKind.INVOICE)
    note = Invoice.objects.get(order=order, kind=InvoiceKind.CREDIT_NOTE)
    assert invoice.status == InvoiceStatus.CREDITED and note.credit_of_id == invoice.pk
    assert "cancelled" in note.credit_reason
    assert Order.objects.get(pk=order.pk).amount_paid == order.gross_amount  # still ours to refund
    assert violations() == {}


def test_a_prepaid_order_shipped_unpaid_is_not_invoiced_at_hand_off_but_once_paid(shop, no_delivery):
    # given a phone order to be paid in cash on collection, handed over before it is paid
    order = place(shop.consumer, ("MUG-RED", 2), method="cash", channel="phone")
    dispatch_pending()
    ship(order, 2)
    dispatch_pending()
    # then the hand-off invoices nothing (issue 15: an unpaid card order got a shipment invoice)
    assert not Invoice.objects.filter(order=order).exists()
    # and the payment invoices it in full, paid
    payment_record(order=order, method="cash", amount=order.gross_amount, reference="kas-1", user=None)
    dispatch_pending()
    assert Invoice.objects.get(order=order).status == InvoiceStatus.PAID
    assert violations() == {}
