"""Issuing invoices: snapshot the buyer, seller and lines, draw the gapless number, post the
receivable, publish ``invoice.issued`` and have a worker render and e-mail the PDF."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from stdnum.eu import vat as eu_vat

from billing import accounts, calc
from billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, InvoiceVat
from billing.models.invoices import OPEN_STATUSES
from billing.services import delivery
from billing.services.ledger import journal_post
from billing.services.numbering import invoice_number_draw
from customers import selectors as customer_selectors
from customers.models import AddressKind, Customer
from oms import events
from oms.errors import ValidationFailed
from oms.money import ZERO, quantize, rate_label
from orders.models import Order

EU_COUNTRIES = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())
HOME_COUNTRY = "NL"
_VAT_PREFIX_COUNTRY = {"EL": "GR"}


@dataclass(frozen=True)
class Buyer:
    name: str
    company: str
    street: str
    postal_code: str
    city: str
    country: str
    vat_id: str
    coc_number: str
    email: str

    def as_fields(self) -> dict[str, str]:
        return {f"buyer_{name}": value for name, value in self.__dict__.items()}


def buyer_snapshot(customer: Customer) -> Buyer:
    """The customer's details as printed on the invoice: the default billing address, else the
    default shipping address. A business customer must have one (and not only a PO box)."""
    defaults = {a.kind: a for a in customer_selectors.customer_addresses(customer.pk) if a.is_default}  # one query
    address = defaults.get(AddressKind.BILLING) or defaults.get(AddressKind.SHIPPING)
    if address is None and customer.is_b2b:
        raise ValidationFailed(
            "A business invoice needs the customer's address.", code="buyer_address_missing", field="customer"
        )
    if address is not None and customer.is_b2b and address.street.strip().lower().startswith("postbus"):
        raise ValidationFailed(
            "A PO box is not enough on an invoice: the customer needs a street address.",
            code="buyer_address_po_box",
            field="customer",
        )
    return Buyer(
        name=customer.name,
        company=customer.company_name if customer.is_b2b else "",
        street=f"{address.street} {address.house}".strip() if address else "",
        postal_code=address.postal_code if address else "",
        city=address.city if address else "",
        country=address.country if address else "",
        vat_id=customer.vat_id if customer.is_b2b else "",
        coc_number=customer.coc_number if customer.is_b2b else "",
        email=customer.email,
    )


def _vat_country(vat_id: str) -> str:
    prefix = vat_id[:2].upper()
    return _VAT_PREFIX_COUNTRY.get(prefix, prefix)


def tax_treatment(
    customer: Customer, buyer: Buyer, *, reverse_charge: bool | None, export: bool | None
) -> tuple[bool, bool]:
    """(reverse_charge, export). Reverse charge: a business customer in another EU country
    with a valid VAT id ("btw verlegd"). Export: a buyer outside the EU (the caller who knows
    where the goods go, such as the order integration, passes ``export`` explicitly)."""
    country = buyer.country or (_vat_country(buyer.vat_id) if buyer.vat_id else "")
    eligible = (
        customer.is_b2b
        and bool(buyer.vat_id)
        and eu_vat.is_valid(buyer.vat_id)
        and country in EU_COUNTRIES
        and country != HOME_COUNTRY
        and _vat_country(buyer.vat_id) == country
    )
    if reverse_charge is None:
        reverse_charge = eligible
    elif reverse_charge and not eligible:
        raise ValidationFailed(
            "Reverse charge needs a business customer in another EU country with a valid VAT id.",
            code="reverse_charge_not_allowed",
            field="reverse_charge",
        )
    if export is None:
        export = bool(country) and country not in EU_COUNTRIES
    if reverse_charge and export:
        raise ValidationFailed("An invoice is either reverse charge or export.", code="invalid", field="export")
    return bool(reverse_charge), bool(export)


def seller_snapshot() -> dict[str, str]:
    return {key: str(value) for key, value in settings.OMS_SELLER.items()}


def invoice_issue(
    *,
    customer: Customer,
    lines: Iterable[Mapping[str, Any]],
    supply_date: date,
    payment_terms_days: int | None = None,
    reverse_charge: bool | None = None,
    export: bool | None = None,
    reference: str = "",
    issue_date: date | None = None,
    order: Order | None = None,
    settled_by: str | None = None,
    order_left: Mapping[Decimal, Mapping[str, Decimal]] | None = None,
    prices_include_vat: bool = False,
    vat_country: str = "",
    user,
    savepoint: bool = True,
) -> Invoice:
    """Issue an invoice to ``customer`` and post its receivable, in one transaction.

    ``lines``: see ``billing.calc.compute_line``. ``supply_date`` decides the VAT rates (the
    tax point). ``payment_terms_days`` defaults to the customer's terms. ``reverse_charge``
    and ``export`` are derived when None (see ``tax_treatment``). ``issue_date`` defaults to
    today and may not precede the series' last invoice. ``reference`` is free text printed on
    the invoice (an order number, the customer's PO). ``order`` links the invoice to the
    order it invoices. ``settled_by`` (a payment method) books a cash sale: the gross is
    debited to that method's money account instead of receivables and the invoice is issued
    paid; the caller records the payment that settled it (``billing.services.counter``).
    ``order_left`` (``{rate: {"net", "vat"}}``: what of ``order`` is not yet invoiced per rate)
    makes the invoice that completes the order take the VAT left per rate instead of rounding
    afresh, so an order's invoices add up to it to the cent (``closing_totals``).
    ``prices_include_vat``: the lines' unit prices include VAT (a consumer's order); the VAT per
    rate is extracted from the rate's gross and the invoice says "prijzen incl. btw".
    ``vat_country``: the lines carry that EU member state's VAT rates (the One Stop Shop, for a
    consumer there; the caller passes the rates as the lines' ``vat_rate``); the invoice states
    the country and the VAT is booked to the OSS accounts.

    ``savepoint=False``: no savepoint of its own (two round trips less), for a caller whose own
    atomic block ends at a failure here instead of carrying on (billing's order invoicing): a
    failure after the number was drawn must not leave the drawn number behind.

    Not durable: event handlers call it inside the outbox dispatch transaction. Locks the
    yearly counter row of the series (last; held until commit). Publishes ``invoice.issued``.
    After commit a worker renders the PDF and e-mails it (``billing.tasks.invoice_pdf_render``).
    Raises ``ValidationFailed`` (``lines.N.*``, ``customer``, ``reverse_charge``, ``issue_date``).
    """
    issue_date = issue_date or timezone.localdate()
    terms = customer.payment_terms_days if payment_terms_days is None else int(payment_terms_days)
    if not 0 <= terms <= 365:
        raise ValidationFailed("Payment terms are 0 to 365 days.", code="invalid", field="payment_terms_days")
    buyer = buyer_snapshot(customer)
    reverse_charge, export = tax_treatment(customer, buyer, reverse_charge=reverse_charge, export=export)
    computed = calc.compute_lines(lines, supply_date=supply_date, zero_rated=reverse_charge or export)
    totals = closing_totals(calc.totals_for(computed, prices_include_vat=prices_include_vat), order_left)
    if totals.gross < 0:
        raise ValidationFailed("An invoice total cannot be negative; issue a credit note.", code="negative_total")
    check_rates_not_negative(totals)
    settled_to = accounts.PAYMENT_METHOD_ACCOUNTS[settled_by] if settled_by else None
    with transaction.atomic(savepoint=savepoint):
        year, sequence, number = invoice_number_draw(kind=InvoiceKind.INVOICE, issue_date=issue_date)
        entry = post_document(
            number,
            issue_date,
            computed,
            totals,
            customer.pk,
            reverse_charge,
            export,
            user,
            credit=False,
            settled_to=settled_to,
            vat_country=vat_country,
        )
        invoice = Invoice.objects.create(
            number=number,
            kind=InvoiceKind.INVOICE,
            year=year,
            sequence=sequence,
            customer=customer,
            order=order,
            reference=(reference or "")[:100],
            issue_date=issue_date,
            supply_date=supply_date,
            due_date=issue_date + timedelta(days=terms),
            payment_terms_days=terms,
            **buyer.as_fields(),
            seller=seller_snapshot(),
            reverse_charge=reverse_charge,
            export=export,
            prices_include_vat=prices_include_vat,
            vat_country=(vat_country or "").upper()[:2],
            **amount_fields(computed, totals),
            status=InvoiceStatus.PAID if totals.gross == 0 or settled_by else InvoiceStatus.ISSUED,
            amount_paid=totals.gross if settled_by else ZERO,
            journal_entry=entry,
            created_by=user if getattr(user, "pk", None) else None,
        )
        write_lines(invoice, computed, totals)
        invoice.written_lines = tuple(computed)  # what was written, for callers that count it
        issued(invoice)
    return invoice


def check_rates_not_negative(totals: calc.Totals) -> None:
    """A voucher or discount line lowers the taxable base of its own VAT rate, never below nil:
    a voucher at a rate with fewer goods would lower the VAT owed on goods of another rate."""
    for rate, row in totals.breakdown.items():
        if row["gross"] < 0:
            raise ValidationFailed(
                f"The lines at {rate_label(rate)}% VAT add up to less than nil: a voucher or discount "
                "line is at most the goods of its own VAT rate.",
                code="negative_rate_total",
                field="lines",
            )


def closing_totals(totals: calc.Totals, left: Mapping[Decimal, Mapping[str, Decimal]] | None) -> calc.Totals:
    """``totals`` with the VAT of each rate this invoice completes replaced by the VAT ``left`` of
    the order at that rate: a rate is completed when the invoice takes exactly the amount left
    at it (the net; the gross when prices include VAT) and something is left. Other rates keep
    their VAT rounded over the invoice. The database allows a completing rate's VAT to differ
    from the rate's VAT rounded afresh by at most a cent per earlier document of the order
    (migration 0008)."""
    if not left:
        return totals
    key = "gross" if totals.prices_include_vat else "net"
    left = {quantize(rate): row for rate, row in left.items()}
    vats = {}
    for rate, row in totals.breakdown.items():
        rest = left.get(quantize(rate))
        if rest is not None and row[key] == rest[key] and (rest["net"] or rest["vat"]):
            vats[rate] = rest["vat"]
    return totals.with_vat(vats)


def amount_fields(computed: list[calc.Line], totals: calc.Totals) -> dict:
    return {
        "line_count": len(computed),
        "net_amount": totals.net,
        "vat_amount": totals.vat,
        "gross_amount": totals.gross,
    }


def post_document(
    number,
    issue_date,
    computed,
    totals,
    customer_id,
    reverse_charge,
    export,
    user,
    *,
    credit: bool,
    settled_to=None,
    vat_country: str = "",
):
    legs = calc.posting_legs(
        computed,
        totals,
        customer_id=customer_id,
        reverse_charge=reverse_charge,
        export=export,
        memo=number,
        settled_to=settled_to,
        vat_country=vat_country,
    )
    if not legs:
        return None  # nothing to post: a free delivery
    label = "Credit note" if credit else "Invoice"
    return journal_post(
        date=issue_date, description=f"{label} {number}", lines=legs, reference=f"{label.lower()} {number}", user=user
    )


def write_lines(invoice: Invoice, computed: list[calc.Line], totals: calc.Totals) -> None:
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                position=line.position,
                kind=line.kind,
                sku=line.sku,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_amount=line.discount_amount,
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
                net_amount=line.net_amount,
                credits_line_id=line.credits_line_id,
                order_line_id=line.order_line_id,
            )
            for line in computed
        ]
    )
    InvoiceVat.objects.bulk_create(
        [
            InvoiceVat(invoice=invoice, rate=quantize(rate), net_amount=row["net"], vat_amount=row["vat"])
            for rate, row in totals.breakdown.items()
        ]
    )


def issued(invoice: Invoice) -> None:
    """Publish the issue and have the PDF rendered (and e-mailed) after commit."""
    events.publish(
        "invoice.issued",
        {
            "invoice_id": invoice.pk,
            "number": invoice.number,
            "kind": invoice.kind,
            "customer_id": invoice.customer_id,
            "credit_of_id": invoice.credit_of_id,
            "gross_amount": str(invoice.gross_amount),
        },
    )
    delivery.invoice_delivery_create(invoice, send=getattr(settings, "OMS_INVOICE_AUTO_SEND", True))


def invoices_mark_overdue(*, today: date | None = None) -> int:
    """Mark open invoices past their due date as overdue (nightly). One conditional UPDATE; no
    locks beyond its rows. Publishes no event (reminders come with payments). Returns the count."""
    today = today or timezone.localdate()
    with transaction.atomic():
        return (
            Invoice.objects.filter(
                kind=InvoiceKind.INVOICE,
                status__in=[s for s in OPEN_STATUSES if s != InvoiceStatus.OVERDUE],
                due_date__lt=today,
            )
            .filter(Q(gross_amount__gt=F("amount_paid") + F("amount_credited")))
            .update(status=InvoiceStatus.OVERDUE)
        )
