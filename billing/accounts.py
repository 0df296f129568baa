"""The chart of accounts: the ledger accounts billing posts to, by code.

Codes follow the usual Dutch layout (class 1: money, receivables, VAT and customer credit;
class 8: revenue). The rows are written by a data migration and put back in flushed test
databases by ``ensure_accounts`` (tests/conftest.py REFERENCE_DATA). Services name accounts by
the constants below, never by a literal code.
"""

from __future__ import annotations

from typing import NamedTuple

CASH = "1000"
BANK = "1100"
PAYOUTS_IN_TRANSIT = "1190"
RECEIVABLES = "1300"
PSP_RECEIVABLE = "1310"
KLARNA_RECEIVABLE = "1320"
RIVERTY_RECEIVABLE = "1330"
PIN_IN_TRANSIT = "1340"
VAT_PAYABLE_HIGH = "1500"
VAT_PAYABLE_LOW = "1510"
VAT_RECEIVABLE = "1520"
VAT_PAYABLE_OSS = "1530"  # EU consumers' VAT (One Stop Shop); the entry's memo names the country
CUSTOMER_CREDIT = "1600"
REVENUE_HIGH = "8000"
REVENUE_LOW = "8010"
REVENUE_ZERO = "8020"
REVENUE_INTRA_EU = "8030"
REVENUE_EXPORT = "8040"
REVENUE_OSS = "8050"
SHIPPING_REVENUE = "8100"
PROVIDER_FEES = "4650"
ROUNDING = "8900"


class ChartRow(NamedTuple):
    code: str
    name: str
    kind: str  # asset, liability, equity, revenue, expense
    subledger: bool  # lines must name the customer (receivables, customer credit)


CHART: list[ChartRow] = [
    ChartRow(CASH, "Kas (cash)", "asset", False),
    ChartRow(BANK, "Bank", "asset", False),
    ChartRow(PAYOUTS_IN_TRANSIT, "Kruisposten uitbetalingen (provider payouts in transit)", "asset", False),
    ChartRow(RECEIVABLES, "Debiteuren (accounts receivable)", "asset", True),
    ChartRow(PSP_RECEIVABLE, "Te ontvangen iDEAL/card (payment provider)", "asset", False),
    ChartRow(KLARNA_RECEIVABLE, "Te ontvangen Klarna", "asset", False),
    ChartRow(RIVERTY_RECEIVABLE, "Te ontvangen Riverty (AfterPay)", "asset", False),
    ChartRow(PIN_IN_TRANSIT, "Te ontvangen PIN-betalingen (PIN in transit)", "asset", False),
    ChartRow(VAT_PAYABLE_HIGH, "Te betalen btw hoog (VAT payable, high rate)", "liability", False),
    ChartRow(VAT_PAYABLE_LOW, "Te betalen btw laag (VAT payable, low rate)", "liability", False),
    ChartRow(VAT_RECEIVABLE, "Te vorderen btw (input VAT)", "asset", False),
    ChartRow(
        VAT_PAYABLE_OSS, "Te betalen btw andere EU-landen, OSS (EU VAT payable, One Stop Shop)", "liability", False
    ),
    ChartRow(CUSTOMER_CREDIT, "Klanttegoed en vooruitbetalingen (customer credit, prepayments)", "liability", True),
    ChartRow(REVENUE_HIGH, "Omzet hoog tarief (revenue, high rate)", "revenue", False),
    ChartRow(REVENUE_LOW, "Omzet laag tarief (revenue, low rate)", "revenue", False),
    ChartRow(REVENUE_ZERO, "Omzet nultarief (revenue, zero rate)", "revenue", False),
    ChartRow(
        REVENUE_INTRA_EU, "Omzet intracommunautair, btw verlegd (revenue, intra-EU reverse charge)", "revenue", False
    ),
    ChartRow(REVENUE_EXPORT, "Omzet export buiten de EU (revenue, export)", "revenue", False),
    ChartRow(REVENUE_OSS, "Omzet afstandsverkopen EU, OSS (revenue, EU distance sales)", "revenue", False),
    ChartRow(SHIPPING_REVENUE, "Omzet verzendkosten (shipping revenue)", "revenue", False),
    ChartRow(PROVIDER_FEES, "Kosten betalingsverkeer (payment provider fees)", "expense", False),
    ChartRow(ROUNDING, "Afrondingsverschillen (rounding differences)", "expense", False),
]

# Where a payment of each method lands (the seam for payments: debit this, credit receivables).
PAYMENT_METHOD_ACCOUNTS: dict[str, str] = {
    "cash": CASH,
    "bank_transfer": BANK,
    "ideal": PSP_RECEIVABLE,
    "card": PSP_RECEIVABLE,
    "klarna": KLARNA_RECEIVABLE,
    "riverty": RIVERTY_RECEIVABLE,
    "pin": PIN_IN_TRANSIT,
    "on_account": BANK,
}

# The provider receivable accounts: what payment providers owe us until they pay it out.
PROVIDER_ACCOUNTS = (PSP_RECEIVABLE, KLARNA_RECEIVABLE, RIVERTY_RECEIVABLE, PIN_IN_TRANSIT)

# VAT category -> (revenue account, VAT payable account or None for zero rate).
VAT_CATEGORY_ACCOUNTS: dict[str, tuple[str, str | None]] = {
    "high": (REVENUE_HIGH, VAT_PAYABLE_HIGH),
    "low": (REVENUE_LOW, VAT_PAYABLE_LOW),
    "zero": (REVENUE_ZERO, None),
}


def ensure_accounts() -> None:
    """Create the accounts of ``CHART`` that are missing (after a test flush, or a new code)."""
    from billing.models import Account

    if Account.objects.count() >= len(CHART):
        return
    Account.objects.bulk_create(
        [Account(code=r.code, name=r.name, kind=r.kind, subledger=r.subledger) for r in CHART],
        ignore_conflicts=True,
    )
