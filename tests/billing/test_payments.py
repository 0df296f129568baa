"""Payments and refunds: idempotent per method + reference, allocated to invoices oldest first,
overpayment kept as credit, refunds never above what was paid, orders told the paid total."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing import accounts
from billing.models import Invoice, InvoiceStatus, JournalLine, Payment, PaymentAllocation
from billing.selectors import customer_credit, order_billing
from billing.services import invoice_credit, payment_record, payment_refund
from oms.errors import Conflict, ValidationFailed
from oms.invariants import violations
from oms.models import OutboxEvent
from orders.models import Order
from tests.factories.billing import issue
from tests.factories.payments import dispatch_pending, place

pytestmark = pytest.mark.django_db


def balance(code: str, customer=None) -> Decimal:
    lines = JournalLine.objects.filter(account__code=code)
    if customer is not None:
        lines = lines.filter(customer=customer)
    return sum((line.debit - line.credit for line in lines), Decimal("0.00"))


def pay(order, amount, reference="tr_1", method="ideal", **kwargs):
    """Record a payment and handle its events as the worker does right after commit (a prepaid
    order paid in full gets its invoice from the ``payment.received`` handler)."""
    result = payment_record(order=order, method=method, amount=amount, reference=reference, user=None, **kwargs)
    dispatch_pending()
    return result


def test_payment_record_of_a_prepaid_order_issues_its_invoice_paid(shop, no_delivery):
    # given a web order paid by iDEAL, placed, its order.placed event handled (nothing to do yet)
    order = place(shop.consumer, ("MUG-RED", 2), ("BOOK-1", 1))
    dispatch_pending()
    assert not Invoice.objects.filter(order=order).exists()
    # when the payment comes in
    result = payment_record(order=order, method="ideal", amount=str(order.gross_amount), reference="tr_A", user=None)
    # then the payment is recorded as the order's credit, and its event asks for the invoice
    assert not Invoice.objects.filter(order=order).exists()
    assert Order.objects.get(pk=order.pk).amount_paid == order.gross_amount
    assert OutboxEvent.objects.filter(name="payment.received", payload__order_id=order.pk).count() == 1
    # which the worker issues right after the commit: the order is invoiced in full, paid
    dispatch_pending()
    result.payment.refresh_from_db()
    invoice = Invoice.objects.get(order=order)
    assert result.created and invoice.gross_amount == order.gross_amount
    assert result.payment.amount_allocated == order.gross_amount
    assert (invoice.status, invoice.amount_paid, invoice.payment_terms_days) == ("paid", order.gross_amount, 0)
    assert [(ln.sku, ln.quantity) for ln in invoice.lines.order_by("position")] == [
        ("MUG-RED", 2),
        ("BOOK-1", 1),
        ("", 1),
    ]
    assert Order.objects.get(pk=order.pk).amount_paid == order.gross_amount
    # and the money sits on the PSP receivable, nothing is owed and no credit is left
    assert balance(accounts.PSP_RECEIVABLE) == order.gross_amount
    assert balance(accounts.RECEIVABLES) == 0 and balance(accounts.CUSTOMER_CREDIT) == 0
    assert OutboxEvent.objects.filter(name="payment.received", payload__order_id=order.pk).count() == 1
    assert violations() == {}


def test_payment_record_same_reference_twice_records_one_payment(shop, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    first = pay(order, order.gross_amount, reference="tr_SAME")
    entries = JournalLine.objects.count()
    again = pay(order, order.gross_amount, reference="tr_SAME")
    assert first.created and not again.created and again.payment.pk == first.payment.pk
    assert Payment.objects.count() == 1 and JournalLine.objects.count() == entries
    # the same reference by another method is another payment; for something else, a conflict
    with pytest.raises(Conflict) as exc:
        pay(order, "1.00", reference="tr_SAME")
    assert exc.value.code == "payment_reference_conflict"
    # the database refuses a duplicate even past the service
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            customer=order.customer,
            method="ideal",
            amount=1,
            reference="tr_SAME",
            journal_entry=first.payment.journal_entry,
        )


def test_payment_record_partial_payments_invoice_once_paid_in_full(shop, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 3))
    pay(order, "10.00", reference="tr_1")
    assert not Invoice.objects.filter(order=order).exists()
    assert customer_credit(order.customer_id) == Decimal("10.00")
    pay(order, order.gross_amount - Decimal("10.00"), reference="tr_2")
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == InvoiceStatus.PAID and customer_credit(order.customer_id) == 0
    assert sorted(PaymentAllocation.objects.values_list("amount", flat=True)) == sorted(
        [Decimal("10.00"), order.gross_amount - Decimal("10.00")]
    )
    assert violations() == {}


def test_payment_record_overpayment_becomes_customer_credit(shop, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    pay(order, order.gross_amount + Decimal("5.06"), reference="tr_OVER")
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == order.gross_amount
    assert customer_credit(shop.consumer.pk) == Decimal("5.06")
    assert balance(accounts.CUSTOMER_CREDIT, shop.consumer) == Decimal("-5.06")
    billing = order_billing(order.pk)
    assert billing.credit == Decimal("5.06") and billing.amount_due == Decimal("-5.06")
    assert violations() == {}


def test_payment_refund_never_above_what_was_paid(shop, no_delivery):
    # given a paid order with 5.00 paid too much
    order = place(shop.consumer, ("MUG-RED", 1))
    paid = pay(order, order.gross_amount + Decimal("5.00"), reference="tr_P").payment
    # when more than was paid is refunded: refused, nothing written
    with pytest.raises(Conflict) as exc:
        payment_refund(payment=paid, amount=paid.amount + Decimal("0.01"), reference="re_1", user=None)
    assert exc.value.code == "refund_exceeds_paid" and Payment.objects.count() == 1
    # when the overpayment is refunded, it comes out of the credit, the invoice stays paid
    payment_refund(payment=paid, amount="5.00", reference="re_1", user=None)
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == InvoiceStatus.PAID and customer_credit(shop.consumer.pk) == 0
    # when the rest is refunded (a chargeback), the invoice is open again
    payment_refund(payment=paid, amount=order.gross_amount, reference="re_2", user=None)
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and invoice.status == InvoiceStatus.ISSUED
    assert Order.objects.get(pk=order.pk).amount_paid == 0
    # and nothing more can be refunded, not even via the API's negative amount
    with pytest.raises(Conflict) as exc:
        pay(order, "-0.01", reference="re_3")
    assert exc.value.code == "nothing_to_refund"
    assert balance(accounts.PSP_RECEIVABLE) == 0
    assert violations() == {}


def test_payment_refund_of_a_credited_invoice_returns_the_credit(shop, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 2))
    paid = pay(order, order.gross_amount, reference="tr_C").payment
    invoice = Invoice.objects.get(order=order)
    # the customer sends everything back: the credit note makes the payment customer credit
    invoice_credit(invoice=invoice, reason="Retour", user=None)
    assert customer_credit(shop.consumer.pk) == order.gross_amount
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CREDITED and invoice.open_amount == 0
    # the refund (a negative payment through the API's path) takes it from the credit
    result = pay(order, -order.gross_amount, reference="re_C")
    assert result.payment.refund_of_id == paid.pk and customer_credit(shop.consumer.pk) == 0
    assert Order.objects.get(pk=order.pk).amount_paid == 0
    assert balance(accounts.RECEIVABLES) == 0 and balance(accounts.PSP_RECEIVABLE) == 0
    assert violations() == {}


def test_payment_record_without_order_pays_oldest_open_invoices_first(shop, no_delivery):
    customer = shop.business
    first, second = issue(customer), issue(customer)
    amount = first.gross_amount + Decimal("10.00")
    payment_record(customer=customer, method="bank_transfer", amount=amount, reference="NL-STMT-1", user=None)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == InvoiceStatus.PAID
    assert (second.status, second.amount_paid) == (InvoiceStatus.PARTIALLY_PAID, Decimal("10.00"))
    assert balance(accounts.BANK) == amount
    assert balance(accounts.RECEIVABLES, customer) == first.gross_amount + second.gross_amount - amount
    assert violations() == {}


def test_payment_record_checks_its_input(shop):
    order = place(shop.consumer, ("MUG-RED", 1))
    for kwargs, field in [
        ({"method": "bitcoin"}, "method"),
        ({"amount": 12.5}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"reference": " "}, "reference"),
    ]:
        values = {"method": "ideal", "amount": "1.00", "reference": "tr_X", **kwargs}
        with pytest.raises(ValidationFailed) as exc:
            payment_record(order=order, user=None, **values)
        assert exc.value.field == field
    assert not Payment.objects.exists()
