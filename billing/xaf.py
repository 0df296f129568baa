"""The XML Auditfile Financieel 3.2 (XAF, namespace ``http://www.auditfiles.nl/XAF/3.2``): the
ledger of a period for the tax authority (Belastingdienst) or the accountant.

What goes in, from the ledger (``billing.models.ledger``) as posted:

* header (fiscal year, the period, EUR, the day it was made) and the company (the seller of
  ``settings.OMS_SELLER``: KvK number, name, VAT id, address);
* ``customersSuppliers``: every customer named on a journal line of the period;
* ``generalLedger``: the chart of accounts (balance sheet ``B`` / profit and loss ``P``);
* ``periods``: the calendar months of the period, numbered 1-12 by month;
* ``openingBalance`` on the first day: per account the balance of everything posted before it.
  The ledger has no year-end closing entries, so profit-and-loss accounts carry their balance
  too, and opening balance plus the period's lines equals the trial balance on the last day;
* ``transactions``: the period's journal entries, one ``transaction`` each, grouped in journals
  by what posted them: ``VK`` sales (invoices and credit notes, type S), ``KAS`` cash payments
  (C), ``BANK`` bank transfers (B), ``ONTV`` payments through payment providers, PIN and
  pay-later (Z), ``MEM`` memorial: customer credit applied, reversals, manual entries (M).

The file is produced as a generator of text chunks (one customer, account or transaction at a
time, database rows read in chunks), so a year with millions of lines streams in constant
memory to a file or a ``StreamingHttpResponse``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Subquery, Sum, Value, When
from django.utils import timezone
from lxml import etree

from billing.models import Account, AccountKind, Invoice, JournalEntry, JournalLine, Payment
from customers.models import Address, Customer
from oms.money import ZERO

NAMESPACE = "http://www.auditfiles.nl/XAF/3.2"
CONTENT_TYPE = "application/xml"
SOFTWARE = "OMS"
SOFTWARE_VERSION = "1.1"
CHUNK = 500

BALANCE_SHEET = frozenset({AccountKind.ASSET, AccountKind.LIABILITY, AccountKind.EQUITY})


@dataclass(frozen=True)
class Journal:
    code: str
    description: str
    type: str  # XAF jrnTp


SALES = Journal("VK", "Verkoopboek (invoices and credit notes)", "S")
CASH = Journal("KAS", "Kasboek (cash payments and refunds)", "C")
BANK = Journal("BANK", "Bankboek (bank transfers)", "B")
RECEIPTS = Journal("ONTV", "Ontvangsten via betaalproviders, PIN en achteraf betalen", "Z")
MEMORIAL = Journal("MEM", "Memoriaal (customer credit, reversals, manual entries)", "M")
JOURNALS = (SALES, CASH, BANK, RECEIPTS, MEMORIAL)
_VAT_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}
_METHOD_JOURNAL = {"cash": CASH.code, "bank_transfer": BANK.code, "on_account": BANK.code}


def auditfile_name(date_from: date, date_to: date) -> str:
    return f"auditfile-{date_from.isoformat()}-{date_to.isoformat()}.xaf"


def period_of_year(year: int, date_from: date | None = None, date_to: date | None = None) -> tuple[date, date]:
    """The period of an audit file of ``year``: the whole year, or the part from/to within it.
    Raises ``ValueError`` when the dates are outside the year or in the wrong order."""
    start, end = date_from or date(year, 1, 1), date_to or date(year, 12, 31)
    if start.year != year or end.year != year:
        raise ValueError(f"the period must lie within the fiscal year {year}")
    if start > end:
        raise ValueError("the period starts after it ends")
    return start, end


def auditfile_chunks(*, year: int, date_from: date, date_to: date) -> Iterator[str]:
    """The audit file of ``date_from``..``date_to`` (within fiscal year ``year``) as text chunks.
    Reads only; locks nothing."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<auditfile xmlns="{NAMESPACE}">\n'
    yield _xml(_header(year, date_from, date_to))
    yield "<company>\n"
    yield _xml(*_company())
    yield from _customers(date_from, date_to)
    yield from _general_ledger()
    yield _xml(_periods(date_from, date_to))
    yield _xml(_opening_balance(date_from))
    yield from _transactions(date_from, date_to)
    yield "</company>\n</auditfile>\n"


# --- building blocks ------------------------------------------------------------------------------


def _xml(*elements: etree._Element) -> str:
    return "".join(etree.tostring(element, encoding="unicode", pretty_print=True) for element in elements)


def _el(parent: etree._Element | None, name: str, value=None) -> etree._Element:
    element = etree.Element(name) if parent is None else etree.SubElement(parent, name)
    if value is not None:
        element.text = str(value)
    return element


def _opt(parent: etree._Element, name: str, value, limit: int | None = None) -> None:
    text = str(value or "").strip()
    if text:
        _el(parent, name, text[:limit] if limit else text)


