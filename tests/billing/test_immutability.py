"""An issued invoice cannot be changed: not by save(), not by QuerySet.update(), not by raw SQL.
Only its payment status, amounts paid and credited, the PDF (once) and sending (once) change."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing.models import INVOICE_MUTABLE_COLUMNS, Invoice, InvoiceCounter, InvoiceLine, InvoiceVat
from billing.services import journal_post
from tests.factories.billing import issue


def _refused(action, match="cannot be changed|immutable|stored once|already sent|only count up|protected"):
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        action()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("number", "2026-999999"),
        ("gross_amount", Decimal("1.00")),
        ("buyer_name", "Someone else"),
        ("issue_date", timezone.localdate() + timedelta(days=1)),
        ("reverse_charge", True),
        ("seller", {"name": "Forged B.V."}),
    ],
)
def test_issued_invoice_refuses_changes_through_save_and_update(field, value):
    invoice = issue()
    setattr(invoice, field, value)
    _refused(lambda: invoice.save(update_fields=[field]))
    _refused(lambda: invoice.save())
    _refused(lambda: Invoice.objects.filter(pk=invoice.pk).update(**{field: value}))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_invoice SET net_amount = 0, vat_amount = 0, gross_amount = 0 WHERE id = %s",
        "UPDATE billing_invoice SET customer_id = customer_id WHERE id = %s AND false",  # no row: allowed
        "DELETE FROM billing_invoice WHERE id = %s",
        "UPDATE billing_invoiceline SET unit_price = 0.01 WHERE invoice_id = %s",
        "DELETE FROM billing_invoiceline WHERE invoice_id = %s",
        "UPDATE billing_invoicevat SET vat_amount = 0 WHERE invoice_id = %s",
        "DELETE FROM billing_invoicevat WHERE invoice_id = %s",
    ],
)
def test_issued_invoice_refuses_raw_sql(sql):
    invoice = issue()

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, [invoice.pk])

    if "AND false" in sql:
        run()  # a statement touching no row is harmless
        return
    _refused(run, match="cannot be deleted|cannot be changed|immutable")


@pytest.mark.django_db
def test_issued_invoice_lines_refuse_orm_changes():
    invoice = issue()
    line = invoice.lines.first()
    _refused(lambda: InvoiceLine.objects.filter(pk=line.pk).update(quantity=99))
    _refused(lambda: InvoiceVat.objects.filter(invoice=invoice).delete())
    line.description = "changed"
    _refused(lambda: line.save(update_fields=["description"]))


@pytest.mark.django_db
def test_issued_invoice_allows_status_payment_credit_pdf_and_sending_columns():
    invoice = issue()
    now = timezone.now()
    Invoice.objects.filter(pk=invoice.pk).update(
        status="partially_paid", amount_paid=Decimal("5.00"), amount_credited=Decimal("1.00")
    )
    Invoice.objects.filter(pk=invoice.pk).update(pdf="invoices/2026/x.pdf")
    Invoice.objects.filter(pk=invoice.pk).update(sent_at=now)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.pdf.name) == (
        "partially_paid",
        Decimal("5.00"),
        "invoices/2026/x.pdf",
    )
    # an unchanged save is harmless too
    invoice.save()
    # but the PDF is stored once and the sending recorded once
    _refused(lambda: Invoice.objects.filter(pk=invoice.pk).update(pdf="invoices/2026/y.pdf"))
    _refused(lambda: Invoice.objects.filter(pk=invoice.pk).update(sent_at=None))


@pytest.mark.django_db
def test_mutable_columns_in_the_trigger_are_the_models_list():
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'billing_invoice_guard'")
        source = cursor.fetchone()[0]
    listed = source.split("ARRAY[", 1)[1].split("]", 1)[0]
    assert [name.strip(" '") for name in listed.split(",")] == list(INVOICE_MUTABLE_COLUMNS)


@pytest.mark.django_db
def test_invoice_counter_never_goes_back():
    issue()
    _refused(lambda: InvoiceCounter.objects.update(next_number=1))
    _refused(lambda: InvoiceCounter.objects.all().delete())


@pytest.mark.django_db(transaction=True)
def test_a_line_added_to_an_issued_invoice_fails_at_commit(no_delivery):
    invoice = issue()
    line = invoice.lines.first()
    with pytest.raises(IntegrityError, match="does not add up"), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=invoice,
            position=99,
            description="slipped in",
            quantity=1,
            unit_price=Decimal("0.00"),
            vat_category="high",
            vat_rate=line.vat_rate,
            net_amount=Decimal("0.00"),
        )
    assert invoice.lines.count() == 2


@pytest.mark.django_db(transaction=True)
def test_an_invoice_whose_vat_is_not_rounded_per_rate_fails_at_commit(no_delivery):
    # given the rows of an invoice written by hand, with VAT rounded per line instead of per rate
    invoice = issue()
    with pytest.raises(IntegrityError, match="rounded half-up per rate"), transaction.atomic():
        entry = journal_post(
            date=invoice.issue_date,
            description="hand-made",
            lines=[
                {"account": "1300", "debit": "12.11", "customer": invoice.customer_id},
                {"account": "8000", "credit": "10.00"},
                {"account": "1500", "credit": "2.11"},
            ],
        )
        fields = {f.attname: getattr(invoice, f.attname) for f in Invoice._meta.concrete_fields if f.attname != "id"}
        copy = Invoice.objects.create(
            **{
                **fields,
                "number": "2026-900000",
                "sequence": 900000,
                "journal_entry_id": entry.pk,
                "net_amount": Decimal("10.00"),
                "vat_amount": Decimal("2.11"),
                "gross_amount": Decimal("12.11"),
                "line_count": 1,
            }
        )
        InvoiceLine.objects.create(
            invoice=copy,
            position=1,
            description="x",
            quantity=1,
            unit_price=Decimal("10.00"),
            vat_category="high",
            vat_rate=Decimal("21.00"),
            net_amount=Decimal("10.00"),
        )
        InvoiceVat.objects.create(
            invoice=copy, rate=Decimal("21.00"), net_amount=Decimal("10.00"), vat_amount=Decimal("2.11")
        )
    assert not Invoice.objects.filter(number="2026-900000").exists()
