"""Working days and the public-holiday rules."""

from datetime import date, timedelta

import pytest

from shipping import workdays


@pytest.mark.parametrize(
    "year,easter",
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28)),
     (2028, date(2028, 4, 16)), (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22))],
)  # fmt: skip
def test_easter_sunday_matches_the_published_dates(year, easter):
    assert workdays.easter_sunday(year) == easter


def test_kings_day_moves_to_saturday_when_the_27th_is_a_sunday():
    assert workdays.kings_day(2025) == date(2025, 4, 26)
    assert workdays.kings_day(2026) == date(2026, 4, 27)
    assert workdays.kings_day(2031) == date(2031, 4, 26)


def test_dutch_public_holidays_2026():
    days = dict(workdays.dutch_public_holidays(2026))

    assert days == {
        date(2026, 1, 1): "Nieuwjaarsdag",
        date(2026, 4, 5): "Eerste Paasdag",
        date(2026, 4, 6): "Tweede Paasdag",
        date(2026, 4, 27): "Koningsdag",
        date(2026, 5, 14): "Hemelvaartsdag",
        date(2026, 5, 24): "Eerste Pinksterdag",
        date(2026, 5, 25): "Tweede Pinksterdag",
        date(2026, 12, 25): "Eerste Kerstdag",
        date(2026, 12, 26): "Tweede Kerstdag",
    }


def test_dutch_liberation_day_counts_only_in_lustrum_years():
    assert date(2030, 5, 5) in dict(workdays.dutch_public_holidays(2030))
    assert not any(
        day.month == 5 and day.day == 5 for y in (2026, 2027, 2028) for day, _ in workdays.dutch_public_holidays(y)
    )


def test_belgian_public_holidays_include_the_national_day_and_easter_monday():
    days = dict(workdays.belgian_public_holidays(2027))

    assert len(days) == 10
    assert days[date(2027, 7, 21)] == "Nationale feestdag"
    assert days[date(2027, 3, 29)] == "Paasmaandag"


def test_public_holidays_of_an_unknown_country_are_empty():
    assert workdays.public_holidays("DE", 2026) == []
    assert workdays.public_holidays("nl", 2026) == workdays.dutch_public_holidays(2026)


def test_add_working_days_skips_weekends_and_closed_days():
    closed = {date(2026, 12, 25)}

    assert workdays.add_working_days(date(2026, 12, 24), 1, closed) == date(2026, 12, 28)
    assert workdays.add_working_days(date(2026, 12, 26), 0, closed) == date(2026, 12, 28)
    assert workdays.add_working_days(date(2026, 12, 21), 0, closed) == date(2026, 12, 21)
    assert workdays.add_working_days(date(2026, 12, 21), 5, closed) == date(2026, 12, 29)


def test_add_working_days_refuses_negative_days():
    with pytest.raises(ValueError):
        workdays.add_working_days(date(2026, 12, 21), -1, set())


# --- the holidays package against the rules we computed ourselves before it -----------------------


def _our_easter(year: int) -> date:
    """The anonymous Gregorian algorithm that shipping.workdays used before the library."""
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


def _our_dutch(year: int) -> list[tuple[date, str]]:
    easter = _our_easter(year)
    kings = date(year, 4, 27) - (timedelta(days=1) if date(year, 4, 27).weekday() == 6 else timedelta(0))
    days = [
        (date(year, 1, 1), "Nieuwjaarsdag"), (easter, "Eerste Paasdag"), (easter + timedelta(1), "Tweede Paasdag"),
        (kings, "Koningsdag"), (easter + timedelta(39), "Hemelvaartsdag"),
        (easter + timedelta(49), "Eerste Pinksterdag"),
        (easter + timedelta(50), "Tweede Pinksterdag"), (date(year, 12, 25), "Eerste Kerstdag"),
        (date(year, 12, 26), "Tweede Kerstdag"),
    ]  # fmt: skip
    if year % 5 == 0:
        days.append((date(year, 5, 5), "Bevrijdingsdag"))
    return sorted(days)


def _our_belgian(year: int) -> list[tuple[date, str]]:
    easter = _our_easter(year)
    return sorted([
        (date(year, 1, 1), "Nieuwjaar"), (easter + timedelta(1), "Paasmaandag"),
        (date(year, 5, 1), "Dag van de Arbeid"),
        (easter + timedelta(39), "O.L.H. Hemelvaart"), (easter + timedelta(50), "Pinkstermaandag"),
        (date(year, 7, 21), "Nationale feestdag"), (date(year, 8, 15), "O.L.V. Hemelvaart"),
        (date(year, 11, 1), "Allerheiligen"), (date(year, 11, 11), "Wapenstilstand"), (date(year, 12, 25), "Kerstmis"),
    ])  # fmt: skip


@pytest.mark.parametrize("year", range(2014, 2061))  # Koningsdag (27 April) since 2014
def test_the_library_calendar_equals_our_former_rules(year):
    assert workdays.easter_sunday(year) == _our_easter(year)
    assert workdays.dutch_public_holidays(year) == _our_dutch(year)
    assert workdays.belgian_public_holidays(year) == _our_belgian(year)


def test_kings_day_on_a_sunday_is_kept_on_saturday_the_26th_in_the_calendar():
    for year in (2025, 2031, 2036):  # 27 April is a Sunday
        assert date(year, 4, 27).weekday() == 6
        assert (date(year, 4, 26), "Koningsdag") in workdays.dutch_public_holidays(year)
        assert all(day != date(year, 4, 27) for day, _ in workdays.dutch_public_holidays(year))


def test_liberation_day_every_five_years_and_two_holidays_on_one_day():
    lustra = [y for y in range(2020, 2046) if (date(y, 5, 5), "Bevrijdingsdag") in workdays.dutch_public_holidays(y)]
    assert lustra == [2020, 2025, 2030, 2035, 2040, 2045]
    # 5 May 2005 was also Ascension Day: both names stand, as two entries on that date.
    may_5 = [name for day, name in workdays.dutch_public_holidays(2005) if day == date(2005, 5, 5)]
    assert may_5 == ["Bevrijdingsdag", "Hemelvaartsdag"]


def test_good_friday_and_the_belgian_sundays_are_left_out():
    assert date(2026, 4, 3) not in dict(workdays.dutch_public_holidays(2026))  # Goede vrijdag
    belgian = dict(workdays.belgian_public_holidays(2026))
    assert date(2026, 4, 5) not in belgian and date(2026, 5, 24) not in belgian  # Pasen, Pinksteren


def test_the_calendar_is_a_fresh_list_each_call():
    days = workdays.dutch_public_holidays(2026)
    days.clear()
    assert len(workdays.dutch_public_holidays(2026)) == 9
