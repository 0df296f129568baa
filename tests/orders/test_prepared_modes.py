"""An API order with and without server-side prepared statements (``OMS_PREPARED_STATEMENTS``):
the same answer for the same number of queries, and with the setting off nothing prepared."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from oms.sql import deallocate_all

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"


def body(customer, n: int, **changes) -> dict:
    lines = [{"sku": "MUG-RED", "quantity": 1}, {"sku": "BOOK-1", "quantity": 1}]
    return {"channel": "web", "external_reference": f"MODE-{n}", "customer": {"number": customer.number}} | {
        "lines": lines,
        "payment_method": "ideal",
        **changes,
    }


def queries_of_an_order(api, customer, n: int, keyed: bool) -> int:
    """Queries of the second of two orders (the first warms the statements and caches)."""

    def post(reference: int):
        headers = {"HTTP_IDEMPOTENCY_KEY": f"key-{reference}"} if keyed else {}
        return api.post(URL, body(customer, reference), format="json", **headers)

    post(100 + n)
    with CaptureQueriesContext(connection) as queries:
        response = post(n)
    assert response.status_code == 201, response.json()
    return len(queries)


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "with-key"])
def test_an_api_order_costs_as_many_queries_without_prepared_statements(api_client_for, customer, mug, book, keyed):
    api = api_client_for("api_client")
    with override_settings(OMS_PREPARED_STATEMENTS=True):
        prepared = queries_of_an_order(api, customer, 1, keyed)
    deallocate_all()
    with override_settings(OMS_PREPARED_STATEMENTS=False):
        plain = queries_of_an_order(api, customer, 2, keyed)
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_prepared_statements")
            assert cursor.fetchall() == []
    assert plain == prepared
