"""The XAF 3.2 audit file (billing.xaf): valid against the published XSD, with the required
structure, and its figures equal to the ledger's trial balance for the period."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import resources

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from lxml import etree

from billing import selectors, xaf
from billing.models import JournalLine
from billing.services import invoice_credit, payment_record
from billing.services.ledger import journal_post, journal_reverse
from oms.roles import Role
from tests.factories.billing import b2b_customer, b2c_customer, issue, line

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_delivery")]

NS = {"x": xaf.NAMESPACE}
_SCHEMA: list[etree.XMLSchema] = []


def _schema() -> etree.XMLSchema:
    # The published XAF 3.2 schema as shipped by the pyxaf package (a test dependency).
    if not _SCHEMA:
        path = resources.files("pyxaf") / "schemas" / "XmlAuditfileFinancieel3.2.xsd"
        _SCHEMA.append(etree.XMLSchema(etree.parse(str(path))))
    return _SCHEMA[0]


def _parse(text: str) -> etree._Element:
    root = etree.fromstring(text.encode())
    assert _schema().validate(root), _schema().error_log
    return root


def _auditfile(year: int, start: date | None = None, end: date | None = None) -> etree._Element:
    start, end = xaf.period_of_year(year, start, end)
    return _parse("".join(xaf.auditfile_chunks(year=year, date_from=start, date_to=end)))


def _paid_at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=12))


def _signed(node) -> Decimal:
    amount = Decimal(node.findtext("x:amnt", namespaces=NS))
    return amount if node.findtext("x:amntTp", namespaces=NS) == "D" else -amount


@pytest.fixture
def ledger(accountant):
    """A year of bookings around 2026: last year's invoice (the opening balance), invoices at
    mixed rates with discounts, a credit note, payments by bank, cash and iDEAL, a manual entry
    and its reversal, and one entry of next year. The payments are months old: recorded as
    history (``history=True``), past the age limit that screens and the API enforce."""
    business = b2b_customer(company_name="Bakkerij Brood B.V.", coc_number="87654321", credit_limit="5000.00")
    consumer = b2c_customer(name="Anna Smit")
    old = issue(business, issue_date=date(2025, 11, 3), supply_date=date(2025, 11, 3))
    payment_record(
        method="bank_transfer", amount="20.00", reference="BT-2025", customer=business,
        paid_at=_paid_at(date(2025, 12, 1)), user=accountant, history=True,
    )  # fmt: skip
    january = issue(
        business,
        lines=[line(3, "8.26", discount="2.50"), line(7, "14.49", "low", discount="1.13"), line(1, "3.33", "zero")],
        issue_date=date(2026, 1, 15),
        supply_date=date(2026, 1, 15),
    )
    march = issue(consumer, issue_date=date(2026, 3, 2), supply_date=date(2026, 3, 2))
    invoice_credit(
        invoice=january, lines=[{"line": 1, "quantity": 1}], reason="Kapot", user=accountant,
        issue_date=date(2026, 3, 5),
    )  # fmt: skip
    payment_record(
        method="bank_transfer", amount=str(old.gross_amount - Decimal("20.00")), reference="BT-1",
        customer=business, paid_at=_paid_at(date(2026, 2, 1)), user=accountant, history=True,
    )  # fmt: skip
    payment_record(
        method="cash", amount="10.00", reference="KAS-1", customer=consumer,
        paid_at=_paid_at(date(2026, 3, 10)), user=accountant, history=True,
    )  # fmt: skip
    payment_record(
        method="ideal", amount="5.00", reference="tr_1", customer=consumer,
        paid_at=_paid_at(date(2026, 4, 10)), user=accountant, history=True,
    )  # fmt: skip
    manual = journal_post(
        date=date(2026, 5, 1),
        description="Afronding",
        lines=[{"account": "8900", "debit": "0.03"}, {"account": "1000", "credit": "0.03"}],
        user=accountant,
    )
    journal_reverse(entry=manual, date=date(2026, 6, 1), user=accountant)
    issue(consumer, issue_date=date(2027, 1, 4), supply_date=date(2027, 1, 4))
    return {"business": business, "consumer": consumer, "january": january, "march": march}


def test_auditfile_has_the_xaf_structure_header_and_company(ledger, settings):
    root = _auditfile(2026)
    assert etree.QName(root).namespace == "http://www.auditfiles.nl/XAF/3.2"
    header = root.find("x:header", NS)
    assert [child.tag.split("}")[1] for child in header][:5] == [
        "fiscalYear", "startDate", "endDate", "curCode", "dateCreated",
    ]  # fmt: skip
    assert header.findtext("x:fiscalYear", namespaces=NS) == "2026"
    assert header.findtext("x:startDate", namespaces=NS) == "2026-01-01"
    assert header.findtext("x:endDate", namespaces=NS) == "2026-12-31"
    assert header.findtext("x:curCode", namespaces=NS) == "EUR"
    company = root.find("x:company", NS)
    assert company.findtext("x:companyIdent", namespaces=NS) == settings.OMS_SELLER["kvk"]
    assert company.findtext("x:taxRegIdent", namespaces=NS) == settings.OMS_SELLER["vat_id"]
    for required in ("customersSuppliers", "generalLedger", "periods", "openingBalance", "transactions"):
        assert company.find(f"x:{required}", NS) is not None, required
    periods = company.findall("x:periods/x:period", NS)
    assert [p.findtext("x:periodNumber", namespaces=NS) for p in periods] == [str(m) for m in range(1, 13)]
    # the chart of accounts, each with its type
    accounts = {
        a.findtext("x:accID", namespaces=NS): a.findtext("x:accTp", namespaces=NS)
        for a in company.findall("x:generalLedger/x:ledgerAccount", NS)
    }
    assert accounts["1300"] == "B" and accounts["8000"] == "P" and accounts["1500"] == "B"
    # the customers named in the period, and every line's customer and account is listed
    customers = {c.findtext("x:custSupID", namespaces=NS): c for c in company.iterfind(".//x:customerSupplier", NS)}
    business = customers[ledger["business"].number]
    assert business.findtext("x:custSupName", namespaces=NS) == "Bakkerij Brood B.V."
    assert business.findtext("x:commerceNr", namespaces=NS) == "87654321"
    assert business.findtext("x:custCreditLimit", namespaces=NS) == "5000.00"
    for tr_line in company.iterfind(".//x:trLine", NS):
        assert tr_line.findtext("x:accID", namespaces=NS) in accounts
        customer = tr_line.findtext("x:custSupID", namespaces=NS)
        assert customer is None or customer in customers


def test_auditfile_totals_equal_the_trial_balance_of_the_ledger(ledger):
    for start, end in [(date(2026, 1, 1), date(2026, 12, 31)), (date(2026, 3, 1), date(2026, 4, 30))]:
        root = _auditfile(2026, start, end)
        company = root.find("x:company", NS)
        # the transactions' header totals are the sums of their lines and of the ledger's lines
        transactions = company.find("x:transactions", NS)
        lines = transactions.findall(".//x:trLine", NS)
        debit = sum((_signed(x) for x in lines if _signed(x) > 0), Decimal(0))
        credit = -sum((_signed(x) for x in lines if _signed(x) < 0), Decimal(0))
        ledger_lines = JournalLine.objects.filter(entry__date__gte=start, entry__date__lte=end)
        assert int(transactions.findtext("x:linesCount", namespaces=NS)) == len(lines) == ledger_lines.count()
        assert Decimal(transactions.findtext("x:totalDebit", namespaces=NS)) == debit
        assert Decimal(transactions.findtext("x:totalCredit", namespaces=NS)) == credit == debit
        assert debit == sum(row.debit for row in ledger_lines)
        # every transaction balances
        for transaction in transactions.iterfind(".//x:transaction", NS):
            assert sum(_signed(x) for x in transaction.findall("x:trLine", NS)) == 0
        # opening balance = the trial balance the day before; opening + lines = the trial balance on the last day
        opening = company.find("x:openingBalance", NS)
        per_account: dict[str, Decimal] = defaultdict(Decimal)
        for ob_line in opening.findall("x:obLine", NS):
            per_account[ob_line.findtext("x:accID", namespaces=NS)] += _signed(ob_line)
        before, _ = selectors.trial_balance(as_of=start - timedelta(days=1))
        assert dict(per_account) == {row.account.code: row.balance for row in before if row.balance}
        assert Decimal(opening.findtext("x:totalDebit", namespaces=NS)) == sum(r.debit_balance for r in before)
        assert Decimal(opening.findtext("x:totalCredit", namespaces=NS)) == sum(r.credit_balance for r in before)
        for tr_line in lines:
            per_account[tr_line.findtext("x:accID", namespaces=NS)] += _signed(tr_line)
        after, _ = selectors.trial_balance(as_of=end)
        assert {code: amount for code, amount in per_account.items() if amount} == {
            row.account.code: row.balance for row in after if row.balance
        }


def test_auditfile_groups_entries_in_journals_by_what_posted_them(ledger):
    root = _auditfile(2026)
    journals = {
        j.findtext("x:jrnID", namespaces=NS): (j.findtext("x:jrnTp", namespaces=NS), j)
        for j in root.iterfind(".//x:journal", NS)
    }
    assert {code: tp for code, (tp, _) in journals.items()} == {
        "VK": "S", "KAS": "C", "BANK": "B", "ONTV": "Z", "MEM": "M",
    }  # fmt: skip
    sales = journals["VK"][1]
    refs = {x.findtext("x:invRef", namespaces=NS) for x in sales.iterfind(".//x:trLine", NS)}
    assert refs == {ledger["january"].number, ledger["march"].number, "CN-2026-000001"}
    assert len(journals["MEM"][1].findall("x:transaction", NS)) == 2  # the manual entry and its reversal
    periods = {t.findtext("x:periodNumber", namespaces=NS) for t in root.iterfind(".//x:transaction", NS)}
    assert periods <= {str(m) for m in range(1, 13)} and "5" in periods


def test_auditfile_of_part_of_a_year_holds_only_that_period(ledger):
    root = _auditfile(2026, date(2026, 3, 1), date(2026, 3, 31))
    dates = {t.findtext("x:trDt", namespaces=NS) for t in root.iterfind(".//x:transaction", NS)}
    assert dates and all(d.startswith("2026-03") for d in dates)
    assert [p.findtext("x:periodNumber", namespaces=NS) for p in root.iterfind(".//x:period", NS)] == ["3"]
    customers = {c.findtext("x:custSupID", namespaces=NS) for c in root.iterfind(".//x:customerSupplier", NS)}
    assert customers == {ledger["business"].number, ledger["consumer"].number}


def test_auditfile_streams_in_pieces():
    # one chunk per transaction, not the whole file as one string
    customer = b2c_customer()
    for day in range(1, 21):
        issue(customer, issue_date=date(2026, 2, day), supply_date=date(2026, 2, day))
    chunks = list(xaf.auditfile_chunks(year=2026, date_from=date(2026, 1, 1), date_to=date(2026, 12, 31)))
    assert len(chunks) > 20 and max(len(c) for c in chunks) < len("".join(chunks)) / 5
    assert len(_parse("".join(chunks)).findall(".//x:transaction", NS)) == 20


def test_pyxaf_reads_the_file_without_errors(ledger, tmp_path):
    import pyxaf

    path = tmp_path / "audit.xaf"
    call_command("billing_export", "xaf", "--year", "2026", "-o", str(path))
    with pyxaf.open(str(path)) as audit:
        transactions = list(audit.transactions())
        findings = list(audit.findings)
    assert [f for f in findings if f.severity >= pyxaf.Severity.ERROR] == []
    assert len(transactions) == JournalLine.objects.filter(entry__date__year=2026).values("entry").distinct().count()


def test_billing_export_xaf_command_checks_its_period(tmp_path):
    with pytest.raises(CommandError):
        call_command("billing_export", "xaf")
    with pytest.raises(CommandError):
        call_command("billing_export", "xaf", "--year", "2026", "--from", "2025-12-01")
    path = tmp_path / "q1.xaf"
    call_command(
        "billing_export", "xaf", "--year", "2026", "--from", "2026-01-01", "--to", "2026-03-31", "-o", str(path)
    )
    header = _parse(path.read_text()).find("x:header", NS)
    assert header.findtext("x:endDate", namespaces=NS) == "2026-03-31"


def test_journal_page_downloads_the_auditfile_streamed(ledger, role_client):
    client = role_client(Role.ACCOUNTING)
    html = client.get("/billing/journal/", {"date_from": "2026-01-01", "date_to": "2026-12-31"}).content.decode()
    assert 'data-testid="journal-xaf"' in html
    response = client.get("/billing/journal/auditfile.xaf", {"year": "2026"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/xml"
    assert 'filename="auditfile-2026-01-01-2026-12-31.xaf"' in response["Content-Disposition"]
    root = _parse(b"".join(response.streaming_content).decode())
    assert root.findtext("x:header/x:fiscalYear", namespaces=NS) == "2026"
    assert role_client(Role.CUSTOMER_SERVICE).get("/billing/journal/auditfile.xaf").status_code == 403
