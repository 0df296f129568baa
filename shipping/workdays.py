"""Working days and public holidays, as pure functions over plain dates.

A working day is Monday to Friday and not a holiday. Which holidays count depends on who works:
the warehouse ships on working days of its own country; a parcel travels on days that are
working days both where it leaves and where it arrives. Callers pass the closed days as a set.

Public holidays come from the ``holidays`` package (see below) so the demo and the calendar
page can load a year at once; the holidays the promise uses are the ``Holiday`` rows, which the
warehouse can edit (a carrier closing on Christmas Eve, a region's extra day).
"""

from __future__ import annotations

import functools
from collections.abc import Container
from datetime import date, timedelta

import holidays
from dateutil.easter import easter

ONE_DAY = timedelta(days=1)
# Far enough for any supplier date; stops a runaway loop if a caller passes every day as closed.
MAX_SEARCH_DAYS = 3660


def is_working_day(day: date, closed: Container[date]) -> bool:
    return day.weekday() < 5 and day not in closed


def next_working_day(day: date, closed: Container[date]) -> date:
    """The first working day strictly after ``day``."""
    for _ in range(MAX_SEARCH_DAYS):
        day += ONE_DAY
        if is_working_day(day, closed):
            return day
    raise ValueError("no working day within ten years")


def roll_forward(day: date, closed: Container[date]) -> date:
    """``day`` itself when it is a working day, else the next one."""
    return day if is_working_day(day, closed) else next_working_day(day, closed)


def add_working_days(day: date, days: int, closed: Container[date]) -> date:
    """``days`` working days after ``day``; with 0, ``day`` rolled forward to a working day."""
    if days < 0:
        raise ValueError("days must not be negative")
    if days == 0:
        return roll_forward(day, closed)
    for _ in range(days):
        day = next_working_day(day, closed)
    return day


# --- public holidays -----------------------------------------------------------------------------
# The dates come from the ``holidays`` package (its Dutch and Belgian calendars, Dutch names). We
# keep the choices it cannot know: which official days a parcel still travels on, and the names as
# our calendar has always spelled them (so a reload matches the rows already stored).

# Official days that are ordinary working days for carriers, or Sundays anyway (Belgium's Easter
# and Whit Sunday): left out.
_LEFT_OUT = {"NL": {"Goede vrijdag"}, "BE": {"Pasen", "Pinksteren"}}
_SPELLING = {"O. L. H. Hemelvaart": "O.L.H. Hemelvaart", "O. L. V. Hemelvaart": "O.L.V. Hemelvaart"}


def _our_name(country: str, name: str) -> str:
    # "Eerste paasdag" -> "Eerste Paasdag": the Dutch calendar capitalises both words.
    return name.title() if country == "NL" else _SPELLING.get(name, name)


@functools.lru_cache(maxsize=128)
def _calendar(country: str, year: int) -> tuple[tuple[date, str], ...]:
    # Building a year's calendar costs far more than our old arithmetic did; cached, once a year per process.
    calendar = holidays.country_holidays(country, years=year, language="nl")
    return tuple(
        sorted(
            (day, _our_name(country, name))
            for day in calendar
            for name in calendar.get_list(day)  # two holidays on one day are two entries
            if name not in _LEFT_OUT[country]
        )
    )


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday."""
    return easter(year)


def kings_day(year: int) -> date:
    """Koningsdag: 27 April, moved to Saturday the 26th when the 27th is a Sunday."""
    return next(day for day, name in _calendar("NL", year) if name.startswith("Koning"))  # Koninginnedag before 2014


def dutch_public_holidays(year: int) -> list[tuple[date, str]]:
    """The Dutch public holidays on which carriers and most businesses are closed.

    Good Friday is left out: it is an official holiday but a normal working day for carriers and
    most employers. Liberation Day (5 May) counts only in lustrum years (2025, 2030, ...), when it
    is a day off under most collective agreements; in other years parcels are delivered.
    """
    return list(_calendar("NL", year))


def belgian_public_holidays(year: int) -> list[tuple[date, str]]:
    """The ten Belgian legal holidays (for deliveries to Belgium)."""
    return list(_calendar("BE", year))


PUBLIC_HOLIDAYS = {"NL": dutch_public_holidays, "BE": belgian_public_holidays}


def public_holidays(country: str, year: int) -> list[tuple[date, str]]:
    """The computed public holidays of a country we know the rules of, else an empty list."""
    rule = PUBLIC_HOLIDAYS.get(country.upper())
    return rule(year) if rule else []
