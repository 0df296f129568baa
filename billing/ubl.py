"""The invoice or credit note as an e-invoice: UBL 2.1 XML following Peppol BIS Billing 3.0 and
the Dutch rules of NLCIUS / SI-UBL 2.0 (both CIUSes of EN 16931).

Made from the issued document's own snapshot (lines, VAT rows, buyer and seller copies), never
from the catalogue or the customer, so it says what the PDF says. Nothing is stored: an issued
invoice never changes, so the document is made again on each request.

How our figures map to EN 16931:

* Line net (BT-131) = quantity x price - discount: the discount is a line allowance (BG-27),
  the price (BT-146) is never negative (BR-27), so a voucher line (negative unit price) is
  sent as a negative quantity at a positive price.
* VAT categories (BT-118/BT-151): a rate above zero is S (standard or reduced rate); a zero
  rate is AE on a reverse-charge invoice (with exemption reason, BR-AE-10), G on an export
  (BR-G-10) and Z otherwise. Our VAT rows are per rate, and on one invoice each rate has one
  category, so the breakdown (BG-23) is our VAT rows one to one.
* A credit note is a UBL ``CreditNote`` (type 381) with positive amounts (our credit notes are
  stored negative) and a ``BillingReference`` to the invoice it credits (NL-R-001).
* PrepaidAmount (BT-113) is what payments had paid on the invoice when the document is made
  (a cash sale: all of it), so PayableAmount (BT-115) is what is left to pay. A credit note is
  settled against its invoice and carries none.
* A document whose prices include VAT (a consumer's, ``prices_include_vat``) stores each line's
  amount incl. VAT, while EN 16931 line amounts are net. Each line's net is its part of its rate's
  net, spread as the ledger spreads it (``billing.calc.line_nets``), so the lines of a rate add
  up to the rate's net and the totals are the stored ones to the cent. Its discount is sent as
  the discount's net, and its price as the price of all its units (BT-149 base quantity =
  quantity), so quantity x price / base quantity - allowance is the line net exactly.
* An EU One Stop Shop invoice (``vat_country``) carries the destination country's rates as
  category S, with a note naming that country's VAT.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from billing import calc
from billing.models import Invoice, InvoiceLine
from oms.money import ZERO, vat_in_gross

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
CURRENCY = "EUR"
UNIT_CODE = "C62"  # UN/ECE rec. 20: "one" (a unit)
PAYMENT_MEANS_CREDIT_TRANSFER = "30"  # UNCL 4461, allowed by NL-R-007
SCHEME_KVK = "0106"  # ISO 6523 ICD: Dutch Chamber of Commerce number (NL-R-003)
SCHEME_EMAIL = "EM"  # Peppol EAS: electronic mail, for a buyer without a KvK number

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

# Exemption reasons for zero-rated categories (VATEX code list; text for the reader).
EXEMPTION = {
    "AE": ("VATEX-EU-AE", "Btw verlegd (reverse charge), art. 138 Btw-richtlijn"),
    "G": ("VATEX-EU-G", "Export buiten de EU (export outside the EU)"),
}

CONTENT_TYPE = "application/xml"


def vat_category(invoice: Invoice, rate: Decimal) -> str:
    """The EN 16931 VAT category code (UNCL 5305) of a rate on this invoice."""
    if rate != 0:
        return "S"
    if invoice.reverse_charge:
        return "AE"
    if invoice.export:
        return "G"
    return "Z"


def invoice_ubl_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.xml"


def invoice_ubl_bytes(invoice: Invoice) -> bytes:
    """The UBL 2.1 document of an invoice or credit note, UTF-8 encoded, with ``lines``,
    ``vat_lines`` and ``credit_of`` loaded (``billing.selectors.invoice_document``)."""
    return etree.tostring(_document(invoice), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


class _Builder:
    """Appends cbc/cac children; amounts get ``currencyID``, ``None`` and "" values are left out."""

    @staticmethod
    def cac(parent: etree._Element, name: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{NS_CAC}}}{name}")

    @staticmethod
    def cbc(parent: etree._Element, name: str, value, **attrs) -> etree._Element | None:
        if value is None or value == "":
            return None
        element = etree.SubElement(parent, f"{{{NS_CBC}}}{name}", **attrs)
        element.text = str(value)
        return element

    @classmethod
    def amount(cls, parent: etree._Element, name: str, value: Decimal) -> None:
        cls.cbc(parent, name, _money(value), currencyID=CURRENCY)


cac, cbc, amount = _Builder.cac, _Builder.cbc, _Builder.amount


def _document(invoice: Invoice) -> etree._Element:
    credit = invoice.is_credit_note
    sign = Decimal(-1) if credit else Decimal(1)
    root_ns = NS_CREDIT_NOTE if credit else NS_INVOICE
    root = etree.Element(f"{{{root_ns}}}{'CreditNote' if credit else 'Invoice'}", nsmap=_nsmap(root_ns))
    lines = list(invoice.lines.all())
    vat_rows = list(invoice.vat_lines.all())
    cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    cbc(root, "ProfileID", PROFILE_ID)
    cbc(root, "ID", invoice.number)
    cbc(root, "IssueDate", invoice.issue_date.isoformat())
    if not credit:
        cbc(root, "DueDate", invoice.due_date.isoformat())
        cbc(root, "InvoiceTypeCode", "380")
    else:
        cbc(root, "CreditNoteTypeCode", "381")
    for note in _notes(invoice):
        cbc(root, "Note", note)
    cbc(root, "DocumentCurrencyCode", CURRENCY)
    cbc(root, "BuyerReference", invoice.reference or invoice.customer.number)
    if credit and invoice.credit_of is not None:
        reference = cac(cac(root, "BillingReference"), "InvoiceDocumentReference")
        cbc(reference, "ID", invoice.credit_of.number)
        cbc(reference, "IssueDate", invoice.credit_of.issue_date.isoformat())
    _supplier(cac(root, "AccountingSupplierParty"), invoice.seller)
    _customer(cac(root, "AccountingCustomerParty"), invoice)
    delivery = cac(root, "Delivery")
    cbc(delivery, "ActualDeliveryDate", invoice.supply_date.isoformat())
    _payment(root, invoice)
    nets = line_nets(invoice, lines, vat_rows)
    _tax_total(root, invoice, vat_rows, sign)
    _monetary_total(root, invoice, nets, sign)
    for line, net in zip(lines, nets, strict=True):
        _line(root, invoice, line, net, sign)
    return root


def line_nets(invoice: Invoice, lines: list[InvoiceLine], vat_rows) -> list[Decimal]:
    """Each line's net (BT-131), as stored (signed): its amount, or on a document priced incl.
    VAT its part of its rate's stored net, spread as the ledger does."""
    totals = calc.Totals(
        net=invoice.net_amount,
        vat=invoice.vat_amount,
        gross=invoice.gross_amount,
        breakdown={
            row.rate: {"net": row.net_amount, "vat": row.vat_amount, "gross": row.net_amount + row.vat_amount}
            for row in vat_rows
        },
        prices_include_vat=invoice.prices_include_vat,
    )
    return calc.line_nets(lines, totals)  # type: ignore[arg-type]  # InvoiceLine has the fields read