def _amount(parent: etree._Element, signed: Decimal, name: str = "amnt", side: str = "amntTp") -> None:
    """XAF amounts are positive with D(ebit) or C(redit)."""
    _el(parent, name, f"{abs(signed):.2f}")
    _el(parent, side, "D" if signed >= 0 else "C")


def _header(year: int, date_from: date, date_to: date) -> etree._Element:
    header = _el(None, "header")
    _el(header, "fiscalYear", year)
    _el(header, "startDate", date_from.isoformat())
    _el(header, "endDate", date_to.isoformat())
    _el(header, "curCode", "EUR")
    _el(header, "dateCreated", timezone.localdate().isoformat())
    _el(header, "softwareDesc", SOFTWARE)
    _el(header, "softwareVersion", SOFTWARE_VERSION)
    return header


def _company() -> list[etree._Element]:
    seller = settings.OMS_SELLER
    vat_id = str(seller.get("vat_id", ""))
    elements = [
        _el(None, "companyIdent", str(seller.get("kvk", ""))[:35]),
        _el(None, "companyName", seller.get("name", "")),
        _el(None, "taxRegistrationCountry", vat_id[:2] or seller.get("country", "NL")),
        _el(None, "taxRegIdent", vat_id[:30]),
    ]
    address = _el(None, "streetAddress")
    _opt(address, "streetname", seller.get("street"))
    _opt(address, "city", seller.get("city"), 50)
    _opt(address, "postalCode", seller.get("postal_code"), 10)
    _opt(address, "country", seller.get("country"))
    return [*elements, address]


# --- customers ------------------------------------------------------------------------------------


def _customers(date_from: date, date_to: date) -> Iterator[str]:
    named = JournalLine.objects.filter(customer_id=OuterRef("pk"), entry__date__gte=date_from, entry__date__lte=date_to)
    customers = Customer.objects.filter(Exists(named)).order_by("number")
    yield "<customersSuppliers>\n"
    chunk: list[Customer] = []
    for customer in customers.iterator(chunk_size=CHUNK):
        chunk.append(customer)
        if len(chunk) == CHUNK:
            yield _customer_chunk(chunk)
            chunk = []
    yield _customer_chunk(chunk)
    yield "</customersSuppliers>\n"


def _customer_chunk(customers: list[Customer]) -> str:
    if not customers:
        return ""
    addresses: dict[int, Address] = {}
    for address in Address.objects.filter(customer__in=customers, is_default=True).order_by("kind"):
        # billing sorts before shipping: a customer's billing address wins
        addresses.setdefault(address.customer_id, address)
    return _xml(*(_customer(customer, addresses.get(customer.pk)) for customer in customers))


def _customer(customer: Customer, address: Address | None) -> etree._Element:
    row = _el(None, "customerSupplier")
    _el(row, "custSupID", customer.number)
    _opt(row, "custSupName", customer.company_name or customer.name, 50)
    if customer.company_name:
        _opt(row, "contact", customer.name, 50)
    _opt(row, "telephone", str(customer.phone or ""), 30)
    _opt(row, "eMail", customer.email)
    _opt(row, "commerceNr", customer.coc_number)
    if customer.vat_id:
        prefix = customer.vat_id[:2].upper()
        if prefix.isalpha():  # VAT prefixes that are not ISO 3166 country codes: Greece, Northern Ireland
            _el(row, "taxRegistrationCountry", _VAT_PREFIX_COUNTRY.get(prefix, prefix))
        _el(row, "taxRegIdent", customer.vat_id[:30])
    _el(row, "custSupTp", "C")
    if customer.credit_limit:
        _el(row, "custCreditLimit", f"{customer.credit_limit:.2f}")
    if address is not None:
        element = _el(row, "streetAddress")
        _opt(element, "streetname", address.street)
        _opt(element, "number", address.house_number, 15)
        _opt(element, "numberExtension", address.house_number_addition)
        _opt(element, "city", address.city, 50)
        _opt(element, "postalCode", address.postal_code, 10)
        _opt(element, "country", address.country)
    return row


# --- chart of accounts, periods, opening balance -------------------------------------------------


def _general_ledger() -> Iterator[str]:
    ledger = _el(None, "generalLedger")
    for account in Account.objects.order_by("code"):
        row = _el(ledger, "ledgerAccount")
        _el(row, "accID", account.code)
        _el(row, "accDesc", account.name)
        _el(row, "accTp", "B" if account.kind in BALANCE_SHEET else "P")
    yield _xml(ledger)


def _months(date_from: date, date_to: date) -> Iterator[tuple[int, date, date]]:
    for month in range(date_from.month, date_to.month + 1):
        first = date(date_from.year, month, 1)
        last = date(date_from.year, month, calendar.monthrange(date_from.year, month)[1])
        yield month, max(first, date_from), min(last, date_to)


