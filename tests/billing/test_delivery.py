"""The invoice PDF (every mandatory field of a Dutch invoice, stored once) and its e-mail
(sent once, however often the task runs)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import tasks
from billing.models import Invoice, SendBatchItem, SendOutcome
from billing.selectors import send_batch_progress
from billing.services import delivery, invoice_credit, invoice_email_send, invoice_pdf_render, invoice_send_batch_start
from oms import deliver_once
from oms.errors import Conflict
from oms.models import Delivery
from oms.money import format_eur
from tests.factories.billing import b2b_customer, issue, line
from tests.factories.customers import CustomerFactory
from tests.support.pdf import pdf_text


def _eur(amount) -> str:
    return format_eur(amount).replace("\u00a0", " ")


def _missing_fields(text: str, invoice: Invoice) -> list[str]:
    """Art. 226 VAT Directive / Belastingdienst "factuureisen", as they must appear on the PDF."""
    seller = invoice.seller
    required = {
        "invoice number": invoice.number,
        "date of issue": invoice.issue_date.strftime("%d-%m-%Y"),
        "date of supply": f"Leverdatum / Date of supply  {invoice.supply_date:%d-%m-%Y}",
        "seller name": seller["name"],
        "seller address": f"{seller['postal_code']} {seller['city']}",
        "seller street": seller["street"],
        "seller VAT id": seller["vat_id"],
        "seller KvK": f"KvK: {seller['kvk']}",
        "buyer name": invoice.buyer_company or invoice.buyer_name,
        "buyer address": f"{invoice.buyer_postal_code} {invoice.buyer_city}",
        "buyer street": invoice.buyer_street,
        "net total": _eur(invoice.net_amount),
        "VAT total": _eur(invoice.vat_amount),
        "total": _eur(invoice.gross_amount),
    }
    for row in invoice.lines.all():
        required[f"line {row.position} description"] = row.description
        required[f"line {row.position} unit price"] = _eur(row.unit_price)
        required[f"line {row.position} net"] = _eur(row.net_amount)
        if row.discount_amount:
            required[f"line {row.position} discount"] = _eur(row.discount_amount)
    for row in invoice.vat_lines.all():
        rate = f"{row.rate.normalize():f}%"
        required[f"taxable at {rate}"] = f"Grondslag {rate} btw / Taxable at {rate}  {_eur(row.net_amount)}"
        required[f"VAT at {rate}"] = f"Btw {rate} / VAT {rate}  {_eur(row.vat_amount)}"
    if invoice.buyer_vat_id:
        required["buyer VAT id"] = invoice.buyer_vat_id
    if invoice.reverse_charge:
        required["reverse charge"] = "Btw verlegd"
    if invoice.export:
        required["export"] = "Export buiten de EU"
    if invoice.credit_of:
        required["credited invoice"] = f"Creditnota bij factuur {invoice.credit_of.number}"
    flat = " ".join(text.split())
    return [name for name, value in required.items() if " ".join(str(value).split()) not in flat]


def _pdf_of(invoice: Invoice) -> str:
    invoice_pdf_render(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as handle:
        return pdf_text(handle.read())


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["b2c", "b2b", "reverse_charge", "export", "credit_note", "discount_and_shipping"])
def test_invoice_pdf_has_every_mandatory_field(case):
    lines = [
        line(3, "12.40", discount="1.20", description="Theepot"),
        line(1, "4.09", kind="shipping", description="Verzendkosten"),
    ]
    customer = {
        "b2c": None,
        "b2b": b2b_customer(company_name="Handel B.V."),
        "reverse_charge": b2b_customer(country="DE", vat_id="DE136695976", company_name="Handel GmbH"),
        "export": b2b_customer(country="US", vat_id="", company_name="Trade Inc."),
        "credit_note": None,
        "discount_and_shipping": None,
    }[case]
    invoice = issue(customer, lines if case == "discount_and_shipping" else None, reference="SO-000123")
    if case == "credit_note":
        invoice = invoice_credit(invoice=invoice, reason="Retour", user=None)
    text = _pdf_of(invoice)
    assert _missing_fields(text, invoice) == [], text
    assert ("Creditnota" in text) == (case == "credit_note")
    assert "SO-000123" in text


@pytest.mark.django_db
def test_mandatory_field_check_notices_a_missing_field():
    invoice = issue(b2b_customer(country="DE", vat_id="DE136695976"))
    text = _pdf_of(invoice)
    assert _missing_fields(text.replace("Btw verlegd", "").replace("DE136695976", ""), invoice) == [
        "buyer VAT id",
        "reverse charge",
    ]


@pytest.mark.django_db
def test_invoice_pdf_render_stores_once():
    invoice = issue()
    assert invoice_pdf_render(invoice_id=invoice.pk) is True
    invoice.refresh_from_db()
    first = invoice.pdf.name
    assert first.endswith(f"{invoice.number}.pdf") and invoice.pdf.size > 1000
    assert invoice_pdf_render(invoice_id=invoice.pk) is False
    invoice.refresh_from_db()
    assert invoice.pdf.name == first
    with pytest.raises(IntegrityError, match="stored once"), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(pdf="invoices/other.pdf")


@pytest.mark.django_db
def test_invoice_pdf_render_task_twice_sends_one_email_with_the_pdf():
    # given an issued invoice of a customer with an e-mail address
    invoice = issue()
    # when the render task runs twice (a redelivered message)
    tasks.invoice_pdf_render.apply(kwargs={"invoice_id": invoice.pk})
    tasks.invoice_pdf_render.apply(kwargs={"invoice_id": invoice.pk})
    # then one e-mail went out, to the buyer, with the PDF attached
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [invoice.buyer_email] and invoice.number in message.subject
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == (f"{invoice.number}.pdf", "application/pdf") and content.startswith(b"%PDF")
    assert invoice.number in pdf_text(content)
    invoice.refresh_from_db()
    assert invoice.sent_at is not None


@pytest.mark.django_db
def test_invoice_email_send_releases_its_claim_when_smtp_fails(settings, monkeypatch):
    invoice = issue()

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMessage.send", refuse)
        with pytest.raises(ConnectionRefusedError):
            invoice_email_send(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.sent_at is None and deliver_once.state_of(delivery.DELIVERY.code, invoice.pk).claimed_until is None
    assert invoice_email_send(invoice_id=invoice.pk) == SendOutcome.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_invoice_email_send_skips_a_live_claim_and_retries_a_stale_one():
    invoice = issue()
    now = timezone.now()
    Delivery.objects.get_or_create(kind=delivery.DELIVERY.code, key=str(invoice.pk))
    claim = Delivery.objects.filter(kind=delivery.DELIVERY.code, key=str(invoice.pk))
    claim.update(state="claimed", claimed_until=now + delivery.CLAIM_TIMEOUT)
    assert invoice_email_send(invoice_id=invoice.pk) == SendOutcome.SKIPPED
    claim.update(claimed_until=now - timedelta(seconds=1))
    assert invoice_email_send(invoice_id=invoice.pk) == SendOutcome.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_invoice_email_send_without_address_sends_nothing():
    invoice = issue(CustomerFactory(email=""))
    assert invoice_email_send(invoice_id=invoice.pk) == SendOutcome.FAILED
    assert not mail.outbox


@pytest.mark.django_db(transaction=True)
def test_invoice_issue_renders_and_emails_after_commit():
    with transaction.atomic():
        invoice = issue()
        assert not mail.outbox  # nothing leaves before the commit
    invoice.refresh_from_db()
    assert invoice.pdf and invoice.sent_at and len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_invoice_issue_without_auto_send_only_renders(settings):
    settings.OMS_INVOICE_AUTO_SEND = False
    invoice = issue()
    invoice.refresh_from_db()
    assert invoice.pdf and invoice.sent_at is None and not mail.outbox


@pytest.mark.django_db(transaction=True)
def test_invoice_send_batch_sends_every_unsent_invoice_once(settings, accountant):
    # given three unsent invoices, one of them to a customer without an e-mail address
    settings.OMS_INVOICE_AUTO_SEND = False
    invoices = [issue(), issue(), issue(CustomerFactory(email=""))]
    # when a batch is started (its tasks run after commit; inline in tests)
    batch = invoice_send_batch_start(user=accountant)
    # then the two with an address were sent, and the progress says so
    progress = send_batch_progress(batch.pk)
    assert (progress.total, progress.sent, progress.failed, progress.finished) == (2, 2, 0, True)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(i.buyer_email for i in invoices[:2])
    assert SendBatchItem.objects.filter(batch=batch, outcome=SendOutcome.SENT).count() == 2
    # and a second batch finds nothing left to send
    with pytest.raises(Conflict) as exc:
        invoice_send_batch_start(user=accountant)
    assert exc.value.code == "nothing_to_send"


@pytest.mark.django_db
def test_send_batch_item_records_its_outcome_once(accountant):
    invoice = issue()
    batch = delivery.SendBatch.objects.create(created_by=accountant)
    SendBatchItem.objects.create(batch=batch, invoice=invoice)
    assert delivery.send_batch_item_finish(batch_id=batch.pk, invoice_id=invoice.pk, outcome=SendOutcome.SENT)
    assert not delivery.send_batch_item_finish(batch_id=batch.pk, invoice_id=invoice.pk, outcome=SendOutcome.FAILED)
    assert send_batch_progress(batch.pk).sent == 1


@pytest.mark.django_db
def test_invoice_deliveries_sweep_queues_what_was_not_delivered(monkeypatch):
    queued = []
    monkeypatch.setattr(delivery, "queue_delivery", lambda invoice_id, **kw: queued.append(invoice_id) or True)
    monkeypatch.setattr(delivery, "SWEEP_GRACE", timedelta(0))
    pending, delivered = issue(), issue()
    Invoice.objects.filter(pk=delivered.pk).update(pdf="invoices/x.pdf", sent_at=delivered.created_at)
    assert delivery.invoice_deliveries_sweep() == 1 and queued == [pending.pk]


@pytest.mark.django_db
def test_invoice_email_is_in_dutch_with_payment_instructions():
    invoice = issue(lines=[line(1, "100.00")])
    invoice_email_send(invoice_id=invoice.pk)
    body = mail.outbox[0].body
    assert "factuur " + invoice.number in body and invoice.seller["iban"] in body
    assert invoice.due_date.strftime("%d-%m-%Y") in body
    assert Decimal("121.00") == invoice.gross_amount


@pytest.mark.django_db
def test_invoice_pdf_content_restores_a_file_missing_from_this_hosts_storage(role_client):
    # given a PDF stored by a worker whose files this web process cannot see
    invoice = issue()
    invoice_pdf_render(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    name = invoice.pdf.name
    default_storage.delete(name)
    # when it is downloaded
    response = role_client("accounting").get(f"/billing/invoices/{invoice.number}/pdf/")
    # then it is rendered again into the same name (the invoice cannot have changed)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert default_storage.exists(name)
    invoice.refresh_from_db()
    assert invoice.pdf.name == name
