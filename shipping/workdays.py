"""Working days and public holidays, as pure functions over plain dates.

A working day is Monday to Friday and not a holiday. Which holidays count depends on who works:
the warehouse ships on working days of its own country; a parcel travels on days that are
working days both where it leaves and where it arrives. Callers pass the closed days as a set.

Public holidays are computed here (Easter-based and fixed ones) so the demo and the calendar
page can load a year at once; the holidays the promise uses are the ``Holiday`` rows, which the
warehouse can edit (a carrier closing on Christmas Eve, a region's extra day).
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date, timedelta

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


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, valid for 1583 onwards)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def kings_day(year: int) -> date:
    """Koningsdag: 27 April, moved to Saturday the 26th when the 27th is a Sunday."""
    day = date(year, 4, 27)
    return day - ONE_DAY if day.weekday() == 6 else day


def dutch_public_holidays(year: int) -> list[tuple[date, str]]:
    """The Dutch public holidays on which carriers and most businesses are closed.

    Good Friday is left out: it is an official holiday but a normal working day for carriers and
    most employers. Liberation Day (5 May) counts only in lustrum years (2025, 2030, ...), when it
    is a day off under most collective agreements; in other years parcels are delivered.
    """
    easter = easter_sunday(year)
    days = [
        (date(year, 1, 1), "Nieuwjaarsdag"),
        (easter, "Eerste Paasdag"),
        (easter + timedelta(days=1), "Tweede Paasdag"),
        (kings_day(year), "Koningsdag"),
        (easter + timedelta(days=39), "Hemelvaartsdag"),
        (easter + timedelta(days=49), "Eerste Pinksterdag"),
        (easter + timedelta(days=50), "Tweede Pinksterdag"),
        (date(year, 12, 25), "Eerste Kerstdag"),
        (date(year, 12, 26), "Tweede Kerstdag"),
    ]
    if year % 5 == 0:
        days.append((date(year, 5, 5), "Bevrijdingsdag"))
    return sorted(days)


def belgian_public_holidays(year: int) -> list[tuple[date, str]]:
    """The ten Belgian legal holidays (for deliveries to Belgium)."""
    easter = easter_sunday(year)
    return sorted(
        [
            (date(year, 1, 1), "Nieuwjaar"),
            (easter + timedelta(days=1), "Paasmaandag"),
            (date(year, 5, 1), "Dag van de Arbeid"),
            (easter + timedelta(days=39), "O.L.H. Hemelvaart"),
            (easter + timedelta(days=50), "Pinkstermaandag"),
            (date(year, 7, 21), "Nationale feestdag"),
            (date(year, 8, 15), "O.L.V. Hemelvaart"),
            (date(year, 11, 1), "Allerheiligen"),
            (date(year, 11, 11), "Wapenstilstand"),
            (date(year, 12, 25), "Kerstmis"),
        ]
    )


PUBLIC_HOLIDAYS = {"NL": dutch_public_holidays, "BE": belgian_public_holidays}


def public_holidays(country: str, year: int) -> list[tuple[date, str]]:
    """The computed public holidays of a country we know the rules of, else an empty list."""
    rule = PUBLIC_HOLIDAYS.get(country.upper())
    return rule(year) if rule else []
