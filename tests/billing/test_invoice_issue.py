"""invoice_issue: numbers, snapshots, VAT per rate, tax treatment, posting, validation."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from billing.models import Invoice, InvoiceCounter, InvoiceStatus, JournalEntry
from billing.services import invoice_issue
from customers.models import AddressKind
from oms.errors import ValidationFailed
from oms.models import OutboxEvent
from tests.factories.billing import b2b_customer, b2c_customer, issue, line
from tests.factories.customers import AddressFactory, CustomerFactory

SUPPLY = date(2026, 3, 2)


def _posting(invoice):
    return {
        (row.account.code, row.customer_id): (row.debit, row.credit)
        for row in invoice.journal_entry.lines.select_related("account")
    }


@pytest.mark.django_db
def test_invoice_issue_numbers_computes_vat_per_rate_and_posts_the_receivable(accountant):
    # given a consumer with a billing address
    customer = b2c_customer(payment_terms_days=14)
    # when two lines at 21% and 9% are invoiced
    invoice = issue(customer, supply_date=SUPPLY, issue_date=SUPPLY, user=accountant)
    # then the first number of the year is drawn
    assert invoice.number == "2026-000001" and invoice.sequence == 1
    # and VAT is computed per rate over the invoice, half-up
    assert [(r.rate, r.net_amount, r.vat_amount) for r in invoice.vat_lines.all()] == [
        (Decimal("21.00"), Decimal("16.52"), Decimal("3.47")),  # 3.4692
        (Decimal("9.00"), Decimal("14.50"), Decimal("1.31")),  # 1.305 rounds up
    ]
    assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
        Decimal("31.02"),
        Decimal("4.78"),
        Decimal("35.80"),
    )
    # and the receivable is posted: debit the customer, credit revenue and VAT per rate
    assert _posting(invoice) == {
        ("1300", customer.pk): (Decimal("35.80"), Decimal("0.00")),
        ("8000", None): (Decimal("0.00"), Decimal("16.52")),
        ("8010", None): (Decimal("0.00"), Decimal("14.50")),
        ("1500", None): (Decimal("0.00"), Decimal("3.47")),
        ("1510", None): (Decimal("0.00"), Decimal("1.31")),
    }
    assert invoice.journal_entry.date == SUPPLY and invoice.journal_entry.reference == "invoice 2026-000001"
    assert invoice.due_date == SUPPLY + timedelta(days=14) and invoice.status == InvoiceStatus.ISSUED
    assert invoice.created_by == accountant


@pytest.mark.django_db
def test_invoice_issue_snapshots_buyer_and_seller(settings):
    customer = b2b_customer(company_name="Handel B.V.", name="Jan Jansen", coc_number="87654321")
    invoice = issue(customer)
    assert (invoice.buyer_company, invoice.buyer_name, invoice.buyer_vat_id, invoice.buyer_coc_number) == (
        "Handel B.V.",
        "Jan Jansen",
        "NL000099998B57",
        "87654321",
    )
    assert invoice.buyer_street == "Handelsweg 7" and invoice.buyer_postal_code == "1012 LG"
    assert invoice.seller["kvk"] == settings.OMS_SELLER["kvk"] and invoice.seller["iban"]
    # later changes to the customer do not change the invoice
    customer.company_name = "Renamed B.V."
    customer.save(update_fields=["company_name"])
    assert Invoice.objects.get(pk=invoice.pk).buyer_company == "Handel B.V."


@pytest.mark.django_db
def test_invoice_issue_prefers_the_billing_address_and_falls_back_to_shipping():
    customer = CustomerFactory()
    AddressFactory(customer=customer, kind=AddressKind.SHIPPING, street="Shipweg", postal_code="1234 AB")
    assert issue(customer).buyer_street.startswith("Shipweg")
    AddressFactory(customer=customer, kind=AddressKind.BILLING, street="Billweg", postal_code="1234 AB")
    assert issue(customer).buyer_street.startswith("Billweg")


@pytest.mark.django_db
def test_invoice_issue_numbers_follow_each_other_per_year():
    customer = b2c_customer()
    numbers = [issue(customer, issue_date=date(2026, 12, 31)).number for _ in range(3)]
    numbers.append(issue(customer, issue_date=date(2027, 1, 1)).number)
    assert numbers == ["2026-000001", "2026-000002", "2026-000003", "2027-000001"]
    assert InvoiceCounter.objects.get(series="invoice", year=2026).next_number == 4


@pytest.mark.django_db
def test_invoice_issue_refuses_a_date_before_the_last_invoice_of_the_series():
    customer = b2c_customer()
    issue(customer, issue_date=date(2026, 5, 10))
    with pytest.raises(ValidationFailed) as exc:
        issue(customer, issue_date=date(2026, 5, 9))
    assert exc.value.code == "issue_date_before_last"
    assert Invoice.objects.count() == 1


@pytest.mark.django_db
def test_invoice_issue_applies_reverse_charge_to_an_eu_business_with_a_valid_vat_id():
    customer = b2b_customer(country="DE", vat_id="DE136695976")
    invoice = issue(customer)
    assert invoice.reverse_charge and not invoice.export
    assert invoice.vat_amount == 0 and invoice.buyer_vat_id == "DE136695976"
    assert {row.rate for row in invoice.vat_lines.all()} == {Decimal("0.00")}
    assert _posting(invoice) == {
        ("1300", customer.pk): (Decimal("31.02"), Decimal("0.00")),
        ("8030", None): (Decimal("0.00"), Decimal("31.02")),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "country, vat_id",
    [("NL", "NL000099998B57"), ("DE", "DE136695977"), ("DE", ""), ("BE", "DE136695976")],
    ids=["dutch", "bad-check-digit", "no-vat-id", "vat-id-of-other-country"],
)
def test_invoice_issue_charges_dutch_vat_without_a_valid_foreign_vat_id(country, vat_id):
    invoice = issue(b2b_customer(country=country, vat_id=vat_id))
    assert not invoice.reverse_charge and invoice.vat_amount == Decimal("4.78")
    with pytest.raises(ValidationFailed) as exc:
        issue(b2b_customer(country=country, vat_id=vat_id), reverse_charge=True)
    assert exc.value.code == "reverse_charge_not_allowed"


@pytest.mark.django_db
def test_invoice_issue_zero_rates_an_export_outside_the_eu():
    invoice = issue(b2b_customer(country="US", vat_id=""))
    assert invoice.export and not invoice.reverse_charge and invoice.vat_amount == 0
    assert ("8040", None) in _posting(invoice)
    # the caller who knows the destination may say otherwise
    assert not issue(b2b_customer(country="US", vat_id=""), export=False).export


@pytest.mark.django_db
def test_invoice_issue_posts_shipping_to_shipping_revenue_with_discounts_netted():
    lines = [line(3, "10.00", discount="5.00"), line(1, "4.09", kind="shipping", description="Verzending")]
    invoice = issue(lines=lines)
    assert [row.net_amount for row in invoice.lines.all()] == [Decimal("25.00"), Decimal("4.09")]
    posting = _posting(invoice)
    assert posting[("8000", None)] == (Decimal("0.00"), Decimal("25.00"))
    assert posting[("8100", None)] == (Decimal("0.00"), Decimal("4.09"))
    assert posting[("1500", None)] == (Decimal("0.00"), Decimal("6.11"))  # 21% of 29.09 = 6.1089


@pytest.mark.django_db
def test_invoice_issue_takes_the_rate_of_the_supply_date():
    # the low rate was 6% until 2019-01-01 and 9% since (oms.reference.VAT_RATES)
    before = issue(lines=[line(1, "100.00", "low")], supply_date=date(2018, 12, 31))
    after = issue(lines=[line(1, "100.00", "low")], supply_date=date(2019, 1, 1))
    assert (before.vat_amount, after.vat_amount) == (Decimal("6.00"), Decimal("9.00"))


@pytest.mark.django_db
def test_invoice_issue_publishes_invoice_issued():
    invoice = issue()
    event = OutboxEvent.objects.get(name="invoice.issued")
    assert event.payload == {
        "invoice_id": invoice.pk,
        "number": invoice.number,
        "kind": "invoice",
        "customer_id": invoice.customer_id,
        "credit_of_id": None,
        "gross_amount": "35.80",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lines, field, code",
    [
        ([], "lines", "no_lines"),
        ([line(0)], "lines.0.quantity", "invalid_quantity"),
        ([line(1.5)], "lines.0.quantity", "invalid_quantity"),
        ([line(True)], "lines.0.quantity", "invalid_quantity"),
        ([line(1), line(2, "1.005")], "lines.1.unit_price", "invalid_amount"),
        ([line(1, "10.00", discount="10.01")], "lines.0.discount", "invalid_discount"),
        ([line(1, "10.00", discount="-1.00")], "lines.0.discount", "invalid_discount"),
        ([line(1, "10.00", "super")], "lines.0.vat_category", "invalid_vat_category"),
        ([{"quantity": 1, "unit_price": "1.00"}], "lines.0.description", "required"),
        ([line(1, "-10.00")], None, "negative_total"),
        ([line(1, "10.00", "low"), line(1, "-5.00")], "lines", "negative_rate_total"),
    ],
)
def test_invoice_issue_refuses_bad_lines_and_writes_nothing(lines, field, code):
    with pytest.raises(ValidationFailed) as exc:
        issue(lines=lines)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert not Invoice.objects.exists() and not JournalEntry.objects.exists()
    assert not InvoiceCounter.objects.exists()


@pytest.mark.django_db
def test_invoice_issue_allows_a_voucher_line_below_a_positive_total():
    invoice = issue(lines=[line(1, "50.00"), line(1, "-10.00", description="Waardebon")])
    assert invoice.net_amount == Decimal("40.00") and invoice.vat_amount == Decimal("8.40")


@pytest.mark.django_db
def test_invoice_issue_needs_a_street_address_for_a_business():
    customer = CustomerFactory(b2b=True)
    with pytest.raises(ValidationFailed) as exc:
        issue(customer)
    assert exc.value.code == "buyer_address_missing"
    AddressFactory(customer=customer, kind=AddressKind.BILLING, street="Postbus", house_number="100")
    with pytest.raises(ValidationFailed) as exc:
        issue(customer)
    assert exc.value.code == "buyer_address_po_box"


@pytest.mark.django_db
def test_invoice_issue_for_a_consumer_without_address_prints_the_name_only():
    invoice = issue(CustomerFactory(name="Piet Puk"))
    assert invoice.buyer_name == "Piet Puk" and invoice.buyer_address_lines == []


@pytest.mark.django_db
def test_invoice_issue_with_a_free_delivery_posts_nothing():
    invoice = issue(lines=[line(1, "0.00")])
    assert invoice.gross_amount == 0 and invoice.journal_entry is None and invoice.status == InvoiceStatus.PAID


@pytest.mark.django_db
def test_invoice_issue_payment_terms_default_to_the_customer_and_may_be_given():
    customer = b2b_customer(payment_terms_days=30)
    assert issue(customer, issue_date=SUPPLY).due_date == date(2026, 4, 1)
    assert issue(customer, issue_date=SUPPLY, payment_terms_days=0).due_date == SUPPLY
    with pytest.raises(ValidationFailed):
        issue(customer, payment_terms_days=400)


@pytest.mark.django_db
@override_settings(OMS_SELLER={"name": "Other B.V.", "kvk": "11112222", "vat_id": "NL1", "iban": "NL02"})
def test_invoice_issue_takes_the_seller_from_settings():
    invoice = invoice_issue(customer=b2c_customer(), lines=[line()], supply_date=SUPPLY, user=None)
    assert invoice.seller["name"] == "Other B.V." and invoice.seller["kvk"] == "11112222"
