"""Races on real PostgreSQL connections: threads released together by a barrier."""

import threading

import pytest
from django.db import connection

from customers.models import Address, Customer
from customers.services import address_add, customer_find_or_create_b2c
from tests.factories.customers import CustomerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
THREADS = 8


def _race(work, count: int = THREADS) -> tuple[list, list]:
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run(index):
        try:
            barrier.wait(timeout=10)
            results.append(work(index))
        except Exception as exc:  # collected, so the test shows what went wrong
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


def test_customer_find_or_create_b2c_makes_one_customer_under_concurrency(make_user):
    agent = make_user("customer_service")
    emails = ["race@example.nl", "RACE@example.nl", "Race@Example.NL"]

    def work(index):
        customer, created = customer_find_or_create_b2c(email=emails[index % 3], name=f"Racer {index}", user=agent)
        return customer.pk, created

    results, errors = _race(work)
    assert errors == []
    assert len({pk for pk, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1
    assert Customer.objects.filter(email="race@example.nl").count() == 1


def test_address_add_as_default_keeps_one_default_under_concurrency(make_user):
    agent = make_user("customer_service")
    customer = CustomerFactory()

    def work(index):
        return address_add(
            customer=customer,
            kind="shipping",
            street=f"Straat {index}",
            house_number=str(index + 1),
            postal_code="3511 AB",
            city="Utrecht",
            is_default=True,
            user=agent,
        ).pk

    results, errors = _race(work)
    assert errors == [] and len(results) == THREADS
    defaults = Address.objects.filter(customer=customer, kind="shipping", is_default=True)
    assert defaults.count() == 1
