"""Issue 15 defect 7: consumers are priced incl. VAT, from the product's consumer price.

A consumer's order totals the sum of its shelf prices to the cent (VAT extracted once per rate:
gross x rate / (100 + rate)); its per-shipment invoices add up to it per rate (the last takes
the remainder), credit notes cancel them to the cent, the ledger balances, and the documents say
the prices include VAT. A business stays excl. VAT."""

import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from billing.models import Invoice, InvoiceKind, JournalLine
from billing.services import invoice_credit, invoice_pdf_render
from oms.invariants import violations
from oms.money import quantize
from orders.models import Order
from orders.pricing import order_totals
from tests.billing.test_order_invoices_add_up import ship
from tests.factories.billing import b2c_customer
from tests.factories.inventory import ProductFactory, stock
from tests.factories.payments import dispatch_pending, place
from tests.support.pdf import pdf_text

pytestmark = pytest.mark.django_db


def _invoices(order) -> list[Invoice]:
    return list(Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).order_by("id"))


def _per_rate(invoices) -> dict[Decimal, tuple[Decimal, Decimal]]:
    sums: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for invoice in invoices:
        for row in invoice.vat_lines.all():
            net, vat = sums.get(quantize(row.rate), (Decimal("0.00"), Decimal("0.00")))
            sums[quantize(row.rate)] = (net + row.net_amount, vat + row.vat_amount)
    return sums


def _order_per_rate(order) -> dict[Decimal, tuple[Decimal, Decimal]]:
    totals = order_totals(
        ((line.line_total, line.vat_rate) for line in order.lines.all()),
        order.shipping_amount,
        order.shipping_vat_rate,
        prices_include_vat=order.prices_include_vat,
    )
    return {quantize(rate): (row["net"], row["vat"]) for rate, row in totals.by_rate.items()}


def test_a_consumer_order_costs_its_shelf_prices_and_its_invoices_add_up_to_it(shop, no_delivery):
    # given a consumer paying by bank transfer (invoiced per shipment): 3 mugs at 9.99 (8.26
    # excl. VAT) and a book at 21.80 (20.00 excl. 9%), shipping 4.95 excl. = 5.99 incl.
    order = place(shop.consumer, ("MUG-RED", 3), ("BOOK-1", 1), method="bank_transfer")
    dispatch_pending()
    # then the order costs what the shelf says, to the cent, the VAT extracted once per rate
    assert order.prices_include_vat
    assert order.gross_amount == 3 * Decimal("9.99") + Decimal("21.80") + Decimal("5.99") == Decimal("57.76")
    # 35.96 at 21% holds 6.24 (35.96 x 21/121 = 6.2410); 21.80 at 9% holds 1.80
    assert order.vat_amount == Decimal("6.24") + Decimal("1.80")
    assert order.net_amount + order.shipping_amount == Decimal("57.76") - Decimal("8.04")
    # excluding VAT (the old arithmetic) the same goods would have cost 57.77
    lines = {line.sku: line for line in order.lines.all()}
    # when one mug ships, then the rest
    ship(order, {lines["MUG-RED"].pk: 1})
    ship(order, {lines["MUG-RED"].pk: 2, lines["BOOK-1"].pk: 1})
    # then the two invoices add up to the order: gross, and net and VAT per rate
    invoices = _invoices(order)
    assert len(invoices) == 2 and all(i.prices_include_vat for i in invoices)
    assert [i.gross_amount for i in invoices] == [Decimal("15.98"), Decimal("41.78")]  # 9.99 + 5.99 shipping
    assert _per_rate(invoices) == _order_per_rate(order)
    first_lines = {line.kind: (line.unit_price, line.net_amount) for line in invoices[0].lines.all()}
    assert first_lines == {"goods": (Decimal("9.99"), Decimal("9.99")), "shipping": (Decimal("5.99"), Decimal("5.99"))}
    # and the invoice's entry books the revenue net and the VAT per rate: it balances
    posted = JournalLine.objects.filter(entry=invoices[0].journal_entry)
    assert sum(p.debit for p in posted) == sum(p.credit for p in posted) == Decimal("15.98")
    # when the second invoice is credited: a mug first, then the rest
    second = invoices[1]
    mug_position = second.lines.get(sku="MUG-RED").position
    partial = invoice_credit(
        invoice=second, lines=[{"line": mug_position, "quantity": 1}], reason="Mok terug", user=None
    )
    assert partial.prices_include_vat and partial.gross_amount == Decimal("-9.99")
    rest = invoice_credit(invoice=second, reason="Alles terug", user=None)
    # then the credit notes cancel the invoice to the cent, per rate
    assert partial.gross_amount + rest.gross_amount == -second.gross_amount
    credited = _per_rate([partial, rest])
    assert {rate: (-net, -vat) for rate, (net, vat) in credited.items()} == _per_rate([second])
    assert violations() == {}


