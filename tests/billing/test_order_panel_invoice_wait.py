"""Issue 19: with a real worker, the order panel drawn right after a prepaid order's payment may
not show the invoice yet (the worker issues it on ``payment.received``). While the order is paid
in full and not invoiced, the panel's invoices line polls; the server's answer keeps it polling,
stops it after a while, or, once the invoice is there, brings the whole panel, which does not
poll. Events here wait in the outbox until the test hands them out (as a busy worker would)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Invoice
from billing.services import payment_record
from oms.roles import Role
from tests.conftest import HTMX
from tests.factories.payments import dispatch_pending, place

pytestmark = pytest.mark.django_db


def _panel(client, order, **params):
    return client.get(reverse("billing:order_panel", kwargs={"order_id": order.pk}), params, **HTMX)


def _paid_not_invoiced(shop):
    order = place(shop.consumer, ("MUG-RED", 2))
    dispatch_pending()  # order.placed: unpaid, so no invoice
    payment_record(order=order, method="ideal", amount=order.gross_amount, reference="tr_WAIT", user=None)
    return order  # its payment.received event not handled yet


def test_the_invoices_line_polls_while_the_invoice_is_issued_and_the_panel_comes_when_it_is_there(
    shop, no_delivery, role_client
):
    # given a prepaid order paid in full whose invoice the worker has not issued yet
    order = _paid_not_invoiced(shop)
    cs = role_client(Role.CUSTOMER_SERVICE)
    # then the panel says the invoice is being issued, and that line polls
    panel = _panel(cs, order).content.decode()
    assert 'data-testid="invoice-wait"' in panel and 'hx-trigger="every 2s"' in panel
    assert "?invoice_wait=0" in panel and "Paid: the invoice is being issued…" in panel
    # and a poll while it is not there answers with that line only, polling on: one query of its own
    _panel(cs, order, invoice_wait=0)
    with CaptureQueriesContext(connection) as captured:
        poll = _panel(cs, order, invoice_wait=0)
    body = poll.content.decode()
    assert poll.status_code == 200 and "HX-Retarget" not in poll and "billing-order-panel" not in body
    assert body.lstrip().startswith('<span id="billing-invoice-wait"') and "?invoice_wait=1" in body
    assert 'hx-trigger="every 2s"' in body
    # (the session, the user with their roles, then the one question: paid and not invoiced?)
    assert len(captured) == 3 and "billing_invoice" in captured[-1]["sql"], captured.captured_queries
    # when the worker issues the invoice
    assert "payment.received" in dispatch_pending()
    invoice = Invoice.objects.get(order=order)
    # then the next poll answers with the whole panel in the panel's place: the invoice, no polling
    poll = _panel(cs, order, invoice_wait=1)
    assert (poll["HX-Retarget"], poll["HX-Reswap"]) == ("#billing-order-panel", "outerHTML")
    body = poll.content.decode()
    assert 'id="billing-order-panel"' in body and invoice.number in body and 'data-testid="order-invoice"' in body
    assert "every 2s" not in body and "invoice-wait" not in body


def test_the_invoices_line_stops_polling_after_a_minute(shop, no_delivery, role_client):
    order = _paid_not_invoiced(shop)
    late = _panel(role_client(Role.ACCOUNTING), order, invoice_wait=29).content.decode()
    assert 'data-testid="invoice-wait"' in late and "hx-trigger" not in late
    assert "Paid: the invoice is taking longer than usual; reload the page later." in late


def test_no_polling_when_no_invoice_is_on_its_way(shop, no_delivery, role_client):
    # given a prepaid order not paid yet, an order on account paid in full (invoiced when it
    # ships) and a prepaid order paid and invoiced
    unpaid = place(shop.consumer, ("MUG-RED", 1))
    on_account = place(shop.business, ("MUG-RED", 1), method="on_account")
    invoiced = place(shop.consumer, ("BOOK-1", 1))
    dispatch_pending()
    payment_record(order=on_account, method="bank_transfer", amount=on_account.gross_amount, reference="NL1", user=None)
    payment_record(order=invoiced, method="ideal", amount=invoiced.gross_amount, reference="tr_DONE", user=None)
    dispatch_pending()
    assert Invoice.objects.filter(order=invoiced).exists() and not Invoice.objects.filter(order=on_account).exists()
    acc = role_client(Role.ACCOUNTING)
    for order in (unpaid, on_account, invoiced):
        # then their panels do not poll
        panel = _panel(acc, order).content.decode()
        assert "invoice-wait" not in panel and "every 2s" not in panel, order
        # and a late poll (a page drawn before) gets the whole panel, which does not poll either
        poll = _panel(acc, order, invoice_wait=3)
        assert poll["HX-Retarget"] == "#billing-order-panel" and "every 2s" not in poll.content.decode()
    # without htmx the parameter changes nothing: the panel as a page of its own
    plain = acc.get(reverse("billing:order_panel", kwargs={"order_id": unpaid.pk}), {"invoice_wait": "1"})
    assert plain.status_code == 200 and 'id="billing-order-panel"' in plain.content.decode()
