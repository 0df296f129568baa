"""Two people saving the same rates, carrier code or holiday at the same moment (real threads on
PostgreSQL): one consistent result, and a business error instead of a database error."""

import threading
from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection

from oms.errors import Conflict
from shipping import services
from shipping.models import Carrier, Holiday, Rate
from tests.factories.shipping import ServiceLevelFactory

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 5


def _race(*calls):
    """Run the calls in threads released together; returns each call's result or exception."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread met
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return outcomes


def test_rates_set_concurrently_leaves_exactly_one_of_the_two_tables(make_user):
    service = ServiceLevelFactory()
    user = make_user("manager")
    first = [(2000, Decimal("4.10")), (10000, Decimal("6.95"))]
    second = [(2000, Decimal("4.25")), (5000, Decimal("5.50")), (23000, Decimal("10.95"))]

    for _ in range(ROUNDS):
        outcomes = _race(
            partial(services.rates_set, user=user, service_id=service.pk, zone="nl", brackets=first),
            partial(services.rates_set, user=user, service_id=service.pk, zone="nl", brackets=second),
        )

        assert not any(isinstance(o, Exception) for o in outcomes), outcomes
        stored = sorted(Rate.objects.filter(service=service, zone="nl").values_list("max_weight_grams", "price"))
        assert stored in (first, second)


def test_carrier_save_with_the_same_new_code_creates_one_carrier(make_user):
    user = make_user("warehouse")

    for n in range(ROUNDS):
        code = f"racer-{n}"
        save = partial(services.carrier_save, user=user, code=code, name="Racer")
        outcomes = _race(save, save)

        assert Carrier.objects.filter(code=code).count() == 1
        assert sorted(type(o).__name__ for o in outcomes) == ["Carrier", "Conflict"]


def test_holiday_add_of_the_same_day_twice_at_once_adds_it_once(make_user):
    user = make_user("warehouse")

    for n in range(ROUNDS):
        day = date(2030, 3, 4 + n)
        add = partial(services.holiday_add, user=user, country="NL", day=day, name="Closed")
        outcomes = _race(add, add)

        assert Holiday.objects.filter(country="NL", date=day).count() == 1
        assert sum(isinstance(o, Conflict) for o in outcomes) == 1