def _nsmap(root_ns: str) -> dict:
    return {None: root_ns, "cac": NS_CAC, "cbc": NS_CBC}


def _notes(invoice: Invoice) -> list[str]:
    notes = []
    if invoice.reverse_charge:
        notes.append(f"Btw verlegd (VAT reverse charged). Btw-nummer afnemer: {invoice.buyer_vat_id}.")
    if invoice.export:
        notes.append("Export buiten de EU: 0% btw (zero-rated export of goods).")
    if invoice.vat_country:
        notes.append(
            f"Btw van het land van bestemming {invoice.vat_country} (EU-éénloketsysteem, OSS) / "
            f"VAT of {invoice.vat_country} (EU One Stop Shop)."
        )
    if invoice.prices_include_vat:
        notes.append("Prijzen incl. btw / Prices include VAT; de regelbedragen hier zijn excl. btw.")
    if invoice.is_credit_note and invoice.credit_reason:
        notes.append(f"Reden / reason: {invoice.credit_reason}")
    return notes


def _address(parent: etree._Element, *, street: str, city: str, postal_code: str, country: str) -> None:
    address = cac(parent, "PostalAddress")
    cbc(address, "StreetName", street)
    cbc(address, "CityName", city)
    cbc(address, "PostalZone", postal_code)
    cbc(cac(address, "Country"), "IdentificationCode", country)


