"""Issue 15 defect 8: EU consumers pay their own country's VAT above the distance-selling
threshold (the One Stop Shop), with a quarterly OSS return per country and rate."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import accounts
from billing.models import Invoice, InvoiceKind, JournalLine
from billing.selectors import oss_quarter, quarter_dates
from billing.services import invoice_credit, invoice_pdf_render
from oms.errors import ValidationFailed
from oms.invariants import violations
from oms.oss import oss_rates_on
from oms.roles import Role
from tests.billing.test_order_invoices_add_up import ship
from tests.factories.billing import b2b_customer
from tests.factories.payments import dispatch_pending, place
from tests.support.pdf import pdf_text

pytestmark = pytest.mark.django_db

BRUSSELS = {"street": "Rue Neuve", "house_number": "1", "postal_code": "1000", "city": "Bruxelles", "country": "BE"}
BERLIN = {"street": "Unter den Linden", "house_number": "5", "postal_code": "10117", "city": "Berlin", "country": "DE"}


def test_the_oss_rates_are_dated_per_country():
    assert oss_rates_on("BE", date(2026, 12, 1)) == {"high": Decimal("21.00"), "low": Decimal("6.00"), "zero": 0}
    assert oss_rates_on("DE", date(2020, 8, 1))["high"] == Decimal("16.00")  # the 2020 cut
    assert oss_rates_on("de", date(2021, 1, 1))["high"] == Decimal("19.00")
    assert oss_rates_on("FR", date(2026, 1, 1))["low"] == Decimal("5.50")
    assert oss_rates_on("LU", date(2023, 6, 1))["high"] == Decimal("16.00")
    assert oss_rates_on("LU", date(2024, 1, 1))["high"] == Decimal("17.00")
    with pytest.raises(LookupError):
        oss_rates_on("AT", date(2026, 1, 1))


def test_below_the_threshold_a_consumer_in_brussels_pays_dutch_vat(shop, no_delivery, settings):
    settings.OMS_OSS_ABOVE_THRESHOLD = False
    order = place(shop.consumer, ("BOOK-1", 1), shipping_address=BRUSSELS)
    assert order.vat_regime == "domestic" and order.lines.get().vat_rate == Decimal("9.00")


def test_above_the_threshold_a_consumer_in_brussels_pays_belgian_vat_on_the_shelf_price(shop, no_delivery, settings):
    settings.OMS_OSS_ABOVE_THRESHOLD = True
    # given a consumer in Brussels ordering a mug (9.99) and a book (21.80), by bank transfer
    order = place(shop.consumer, ("MUG-RED", 1), ("BOOK-1", 1), shipping_address=BRUSSELS, method="bank_transfer")
    dispatch_pending()
    # then Belgian VAT: 21% on the mug and shipping, 6% on the book; the shelf prices stay
    assert order.vat_regime == "oss" and order.prices_include_vat
    rates = {line.sku: line.vat_rate for line in order.lines.all()}
    assert rates == {"MUG-RED": Decimal("21.00"), "BOOK-1": Decimal("6.00")}
    assert order.gross_amount == Decimal("9.99") + Decimal("21.80") + Decimal("5.99")
    assert order.vat_amount == Decimal("2.77") + Decimal("1.23")  # 15.98 x 21/121, 21.80 x 6/106
    # when it ships, the invoice states Belgium's VAT and books it to the OSS account
    ship(order, {line.pk: line.quantity for line in order.lines.all()})
    invoice = Invoice.objects.get(order=order, kind=InvoiceKind.INVOICE)
    assert invoice.vat_country == "BE" and invoice.gross_amount == order.gross_amount
    assert {(v.rate, v.vat_amount) for v in invoice.vat_lines.all()} == {
        (Decimal("21.00"), Decimal("2.77")),
        (Decimal("6.00"), Decimal("1.23")),
    }
    legs = JournalLine.objects.filter(entry=invoice.journal_entry).select_related("account")
    oss_vat = [leg for leg in legs if leg.account.code == accounts.VAT_PAYABLE_OSS]
    assert sum(leg.credit for leg in oss_vat) == Decimal("4.00") and all("OSS BE" in leg.memo for leg in oss_vat)
    assert not [leg for leg in legs if leg.account.code in (accounts.VAT_PAYABLE_HIGH, accounts.VAT_PAYABLE_LOW)]
    invoice_pdf_render(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as handle:
        text = " ".join(pdf_text(handle.read()).replace("\u00a0", " ").split())
    assert "VAT of BE (EU One Stop Shop)" in text and "Btw 6% BE" in text
    assert violations() == {}


def test_a_business_in_brussels_with_a_vat_id_stays_reverse_charged(shop, no_delivery, settings):
    settings.OMS_OSS_ABOVE_THRESHOLD = True
    business = b2b_customer(country="BE", vat_id="BE0403170701", company_name="Bruxelles SA")
    order = place(business, ("MUG-RED", 1), shipping_address=BRUSSELS, method="bank_transfer")
    assert order.vat_regime == "reverse_charge" and order.vat_amount == 0


def test_a_consumer_in_a_country_without_oss_rates_is_a_clear_400(shop, no_delivery, settings):
    settings.OMS_OSS_ABOVE_THRESHOLD = True
    vienna = BRUSSELS | {"postal_code": "1010", "city": "Wien", "country": "AT"}
    with pytest.raises(ValidationFailed) as caught:
        place(shop.consumer, ("MUG-RED", 1), shipping_address=vienna)
    assert (caught.value.field, caught.value.code) == ("shipping_address.country", "no_oss_rates")


def test_the_oss_return_sums_invoices_less_credit_notes_per_country_and_rate(shop, no_delivery, settings, role_client):
    settings.OMS_OSS_ABOVE_THRESHOLD = True
    # given OSS sales to Brussels and Berlin, one of the Berlin invoices credited, and a Dutch sale
    for address, items in ((BRUSSELS, [("BOOK-1", 1)]), (BERLIN, [("MUG-RED", 2)]), (BERLIN, [("MUG-RED", 1)])):
        order = place(shop.consumer, *items, shipping_address=address, method="bank_transfer")
        dispatch_pending()
        ship(order, {line.pk: line.quantity for line in order.lines.all()})
    dutch = place(shop.consumer, ("MUG-RED", 1), method="bank_transfer")
    dispatch_pending()
    ship(dutch, {dutch.lines.get().pk: 1})
    last_berlin = Invoice.objects.filter(vat_country="DE").order_by("id").last()
    note = invoice_credit(invoice=last_berlin, reason="Retour", user=None)
    assert note.vat_country == "DE"
    # when accounting asks for this quarter's return
    today = timezone.localdate()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    rows = {(r.country, r.rate): (r.net, r.vat, r.documents) for r in oss_quarter(year, quarter)}
    # then per country and rate the taxable amount and VAT, the credit note taken off, no Dutch sale
    be = [i for i in Invoice.objects.filter(vat_country="BE")]
    assert rows[("BE", Decimal("6.00"))][1] == sum(v.vat_amount for i in be for v in i.vat_lines.filter(rate=6))
    berlin_first = Invoice.objects.filter(vat_country="DE").order_by("id").first()
    assert rows[("DE", Decimal("19.00"))][:2] == (
        berlin_first.net_amount,
        berlin_first.vat_amount,
    )  # the second Berlin invoice less its credit note is nothing
    assert rows[("DE", Decimal("19.00"))][2] == 3
    assert {country for country, _ in rows} == {"BE", "DE"}
    first, last = quarter_dates(year, quarter)
    assert first.day == 1 and last >= today >= first
    # and the screen and its CSV say the same
    client = role_client(Role.ACCOUNTING)
    page = client.get("/billing/oss/", {"year": year, "quarter": quarter}).content.decode()
    assert page.count('data-testid="oss-row"') == len(rows)
    csv = b"".join(client.get("/billing/oss/export.csv", {"year": year, "quarter": quarter}).streaming_content)
    lines = csv.decode().splitlines()
    assert lines[0] == "country,rate,taxable_amount,vat,documents" and len(lines) == len(rows) + 1
    assert f"DE,19,{berlin_first.net_amount:.2f},{berlin_first.vat_amount:.2f},3" in lines
    assert client.get("/billing/oss/", {"year": "x", "quarter": "9"}).status_code == 200  # the last quarter then
    assert violations() == {}
