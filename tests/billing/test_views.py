"""Accounting screens: page vs htmx fragment, what a user sees, effects, query budgets."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice, InvoiceKind, InvoiceStatus
from billing.services import invoice_credit, invoices_mark_overdue
from oms.roles import Role
from tests.factories.billing import b2b_customer, b2c_customer, issue, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def acc(role_client):
    return role_client(Role.ACCOUNTING)


def _html(response) -> str:
    return response.content.decode()


def _queries(client, url, **kwargs) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **kwargs).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_invoice_list_serves_page_and_filtered_fragment(acc, htmx_headers):
    first = issue(b2c_customer(name="Anna Smit"), reference="SO-000001")
    other = issue(b2b_customer(company_name="Bakkerij Brood B.V."))
    page = acc.get("/billing/invoices/")
    assert page.status_code == 200 and "<html" in _html(page)
    assert first.number in _html(page) and other.number in _html(page)
    fragment = acc.get("/billing/invoices/", {"q": "bakkerij"}, headers={"HX-Request": "true"})
    assert "<html" not in _html(fragment) and 'id="invoice-table"' in _html(fragment)
    assert other.number in _html(fragment) and first.number not in _html(fragment)
    assert "HX-Request" in fragment["Vary"]
    assert first.number in _html(acc.get("/billing/invoices/", {"q": "SO-000001"}))
    by_customer = _html(acc.get("/billing/invoices/", {"customer": other.customer.number}))
    assert other.number in by_customer and first.number not in by_customer


def test_invoice_list_query_count_does_not_grow_and_never_counts(acc):
    customer = b2c_customer()
    issue(customer)
    few = _queries(acc, "/billing/invoices/")
    for _ in range(60):
        issue(customer)
    many = _queries(acc, "/billing/invoices/")
    assert len(many) == len(few)
    listing = [q for q in many if 'FROM "billing_invoice"' in q and "LIMIT 51" in q]
    assert len(listing) == 1 and "COUNT(" not in listing[0].upper().split("FROM")[0]
    assert "Next" in _html(acc.get("/billing/invoices/"))


def test_invoice_list_filters_by_status_kind_and_period(acc):
    invoice = issue(issue_date=date(2026, 1, 5))
    invoice_credit(invoice=invoice, reason="wrong", user=None, issue_date=date(2026, 1, 6))
    later = issue(invoice.customer, issue_date=date(2026, 2, 1))
    credited = _html(acc.get("/billing/invoices/", {"status": "credited"}))
    assert invoice.number in credited and later.number not in credited
    notes = _html(acc.get("/billing/invoices/", {"kind": "credit_note"}))
    assert "CN-2026-000001" in notes and later.number not in notes
    january = _html(acc.get("/billing/invoices/", {"date_from": "2026-01-01", "date_to": "2026-01-31"}))
    assert invoice.number in january and later.number not in january


def test_invoice_detail_shows_lines_vat_posting_and_actions(acc):
    invoice = issue(lines=[line(2, "8.26"), line(1, "14.50", "low", description="Koffie")])
    html = _html(acc.get(f"/billing/invoices/{invoice.number}/"))
    assert html.count('data-testid="invoice-line"') == 2 and "Koffie" in html
    assert "€\u00a03,47" in html and "€\u00a01,31" in html and "€\u00a035,80" in html
    assert "Debiteuren" in html  # the posting
    assert f"/billing/invoices/{invoice.number}/pdf/" in html and "credit-link" in html


def test_invoice_detail_for_customer_service_has_no_credit_action(role_client):
    invoice = issue()
    html = _html(role_client(Role.CUSTOMER_SERVICE).get(f"/billing/invoices/{invoice.number}/"))
    assert invoice.number in html and "credit-link" not in html and "Debiteuren" not in html


def test_invoice_detail_of_unknown_number_is_404(acc):
    assert acc.get("/billing/invoices/2099-000001/").status_code == 404


def test_invoice_pdf_downloads_the_stored_pdf_rendering_it_when_missing(acc):
    invoice = issue()
    response = acc.get(f"/billing/invoices/{invoice.number}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    invoice.refresh_from_db()
    stored = invoice.pdf.name
    acc.get(f"/billing/invoices/{invoice.number}/pdf/")
    invoice.refresh_from_db()
    assert invoice.pdf.name == stored


def test_invoice_credit_form_credits_some_units_and_goes_to_the_credit_note(acc, htmx_headers):
    invoice = issue(lines=[line(3, "10.00"), line(1, "5.00")])
    form = _html(acc.get(f"/billing/invoices/{invoice.number}/credit/"))
    assert 'name="qty_1"' in form and 'value="3"' in form and "autofocus" in form
    response = acc.post(
        f"/billing/invoices/{invoice.number}/credit/",
        {"reason": "Eén kapot", "qty_1": "1", "qty_2": "0"},
        headers={"HX-Request": "true"},
    )
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert response["HX-Redirect"] == f"/billing/invoices/{note.number}/"
    assert note.gross_amount == Decimal("-12.10") and note.credit_reason == "Eén kapot"
    # the form now offers only what is left
    assert 'max="2"' in _html(acc.get(f"/billing/invoices/{invoice.number}/credit/"))


def test_invoice_credit_form_shows_errors_in_the_fragment(acc):
    invoice = issue()
    missing_reason = acc.post(
        f"/billing/invoices/{invoice.number}/credit/", {"qty_1": "1", "qty_2": "1"}, headers={"HX-Request": "true"}
    )
    assert missing_reason.status_code == 200 and "<html" not in _html(missing_reason)
    assert 'id="credit-form"' in _html(missing_reason) and "This field is required" in _html(missing_reason)
    too_many = acc.post(
        f"/billing/invoices/{invoice.number}/credit/",
        {"reason": "x", "qty_1": "9", "qty_2": "0"},
        headers={"HX-Request": "true"},
    )
    assert "less than or equal to 2" in _html(too_many)
    nothing = acc.post(
        f"/billing/invoices/{invoice.number}/credit/",
        {"reason": "x", "qty_1": "0", "qty_2": "0"},
        headers={"HX-Request": "true"},
    )
    assert "at least one unit" in _html(nothing)
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()


def test_invoice_credit_form_in_full_without_htmx_redirects(acc):
    invoice = issue()
    response = acc.post(f"/billing/invoices/{invoice.number}/credit/", {"reason": "cancel", "qty_1": "2", "qty_2": "1"})
    assert response.status_code == 302 and response["Location"].endswith(
        "/billing/invoices/CN-" + str(invoice.year) + "-000001/"
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CREDITED


@pytest.mark.django_db(transaction=True)
def test_send_unsent_starts_a_batch_and_shows_its_progress(acc, settings):
    settings.OMS_INVOICE_AUTO_SEND = False
    issue(), issue()
    assert "Send 2 unsent invoices" in _html(acc.get("/billing/invoices/"))
    response = acc.post("/billing/invoices/send/")
    assert response.status_code == 302 and "/billing/invoices/send/" in response["Location"]
    page = _html(acc.get(response["Location"]))
    assert 'data-testid="batch-counts"' in page and "2 of 2 done: 2 sent" in page and "batch-finished" in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no more polling
    assert len(mail.outbox) == 2
    again = acc.post("/billing/invoices/send/", follow=True)
    assert "Every invoice with an e-mail address has been sent." in _html(again)


def test_send_batch_fragment_polls_while_running(acc, accountant):
    from billing.models import SendBatch, SendBatchItem

    batch = SendBatch.objects.create(created_by=accountant)
    SendBatchItem.objects.create(batch=batch, invoice=issue())
    fragment = _html(acc.get(f"/billing/invoices/send/{batch.pk}/", headers={"HX-Request": "true"}))
    assert "<html" not in fragment and 'hx-trigger="every 1s"' in fragment and "0 of 1 done" in fragment
    assert acc.get("/billing/invoices/send/999999/").status_code == 404


def test_journal_lists_entries_with_lines_in_the_period_and_pages(acc):
    invoice = issue(issue_date=date(2026, 3, 2))
    issue(invoice.customer, issue_date=date(2026, 4, 2))
    html = _html(acc.get("/billing/journal/", {"date_from": "2026-03-01", "date_to": "2026-03-31"}))
    assert html.count('data-testid="journal-entry"') == 1 and f"Invoice {invoice.number}" in html
    assert "1300" in html and "€\u00a035,80" in html and invoice.customer.number in html
    assert "journal-csv" in html and "date_from=2026-03-01" in html
    account_filter = _html(
        acc.get("/billing/journal/", {"date_from": "2026-01-01", "date_to": "2026-12-31", "account": "8010"})
    )
    assert account_filter.count('data-testid="journal-entry"') == 2


def test_journal_query_count_does_not_grow_with_entries(acc):
    customer = b2c_customer()
    issue(customer)
    few = _queries(acc, "/billing/journal/")
    for _ in range(30):
        issue(customer)
    assert len(_queries(acc, "/billing/journal/")) == len(few)


def test_trial_balance_debits_equal_credits_as_of_a_date(acc):
    first = issue(issue_date=date(2026, 3, 2))
    issue(first.customer, issue_date=date(2026, 5, 2))
    html = _html(acc.get("/billing/trial-balance/", {"as_of": "2026-03-31"}))
    debit = re.search(r'data-testid="tb-total-debit">([^<]+)<', html).group(1)
    credit = re.search(r'data-testid="tb-total-credit">([^<]+)<', html).group(1)
    assert debit == credit == "€\u00a035,80"
    later = _html(acc.get("/billing/trial-balance/", {"as_of": "2026-06-30"}))
    assert "€\u00a071,60" in later


def test_receivables_ages_open_invoices_per_customer(acc):
    today = date.today()
    customer = b2b_customer(payment_terms_days=30)
    issue(customer, lines=[line(1, "100.00")], issue_date=today - timedelta(days=75))
    issue(customer, lines=[line(1, "10.00")], issue_date=today - timedelta(days=5))
    paid_up = issue(lines=[line(1, "50.00")], issue_date=today)
    invoice_credit(invoice=paid_up, reason="cancelled", user=None)
    invoices_mark_overdue()
    html = _html(acc.get("/billing/receivables/"))
    assert html.count('data-testid="ageing-row"') == 1 and customer.number in html
    row = html.split('data-testid="ageing-row"')[1].split("</tr>")[0]
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    # customer, invoices, 0-30, 31-60, 61-90, 90+, overdue, open
    assert cells[1:] == ["2", "€\u00a012,10", "", "€\u00a0121,00", "", "€\u00a0121,00", "€\u00a0133,10"]
    assert re.search(r'data-testid="ledger-balance">€\u00a0133,10<', html)


def test_customer_panel_shows_open_balance_and_invoices(role_client):
    customer = b2c_customer()
    invoice = issue(customer)
    invoice_credit(invoice=invoice, lines=[{"line": 2, "quantity": 1}], reason="x", user=None)
    html = _html(role_client(Role.CUSTOMER_SERVICE).get(f"/billing/customers/{customer.pk}/panel/"))
    assert "<html" not in html and 'id="billing-customer-panel"' in html
    assert re.search(r'data-testid="open-balance">€\u00a019,99<', html)  # 35.80 - (14.50 + 1.31)
    assert html.count('data-testid="panel-invoice"') == 2


def test_customer_page_loads_the_billing_panel(role_client):
    customer = b2c_customer()
    html = _html(role_client(Role.ACCOUNTING).get(f"/customers/{customer.number}/"))
    assert f'hx-get="/billing/customers/{customer.pk}/panel/"' in html


def test_exports_download_csv_for_the_period(acc):
    invoice = issue(issue_date=date(2026, 3, 2))
    journal = acc.get("/billing/journal/export.csv", {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert journal["Content-Type"].startswith("text/csv")
    assert 'filename="journal-2026-03-01-2026-03-31.csv"' in journal["Content-Disposition"]
    assert invoice.number in b"".join(journal.streaming_content).decode()
    invoices = acc.get("/billing/invoices/export.csv", {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert invoice.number in b"".join(invoices.streaming_content).decode()


def test_admin_shows_the_books_read_only(client, django_user_model):
    invoice = issue()
    client.force_login(django_user_model.objects.create_superuser("root", password="x-x-x-x-x-x"))
    assert invoice.number in _html(client.get("/admin/billing/invoice/"))
    page = _html(client.get(f"/admin/billing/invoice/{invoice.pk}/change/"))
    assert "Mok rood" in page and 'name="_save"' not in page
    assert client.get(f"/admin/billing/journalentry/{invoice.journal_entry_id}/change/").status_code == 200
    assert client.get("/admin/billing/invoice/add/").status_code == 403


def test_admin_shows_payments_read_only(client, django_user_model):
    from billing.services import payment_record

    invoice = issue()
    payment = payment_record(
        customer=invoice.customer, method="bank_transfer", amount="10.00", reference="STMT-ADMIN", user=None
    ).payment
    client.force_login(django_user_model.objects.create_superuser("root", password="x-x-x-x-x-x"))
    assert "STMT-ADMIN" in _html(client.get("/admin/billing/payment/"))
    page = _html(client.get(f"/admin/billing/payment/{payment.pk}/change/"))
    assert invoice.number in page and 'name="_save"' not in page