def _tax_scheme(parent: etree._Element, vat_id: str) -> None:
    if not vat_id:
        return
    scheme = cac(parent, "PartyTaxScheme")
    cbc(scheme, "CompanyID", vat_id)
    cbc(cac(scheme, "TaxScheme"), "ID", "VAT")


def _supplier(parent: etree._Element, seller: dict) -> None:
    party = cac(parent, "Party")
    kvk = seller.get("kvk", "")
    if kvk:
        cbc(party, "EndpointID", kvk, schemeID=SCHEME_KVK)
    cbc(cac(party, "PartyName"), "Name", seller.get("name", ""))
    _address(
        party,
        street=seller.get("street", ""),
        city=seller.get("city", ""),
        postal_code=seller.get("postal_code", ""),
        country=seller.get("country", "NL") or "NL",
    )
    _tax_scheme(party, seller.get("vat_id", ""))
    legal = cac(party, "PartyLegalEntity")
    cbc(legal, "RegistrationName", seller.get("name", ""))
    if kvk:
        cbc(legal, "CompanyID", kvk, schemeID=SCHEME_KVK)
    if seller.get("email"):
        cbc(cac(party, "Contact"), "ElectronicMail", seller["email"])


def _customer(parent: etree._Element, invoice: Invoice) -> None:
    party = cac(parent, "Party")
    if invoice.buyer_coc_number:
        cbc(party, "EndpointID", invoice.buyer_coc_number, schemeID=SCHEME_KVK)
    elif invoice.buyer_email:
        cbc(party, "EndpointID", invoice.buyer_email, schemeID=SCHEME_EMAIL)
    cbc(cac(party, "PartyIdentification"), "ID", invoice.customer.number)
    cbc(cac(party, "PartyName"), "Name", invoice.buyer_company or invoice.buyer_name)
    _address(
        party,
        street=invoice.buyer_street,
        city=invoice.buyer_city,
        postal_code=invoice.buyer_postal_code,
        # A consumer invoiced without an address: the seller's country is the best we know.
        country=invoice.buyer_country or invoice.seller.get("country", "NL") or "NL",
    )
    _tax_scheme(party, invoice.buyer_vat_id)
    legal = cac(party, "PartyLegalEntity")
    cbc(legal, "RegistrationName", invoice.buyer_company or invoice.buyer_name)
    if invoice.buyer_coc_number:
        cbc(legal, "CompanyID", invoice.buyer_coc_number, schemeID=SCHEME_KVK)
    if invoice.buyer_company or invoice.buyer_email:
        contact = cac(party, "Contact")
        if invoice.buyer_company:
            cbc(contact, "Name", invoice.buyer_name)
        cbc(contact, "ElectronicMail", invoice.buyer_email)


def _payment(root: etree._Element, invoice: Invoice) -> None:
    iban = invoice.seller.get("iban", "")
    if invoice.is_credit_note or not iban:
        return
    means = cac(root, "PaymentMeans")
    cbc(means, "PaymentMeansCode", PAYMENT_MEANS_CREDIT_TRANSFER)
    cbc(means, "PaymentID", invoice.number)
    account = cac(means, "PayeeFinancialAccount")
    cbc(account, "ID", iban.replace(" ", ""))
    cbc(account, "Name", invoice.seller.get("name", ""))
    cbc(cac(root, "PaymentTerms"), "Note", f"Betaling binnen {invoice.payment_terms_days} dagen")


