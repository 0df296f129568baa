"""Working days and the public-holiday rules."""

from datetime import date

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