def test_the_invoice_of_a_consumer_order_says_prices_include_vat(shop, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 2), method="bank_transfer")
    dispatch_pending()
    ship(order, {order.lines.get().pk: 2})
    invoice = _invoices(order)[0]
    invoice_pdf_render(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as handle:
        text = " ".join(pdf_text(handle.read()).replace("\u00a0", " ").split())
    assert "Prijzen incl. btw" in text and "Prijs incl. btw" in text
    assert "9,99" in text and "25,97" in text  # 2 x 9.99 + 5.99 shipping


def test_a_business_order_stays_priced_excluding_vat(shop, no_delivery):
    order = place(shop.business, ("MUG-RED", 2), method="on_account")
    assert not order.prices_include_vat
    assert order.lines.get().unit_price == Decimal("8.26")
    assert order.gross_amount == Decimal("25.98")  # 16.52 + 4.95 = 21.47, + 4.51 VAT


PRICES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("250.00"), places=2)
# A line: its shelf price, VAT category, and per unit the parcel (0-2) it ships in.
LINE = st.tuples(PRICES, st.sampled_from(["high", "low", "zero"]), st.lists(st.integers(0, 2), min_size=1, max_size=5))
EXAMPLES = int(os.environ.get("SPLIT_EXAMPLES", "8"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, min_size=1, max_size=4))
@example(lines=[(Decimal("0.01"), "high", [0, 0, 1]), (Decimal("9.99"), "low", [1, 2])])
def test_generated_consumer_orders_cost_the_shelf_prices_and_invoice_exactly_that(shop, no_delivery, lines):
    # given a consumer's order of generated shelf prices, VAT rates and quantities
    customer = b2c_customer(name="Piet Jansen")
    wanted, shelf = [], Decimal("0.00")
    for price, category, units in lines:
        product = ProductFactory(list_price=price, consumer_price=price, vat_category=category)
        stock(product, shop.ams, len(units))
        wanted.append((product.sku, len(units)))
        shelf += price * len(units)
    order = place(customer, *wanted, method="bank_transfer")
    dispatch_pending()
    # then it costs the sum of the shelf prices and the shipping's gross, to the cent
    assert order.gross_amount == shelf + Decimal("5.99")
    # when it ships in the generated parcels
    parcels: list[dict[int, int]] = [{}, {}, {}]
    for line, (_, _, units) in zip(order.lines.order_by("line_no"), lines, strict=True):
        for n in units:
            parcels[n][line.pk] = parcels[n].get(line.pk, 0) + 1
    for parcel in parcels:
        ship(order, parcel)
    # then its invoices add up to it: gross, and net and VAT per rate
    order = Order.objects.get(pk=order.pk)
    invoices = _invoices(order)
    assert sum(i.gross_amount for i in invoices) == order.gross_amount
    assert _per_rate(invoices) == _order_per_rate(order)
    assert violations() == {}
