"""oms.reference_cache on PostgreSQL: the triggers that stamp a cached table on every change, and
a per-process cache that reads the stamps instead of its tables until one changes."""

from datetime import date

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from inventory.models import Warehouse
from oms.reference_cache import ReferenceCache, current_stamps, stamps_read_once
from oms.sql import select_models
from shipping.models import Holiday

pytestmark = pytest.mark.django_db
TABLE = "shipping_holiday"


def stamp(table: str = TABLE) -> int:
    return current_stamps().get(table, 0)


def holiday(name: str = "Koningsdag", country: str = "NL", day: date = date(2031, 4, 26)) -> Holiday:
    return Holiday.objects.create(country=country, date=day, name=name)


@pytest.fixture
def names():
    """A cached read of the holidays' names per country, and the countries it really read."""
    cache = ReferenceCache(Holiday)
    reads = []

    @cache.memoize
    def holiday_names(country: str) -> tuple:
        reads.append(country)
        return tuple(Holiday.objects.filter(country=country).order_by("name").values_list("name", flat=True))

    holiday_names.reads = reads
    return holiday_names


def test_every_kind_of_change_stamps_the_table_anew():
    seen = {stamp()}
    holiday()
    seen.add(stamp())
    # not through a model's save(): a bulk update, as a data fix would do it
    Holiday.objects.filter(country="NL").update(name="King's Day")
    seen.add(stamp())
    Holiday.objects.filter(country="NL").delete()
    seen.add(stamp())
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}")
    seen.add(stamp())
    assert len(seen) == 5


def test_a_change_to_another_table_leaves_the_stamp_alone():
    before = stamp()
    Warehouse.objects.create(code="ZZZ", name="Elsewhere")
    assert stamp() == before and stamp("inventory_warehouse") != 0


def test_a_rolled_back_change_takes_its_stamp_back_and_its_number_never_returns():
    before = stamp()
    with pytest.raises(RuntimeError), transaction.atomic():
        holiday()
        inside = stamp()
        raise RuntimeError("changed my mind")
    assert stamp() == before
    holiday()
    assert stamp() not in {before, inside}


def test_the_cache_reads_the_stamps_not_its_tables_until_one_changes(names):
    holiday("Koningsdag")
    assert names("NL") == ("Koningsdag",)
    with CaptureQueriesContext(connection) as warm:
        assert names("NL") == ("Koningsdag",)
    assert len(warm) == 1 and TABLE not in warm[0]["sql"]
    # when the table changes (here without any service), the next read sees it
    Holiday.objects.filter(country="NL").update(name="King's Day")
    assert names("NL") == ("King's Day",)
    assert names.reads == ["NL", "NL"]


def test_stamps_are_read_once_in_a_block(names):
    holiday("Koningsdag")
    names("NL")
    with CaptureQueriesContext(connection) as captured, stamps_read_once():
        names("NL"), names("NL"), names("BE")
    # the stamps once, and the holidays of the country not read before
    assert len(captured) == 2 and names.reads == ["NL", "BE"]


def test_what_a_transaction_read_of_its_own_change_is_gone_after_its_rollback(names):
    holiday("Koningsdag")
    assert names("NL") == ("Koningsdag",)
    with pytest.raises(RuntimeError), transaction.atomic():
        Holiday.objects.filter(country="NL").update(name="Never committed")
        assert names("NL") == ("Never committed",)
        raise RuntimeError("rolled back")
    assert names("NL") == ("Koningsdag",)
    # and a later change gets a stamp of its own, so the rolled-back read is not taken for it
    holiday("Bevrijdingsdag", day=date(2031, 5, 5))
    assert names("NL") == ("Bevrijdingsdag", "Koningsdag")


# --- the stamps carried by the block's first read (order placement) -------------------------------


def holidays_in(country: str) -> list:
    return select_models(Holiday, "oms_read_test_holidays_in", "country = $1", [country])


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "plain"])
def test_the_stamps_ride_along_with_the_first_read_of_the_block(names, prepared):
    holiday("Koningsdag")
    names("NL")
    Holiday.objects.filter(country="NL").update(name="King's Day")  # committed before the block
    with override_settings(OMS_PREPARED_STATEMENTS=prepared):
        with CaptureQueriesContext(connection) as captured, stamps_read_once(with_first_read=True):
            found = holidays_in("NL")
            assert names("NL") == ("King's Day",)  # the change is seen
            assert names("NL") == ("King's Day",)
    # the read and the holidays read anew: no statement of their own for the stamps
    assert [h.name for h in found] == ["King's Day"] and len(captured) == 2
    assert "oms_tablestamp" in captured[0]["sql"] and names.reads == ["NL", "NL"]


def test_a_cache_asked_before_any_read_carried_the_stamps_reads_them_once(names):
    holiday("Koningsdag")
    names("NL")
    with CaptureQueriesContext(connection) as captured, stamps_read_once(with_first_read=True):
        assert holidays_in("BE") == []  # no rows: nothing rides on it
        names("NL"), names("NL")
        holidays_in("NL")  # read after the cache asked: it carries nothing any more
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) == 3 and "oms_read_table_stamps" in sql[1]
    assert "oms_tablestamp" not in sql[2] and names.reads == ["NL"]


def test_a_block_with_no_stamped_table_yet_reads_them_as_empty(names):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM oms_tablestamp")
    holiday("Koningsdag")  # stamps its table again
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM oms_tablestamp")
    with stamps_read_once(with_first_read=True):
        holidays_in("NL")
        assert current_stamps() == {}
        assert names("NL") == ("Koningsdag",)
