"""Issue 15 defect 4: a received return is credited and its money given back, once.

``return.received`` makes the credit note of the returned units (shipping only when the whole
order came back), refunds a paid order through the payment's own method, and leaves an
on-account customer's credit note to lower their open balance. A redelivered or repeated event
changes nothing. The ledger balances throughout (``violations``)."""

from decimal import Decimal

import pytest

from billing import accounts
from billing.models import Invoice, InvoiceKind, JournalLine, Payment, ReturnSettlement
from billing.selectors import customer_account, customer_credit
from billing.services import payment_record
from oms import events
from oms.invariants import violations
from oms.models import HandlerRun, OutboxEvent
from orders.models import Order, OrderLine
from orders.services import order_record_return, order_record_shipment
from tests.factories.payments import dispatch_pending, place

pytestmark = pytest.mark.django_db

_returns = iter(range(9000, 10000))


def ship_all(order):
    order_record_shipment(order=order, lines=[(line.pk, line.quantity) for line in order.lines.all()], user=None)
    events.publish("shipment.handed_off", {"shipment_id": 1, "order_id": order.pk})
    dispatch_pending()


def receive_return(order, *pairs, reason="not wanted") -> int:
    """Record ``(sku, units)`` as returned and announce it as shipping's ``return_receive`` does."""
    by_sku = {line.sku: line for line in OrderLine.objects.filter(order=order)}
    lines = [(by_sku[sku].pk, units) for sku, units in pairs]
    order_record_return(order=Order.objects.get(pk=order.pk), lines=lines, user=None, reason=reason)
    return_id = next(_returns)
    events.publish(
        "return.received",
        {
            "return_id": return_id,
            "number": f"RT-{return_id:06d}",
            "order_id": order.pk,
            "reason": reason,
            "restocked": True,
            "lines": [{"order_line_id": pk, "quantity": units} for pk, units in lines],
        },
    )
    dispatch_pending()
    return return_id


def _paid_order(shop, *lines):
    order = place(shop.consumer, *lines, method="ideal")
    payment_record(order=order, method="ideal", amount=order.gross_amount, reference=f"tr_{order.number}", user=None)
    dispatch_pending()
    return Order.objects.get(pk=order.pk)


def test_a_partial_return_of_a_paid_order_is_credited_and_refunded_by_ideal(shop, no_delivery):
    # given an iDEAL order of 3 mugs and a book, paid, invoiced and shipped
    order = _paid_order(shop, ("MUG-RED", 3), ("BOOK-1", 1))
    invoice = Invoice.objects.get(order=order, kind=InvoiceKind.INVOICE)
    assert invoice.status == "paid"
    ship_all(order)
    # when one mug comes back
    return_id = receive_return(order, ("MUG-RED", 1))
    # then one credit note credits that mug (at 8.26 + 21% VAT), not the shipping
    note = Invoice.objects.get(order=order, kind=InvoiceKind.CREDIT_NOTE)
    assert [(ln.sku, ln.quantity, ln.kind) for ln in note.lines.all()] == [("MUG-RED", -1, "goods")]
    assert note.gross_amount == Decimal("-9.99") and note.credit_of_id == invoice.pk
    assert f"RT-{return_id:06d}" in note.credit_reason
    # and the money goes back by iDEAL, from the payment it came in by
    refund = Payment.objects.get(order=order, amount__lt=0)
    assert (refund.method, refund.amount, refund.reference) == ("ideal", Decimal("-9.99"), f"RT-{return_id:06d}")
    assert refund.refund_of.reference == f"tr_{order.number}"
    assert Order.objects.get(pk=order.pk).amount_paid == order.gross_amount - Decimal("9.99")
    assert customer_credit(shop.consumer.pk) == 0
    settlement = ReturnSettlement.objects.get(return_id=return_id)
    assert (settlement.amount_credited, settlement.amount_refunded) == (Decimal("9.99"), Decimal("9.99"))
    # and the ledger: the iDEAL clearing account was credited with the refund
    ideal = accounts.PAYMENT_METHOD_ACCOUNTS["ideal"]
    assert JournalLine.objects.filter(entry=refund.journal_entry, account__code=ideal).get().credit == Decimal("9.99")
    assert violations() == {}


