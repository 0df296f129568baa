"""The quote's reference data cached in another process: a change committed here is seen there
at its next quote (gunicorn and Celery workers are separate processes, each with its own cache)."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from shipping import services
from tests.factories.inventory import ProductFactory, WarehouseFactory
from tests.factories.shipping import parcel_service
from tests.support.celery_worker import database_url_for_tests

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, for a process that is not this test run (the embedded server's socket
    directory as a percent-encoded host)."""
    return database_url_for_tests()


@pytest.fixture
def other_process(transactional_db):
    """Start the quoting process on committed data; ``ask()`` -> (charge, queries) from it."""
    started = []

    def start(product_id: int, warehouse_id: int):
        env = dict(os.environ, DATABASE_URL=database_url(), DJANGO_SETTINGS_MODULE="oms.settings.test")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.shipping.quote_process", str(product_id), str(warehouse_id)],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        started.append(process)

        def ask() -> tuple[Decimal, int]:
            process.stdin.write("quote\n")
            process.stdin.flush()
            charge, queries = process.stdout.readline().split()
            return Decimal(charge), int(queries)

        return ask

    yield start
    for process in started:
        process.stdin.close()
        process.wait(30)


def test_a_rate_changed_here_is_used_by_another_process_at_its_next_quote(other_process):
    # given a parcel service at 4.10 up to 2 kg, and another process that has quoted with it
    service = parcel_service("postnl")
    warehouse = WarehouseFactory(code="AMS")
    ask = other_process(ProductFactory(weight_grams=100).pk, warehouse.pk)
    assert ask()[0] == Decimal("4.10")
    # whose cache is warm: it reads only the tables' stamps
    assert ask() == (Decimal("4.10"), 1)
    # when the rate is changed in this process
    services.rates_set(user=None, service_id=service.pk, zone="nl", brackets=[(2000, Decimal("5.25"))])
    # then the other process quotes the new rate at once, and then keeps it cached again
    assert ask()[0] == Decimal("5.25")
    assert ask() == (Decimal("5.25"), 1)