def _tax_category(parent: etree._Element, name: str, invoice: Invoice, rate: Decimal, *, reason: bool) -> None:
    category = cac(parent, name)
    code = vat_category(invoice, rate)
    cbc(category, "ID", code)
    cbc(category, "Percent", _money(rate))
    if reason and code in EXEMPTION:
        cbc(category, "TaxExemptionReasonCode", EXEMPTION[code][0])
        cbc(category, "TaxExemptionReason", EXEMPTION[code][1])
    cbc(cac(category, "TaxScheme"), "ID", "VAT")


def _tax_total(root: etree._Element, invoice: Invoice, vat_rows, sign: Decimal) -> None:
    total = cac(root, "TaxTotal")
    amount(total, "TaxAmount", sign * invoice.vat_amount)
    for row in vat_rows:
        subtotal = cac(total, "TaxSubtotal")
        amount(subtotal, "TaxableAmount", sign * row.net_amount)
        amount(subtotal, "TaxAmount", sign * row.vat_amount)
        _tax_category(subtotal, "TaxCategory", invoice, row.rate, reason=True)


def prepaid_amount(invoice: Invoice) -> Decimal:
    if invoice.is_credit_note:
        return ZERO
    return min(max(invoice.amount_paid, ZERO), invoice.gross_amount)


def _monetary_total(root: etree._Element, invoice: Invoice, nets: list[Decimal], sign: Decimal) -> None:
    total = cac(root, "LegalMonetaryTotal")
    prepaid = prepaid_amount(invoice)
    amount(total, "LineExtensionAmount", sign * sum(nets, ZERO))
    amount(total, "TaxExclusiveAmount", sign * invoice.net_amount)
    amount(total, "TaxInclusiveAmount", sign * invoice.gross_amount)
    if prepaid:
        amount(total, "PrepaidAmount", prepaid)
    amount(total, "PayableAmount", sign * invoice.gross_amount - prepaid)


def _line(root: etree._Element, invoice: Invoice, line: InvoiceLine, net: Decimal, sign: Decimal) -> None:
    credit = invoice.is_credit_note
    element = cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    quantity, price, base = sign * line.quantity, line.unit_price, None
    discount = sign * line.discount_amount
    if invoice.prices_include_vat:
        # Net figures from the spread net: the discount's net, the price of all units (BT-149).
        discount = discount - vat_in_gross(discount, line.vat_rate)
        price = (sign * net + discount) * (1 if quantity >= 0 else -1)
        base = abs(quantity) or 1
    if price < 0:  # BR-27: a price is never negative; a voucher is a negative quantity
        quantity, price = -quantity, -price
    cbc(element, "ID", line.position)
    cbc(element, "CreditedQuantity" if credit else "InvoicedQuantity", quantity, unitCode=UNIT_CODE)
    amount(element, "LineExtensionAmount", sign * net)
    if discount:
        allowance = cac(element, "AllowanceCharge")
        cbc(allowance, "ChargeIndicator", "false")
        cbc(allowance, "AllowanceChargeReasonCode", "95")  # UNCL 5189: discount
        cbc(allowance, "AllowanceChargeReason", "Korting")
        amount(allowance, "Amount", discount)
    item = cac(element, "Item")
    cbc(item, "Name", line.description[:200])
    if line.sku:
        cbc(cac(item, "SellersItemIdentification"), "ID", line.sku)
    _tax_category(item, "ClassifiedTaxCategory", invoice, line.vat_rate, reason=False)
    price_element = cac(element, "Price")
    amount(price_element, "PriceAmount", price)
    if base is not None and base != 1:
        cbc(price_element, "BaseQuantity", base, unitCode=UNIT_CODE)