def test_a_redelivered_or_repeated_return_event_credits_and_refunds_once(shop, no_delivery):
    order = _paid_order(shop, ("MUG-RED", 2))
    ship_all(order)
    return_id = receive_return(order, ("MUG-RED", 1))
    event = OutboxEvent.objects.get(name="return.received")
    # when the worker delivers the event again (its handler run forgotten) and it is published twice
    HandlerRun.objects.filter(event=event).delete()
    OutboxEvent.objects.filter(pk=event.pk).update(status="pending")
    events.dispatch(event.pk)
    events.publish("return.received", dict(event.payload))
    dispatch_pending()
    # then there is still one credit note and one refund
    assert Invoice.objects.filter(order=order, kind=InvoiceKind.CREDIT_NOTE).count() == 1
    assert Payment.objects.filter(order=order, amount__lt=0).count() == 1
    assert ReturnSettlement.objects.filter(return_id=return_id).count() == 1
    assert violations() == {}


def test_the_whole_order_returned_credits_the_shipping_and_refunds_everything(shop, no_delivery):
    order = _paid_order(shop, ("MUG-RED", 2), ("BOOK-1", 1))
    ship_all(order)
    receive_return(order, ("MUG-RED", 2), ("BOOK-1", 1))
    note = Invoice.objects.get(order=order, kind=InvoiceKind.CREDIT_NOTE)
    assert {ln.kind for ln in note.lines.all()} == {"goods", "shipping"}
    assert note.gross_amount == -order.gross_amount
    assert Invoice.objects.get(order=order, kind=InvoiceKind.INVOICE).status == "credited"
    assert -sum(p.amount for p in Payment.objects.filter(order=order, amount__lt=0)) == order.gross_amount
    assert Order.objects.get(pk=order.pk).amount_paid == 0
    assert violations() == {}


def test_a_return_in_two_parts_credits_the_shipping_with_the_last_part(shop, no_delivery):
    order = _paid_order(shop, ("MUG-RED", 2))
    ship_all(order)
    receive_return(order, ("MUG-RED", 1))
    receive_return(order, ("MUG-RED", 1))
    notes = Invoice.objects.filter(order=order, kind=InvoiceKind.CREDIT_NOTE).order_by("id")
    assert [sorted({ln.kind for ln in n.lines.all()}) for n in notes] == [["goods"], ["goods", "shipping"]]
    assert -sum(n.gross_amount for n in notes) == order.gross_amount
    assert violations() == {}


def test_an_on_account_return_lowers_the_open_balance_and_refunds_nothing(shop, no_delivery):
    # given an on-account order shipped and invoiced (open, 30 days)
    order = place(shop.business, ("MUG-RED", 4), method="on_account")
    dispatch_pending()
    ship_all(order)
    invoice = Invoice.objects.get(order=order, kind=InvoiceKind.INVOICE)
    before = customer_account(shop.business.pk).open_balance
    assert before == invoice.gross_amount
    # when two mugs come back
    receive_return(order, ("MUG-RED", 2))
    # then the credit note lowers what the customer owes; no money leaves
    note = Invoice.objects.get(order=order, kind=InvoiceKind.CREDIT_NOTE)
    assert customer_account(shop.business.pk).open_balance == before + note.gross_amount
    invoice.refresh_from_db()
    assert invoice.open_amount == before + note.gross_amount
    assert not Payment.objects.filter(order=order, amount__lt=0).exists()
    assert violations() == {}


def test_an_on_account_return_after_payment_leaves_credit_on_the_account(shop, no_delivery):
    order = place(shop.business, ("MUG-RED", 2), method="on_account")
    dispatch_pending()
    ship_all(order)
    invoice = Invoice.objects.get(order=order, kind=InvoiceKind.INVOICE)
    payment_record(customer=shop.business, method="bank_transfer", amount=invoice.gross_amount, reference="st-1",
                   user=None)  # fmt: skip
    receive_return(order, ("MUG-RED", 1))
    note = Invoice.objects.get(order=order, kind=InvoiceKind.CREDIT_NOTE)
    assert customer_credit(shop.business.pk) == -note.gross_amount
    assert not Payment.objects.filter(amount__lt=0).exists()
    assert violations() == {}
