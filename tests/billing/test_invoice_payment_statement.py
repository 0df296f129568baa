"""Issue 15 defect 1: an invoice document states the payment state its payments record. A paid
invoice says when and how it was paid and asks for nothing; a partly paid one asks for what is
left; only an open one asks for a transfer. The PDF, the e-mail and the invoice page agree."""

from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import Invoice
from billing.services import counter_sale, invoice_email_send, invoice_pdf_render, order_invoice, payment_record
from oms.money import format_eur
from tests.factories.payments import dispatch_pending, place
from tests.support.pdf import pdf_text

pytestmark = pytest.mark.django_db


def _flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _eur(amount) -> str:
    return format_eur(amount).replace("\u00a0", " ")


def _documents(client, user, invoice: Invoice) -> tuple[str, str, str]:
    """(PDF text, e-mail body, invoice page) of ``invoice``, each flattened."""
    invoice_pdf_render(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as handle:
        pdf = _flat(pdf_text(handle.read()))
    mail.outbox.clear()
    assert invoice_email_send(invoice_id=invoice.pk) == "sent"
    body = _flat(mail.outbox[0].body)
    client.force_login(user)
    page = _flat(client.get(f"/billing/invoices/{invoice.number}/").content.decode())
    return pdf, body, page


def test_a_cash_counter_sale_invoice_says_it_is_paid_and_asks_for_no_transfer(client, accountant, shop):
    # given a counter sale paid in cash by a customer with an e-mail address
    sale = counter_sale(lines=[{"sku": "MUG-RED", "quantity": 1}], customer=shop.consumer, method="cash", user=None)
    invoice = Invoice.objects.get(pk=sale.invoice.pk)
    today = timezone.localdate().strftime("%d-%m-%Y")
    pdf, body, page = _documents(client, accountant, invoice)
    # then none of them asks for a transfer, and each says when and how it was paid
    assert "over te maken" not in pdf and "Gelieve" not in pdf
    assert f"Betaald op {today} per contant" in pdf and f"Paid on {today} by cash" in pdf
    assert "over te maken" not in body and "transfer" not in body
    assert f"op {today} betaald per contant" in body or f"paid on {today} by cash" in body
    assert f"Paid on {today} by cash: nothing is due." in page


def test_a_partly_paid_invoice_asks_for_what_is_left(client, accountant, shop, no_delivery):
    # given a bank-transfer order invoiced, then 10.00 paid by iDEAL
    order = place(shop.consumer, ("BOOK-1", 2), method="bank_transfer")
    dispatch_pending()
    invoice = order_invoice(order_id=order.pk, basis="ordered", user=None)
    payment_record(order=order, method="ideal", amount="10.00", reference="tr_PART", user=None)
    invoice.refresh_from_db()
    left = invoice.gross_amount - Decimal("10.00")
    pdf, body, page = _documents(client, accountant, invoice)
    # then each states what was paid and asks for the rest, not for the total
    assert f"Reeds betaald: {_eur('10.00')}" in pdf and f"restant van {_eur(left)}" in pdf
    assert f"Gelieve {_eur(invoice.gross_amount)}" not in pdf
    assert f"restant van {_eur(left)}" in body or f"remaining {_eur(left)}" in body
    assert f"{_eur(left)} is still due" in page


def test_an_open_invoice_asks_for_a_transfer_of_the_total(client, accountant, shop, no_delivery):
    order = place(shop.consumer, ("BOOK-1", 1), method="bank_transfer")
    dispatch_pending()
    invoice = order_invoice(order_id=order.pk, basis="ordered", user=None)
    pdf, body, page = _documents(client, accountant, invoice)
    due = invoice.due_date.strftime("%d-%m-%Y")
    assert f"Gelieve {_eur(invoice.gross_amount)} uiterlijk {due} over te maken" in pdf
    assert _eur(invoice.gross_amount) in body and invoice.seller["iban"] in body
    assert f"{_eur(invoice.gross_amount)} is due by {due}" in page