def _periods(date_from: date, date_to: date) -> etree._Element:
    periods = _el(None, "periods")
    for number, start, end in _months(date_from, date_to):
        period = _el(periods, "period")
        _el(period, "periodNumber", number)
        _el(period, "periodDesc", f"{start:%Y-%m}")
        _el(period, "startDatePeriod", start.isoformat())
        _el(period, "endDatePeriod", end.isoformat())
    return periods


def opening_balances(date_from: date) -> list[tuple[str, Decimal]]:
    """Per account code, debit minus credit of everything posted before ``date_from`` (accounts
    with a balance only), by code."""
    rows = (
        JournalLine.objects.filter(entry__date__lt=date_from)
        .values("account__code")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by("account__code")
    )
    return [(row["account__code"], row["debit"] - row["credit"]) for row in rows if row["debit"] != row["credit"]]


def _opening_balance(date_from: date) -> etree._Element:
    balances = opening_balances(date_from)
    opening = _el(None, "openingBalance")
    _el(opening, "opBalDate", date_from.isoformat())
    _el(opening, "opBalDesc", f"Saldi per {date_from.isoformat()}")
    _el(opening, "linesCount", len(balances))
    _el(opening, "totalDebit", f"{sum((b for _, b in balances if b > 0), ZERO):.2f}")
    _el(opening, "totalCredit", f"{-sum((b for _, b in balances if b < 0), ZERO):.2f}")
    for code, balance in balances:
        line = _el(opening, "obLine")
        _el(line, "nr", code)
        _el(line, "accID", code)
        _amount(line, balance)
    return opening


# --- transactions ---------------------------------------------------------------------------------


def _entries(date_from: date, date_to: date):
    """The period's entries with their journal code and, for sales, the document number."""
    invoices = Invoice.objects.filter(journal_entry=OuterRef("pk"))
    method = Subquery(Payment.objects.filter(journal_entry=OuterRef("pk")).order_by("id").values("method")[:1])
    journal = Case(
        When(Exists(invoices), then=Value(SALES.code)),
        *(When(payment_method=m, then=Value(code)) for m, code in _METHOD_JOURNAL.items()),
        When(payment_method__isnull=False, then=Value(RECEIPTS.code)),
        default=Value(MEMORIAL.code),
    )
    return (
        JournalEntry.objects.filter(date__gte=date_from, date__lte=date_to)
        .annotate(payment_method=method)
        .annotate(journal=journal, invoice_number=Subquery(invoices.values("number")[:1]))
    )


def _transactions(date_from: date, date_to: date) -> Iterator[str]:
    totals = JournalLine.objects.filter(entry__date__gte=date_from, entry__date__lte=date_to).aggregate(
        count=Count("id"), debit=Sum("debit"), credit=Sum("credit")
    )
    yield "<transactions>\n"
    yield f"<linesCount>{totals['count']}</linesCount>\n"
    yield f"<totalDebit>{totals['debit'] or ZERO:.2f}</totalDebit>\n"
    yield f"<totalCredit>{totals['credit'] or ZERO:.2f}</totalCredit>\n"
    entries = _entries(date_from, date_to)
    present = set(entries.values_list("journal", flat=True).distinct())
    lines = Prefetch("lines", queryset=JournalLine.objects.select_related("account", "customer").order_by("id"))
    for journal in JOURNALS:
        if journal.code not in present:
            continue
        yield f"<journal>\n<jrnID>{journal.code}</jrnID>\n<desc>{escape(journal.description)}</desc>\n"
        yield f"<jrnTp>{journal.type}</jrnTp>\n"
        rows = entries.filter(journal=journal.code).order_by("date", "id").prefetch_related(lines)
        for entry in rows.iterator(chunk_size=CHUNK):
            yield _xml(_transaction(entry))
        yield "</journal>\n"
    yield "</transactions>\n"


def _transaction(entry: JournalEntry) -> etree._Element:
    transaction = _el(None, "transaction")
    _el(transaction, "nr", entry.pk)
    _el(transaction, "desc", entry.description)
    _el(transaction, "periodNumber", entry.date.month)
    _el(transaction, "trDt", entry.date.isoformat())
    _el(transaction, "amnt", f"{entry.total_amount:.2f}")
    _el(transaction, "amntTp", "D")
    for line in entry.lines.all():
        row = _el(transaction, "trLine")
        _el(row, "nr", line.pk)
        _el(row, "accID", line.account.code)
        _el(row, "docRef", (entry.reference or entry.invoice_number or f"#{entry.pk}")[:999])
        _el(row, "effDate", entry.date.isoformat())
        _opt(row, "desc", line.memo or entry.description)
        _amount(row, line.debit - line.credit)
        if line.customer_id:
            _el(row, "custSupID", line.customer.number)
        _opt(row, "invRef", entry.invoice_number)
    return transaction
