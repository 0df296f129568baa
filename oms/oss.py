"""VAT of other EU member states for distance sales to consumers under the One Stop Shop (OSS).

Above the EU distance-selling threshold (``settings.OMS_OSS_ABOVE_THRESHOLD``; EUR 10,000 a year
of cross-border B2C sales), goods sent to a consumer in another member state carry that state's
VAT, declared quarterly through the Dutch OSS return (issue 15 defect 8).

The rates are a table in code, not a model: they are foreign law, not something the shop sets;
they change rarely and on dates announced in advance; a change is a reviewed diff with its source
and a test, and needs no data migration on every installation. Dutch rates stay in
``oms.models.VatRate`` (the shop's own tax, edited in the admin). Each country lists, newest
first, the date from which its rates apply per VAT class of our catalogue: ``high`` (standard
rate) and ``low`` (the reduced rate that books and food carry there); ``zero`` stays 0.

Sources: the European Commission's "VAT rates applied in the Member States" and the national
tax authorities' announcements of the temporary German (2020) and Luxembourg (2023) cuts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

D = Decimal

RATES: dict[str, list[tuple[date, dict[str, Decimal]]]] = {
    "BE": [(date(1996, 1, 1), {"high": D("21.00"), "low": D("6.00"), "zero": D("0.00")})],
    "DE": [
        (date(2021, 1, 1), {"high": D("19.00"), "low": D("7.00"), "zero": D("0.00")}),
        (date(2020, 7, 1), {"high": D("16.00"), "low": D("5.00"), "zero": D("0.00")}),  # the Covid cut
        (date(2007, 1, 1), {"high": D("19.00"), "low": D("7.00"), "zero": D("0.00")}),
    ],
    "FR": [
        (date(2014, 1, 1), {"high": D("20.00"), "low": D("5.50"), "zero": D("0.00")}),
        (date(2000, 4, 1), {"high": D("19.60"), "low": D("5.50"), "zero": D("0.00")}),
    ],
    "LU": [  # books and food carry the super-reduced 3 %
        (date(2024, 1, 1), {"high": D("17.00"), "low": D("3.00"), "zero": D("0.00")}),
        (date(2023, 1, 1), {"high": D("16.00"), "low": D("3.00"), "zero": D("0.00")}),  # the 2023 cut
        (date(2015, 1, 1), {"high": D("17.00"), "low": D("3.00"), "zero": D("0.00")}),
    ],
}


def countries() -> frozenset[str]:
    return frozenset(RATES)


def oss_rates_on(country: str, supply_date: date) -> dict[str, Decimal]:
    """The VAT rate per class in ``country`` on the supply date; ``LookupError`` when the table
    has none (a country not listed, or a date before its first row)."""
    for valid_from, rates in RATES.get((country or "").upper(), ()):
        if valid_from <= supply_date:
            return dict(rates)
    raise LookupError(f"no OSS VAT rates for {country!r} on {supply_date}")
