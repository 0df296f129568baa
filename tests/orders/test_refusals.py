"""No refusal poisons a connection (issue 13).

On ONE database connection, each refusal or failure order intake can meet is the first use of
the prepared statements of its request (``oms.sql.deallocate_all`` before each, as on a new
connection), and valid orders placed right after it all succeed. A statement PostgreSQL keeps
through the failure while ``oms.sql`` thinks it is not there made every later order on that
connection fail with "prepared statement ... already exists".
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import psycopg2
import pytest
from django.db import IntegrityError, connection
from rest_framework.test import APIClient

from inventory.models import StockLevel
from oms.api_clients import api_client_create, api_client_revoke
from oms.models import ApiClient
from oms.sql import deallocate_all
from orders.models import Order
from tests.factories.customers import AddressFactory, CustomerFactory
from tests.factories.inventory import ProductFactory, WarehouseFactory, stock
from tests.factories.orders import OrderFactory
from tests.support.gunicorn import Gunicorn

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/orders/"


@pytest.fixture
def shop(make_user):
    """Two products with plenty of stock, one with a single unit, a consumer and a business
    customer on account with 10.00 of its 5000.00 credit left, and an API client."""
    warehouse = WarehouseFactory(code="AMS")
    plenty = [ProductFactory(sku=f"PLENTY-{n}", list_price=Decimal("5.00")) for n in (1, 2)]
    for product in plenty:
        stock(product, warehouse, 10_000)
    stock(ProductFactory(sku="SCARCE"), warehouse, 1)
    consumer = CustomerFactory()
    AddressFactory(customer=consumer, kind="shipping")
    business = CustomerFactory(b2b=True)
    AddressFactory(customer=business, kind="shipping")
    OrderFactory(customer=business, payment_method="on_account", gross_amount=Decimal("4990.00"),
                 net_amount=Decimal("4990.00"), vat_amount=0)  # fmt: skip
    client = APIClient()
    api_client, key = api_client_create(name="refusals shop", scopes=["all"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return {"api": client, "consumer": consumer, "business": business, "levels": _levels(plenty),
            "key": key, "user_id": api_client.user_id}  # fmt: skip


def _levels(products) -> list[int]:
    return sorted(StockLevel.objects.filter(product__in=products).values_list("id", flat=True))


_numbers = iter(range(1, 1_000_000))


def order_body(customer, *, reference: str | None = None, **changes) -> dict:
    return {
        "channel": "web",
        "external_reference": reference or f"OK-{next(_numbers)}",
        "customer": {"number": customer.number},
        "lines": [{"sku": "PLENTY-1", "quantity": 1}, {"sku": "PLENTY-2", "quantity": 1}],
        "payment_method": "ideal",
        "backorder_policy": "allow",
    } | changes


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def assert_valid_orders_succeed(shop, count: int = 3) -> None:
    statuses = [shop["api"].post(URL, order_body(shop["consumer"]), format="json").status_code for _ in range(count)]
    assert statuses == [201] * count


def codes(response) -> set[str]:
    return codes_of(response.json())


def codes_of(problem: dict) -> set[str]:
    return {error["code"] for error in problem["errors"]}


@contextlib.contextmanager
def session(**settings):
    """Our connection's own settings for a while (``SET``: the session, not a transaction)."""
    with connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute(f"SET {name} = %s", [value])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name in settings:
                cursor.execute(f"RESET {name}")


@contextlib.contextmanager
def other_transaction(*statements: str):
    """A second connection holding the locks of ``statements`` in an open transaction."""
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        yield other
    finally:
        other.rollback()
        other.close()


def refused_as_first_use(shop, post, *during) -> object:
    """``post()`` on a session that has prepared nothing (inside the context managers
    ``during``), then valid orders on the same session once they have ended."""
    deallocate_all()
    with contextlib.ExitStack() as stack:
        for context in during:
            stack.enter_context(context)
        response = post()
    assert_valid_orders_succeed(shop)
    return response


def test_no_refusal_or_failure_poisons_the_connection(shop):
    api, consumer, business = shop["api"], shop["consumer"], shop["business"]
    pid = backend_pid()

    api.post(URL, order_body(consumer, reference="TAKEN"), format="json")
    duplicate = refused_as_first_use(
        shop, lambda: api.post(URL, order_body(consumer, reference="TAKEN"), format="json")
    )
    assert duplicate.status_code == 409 and codes(duplicate) == {"duplicate_external_reference"}

    scarce = order_body(consumer, lines=[{"sku": "SCARCE", "quantity": 2}], backorder_policy="reject")
    shortage = refused_as_first_use(shop, lambda: api.post(URL, scarce, format="json"))
    assert shortage.status_code == 409 and codes(shortage) == {"insufficient_stock"}

    on_account = order_body(business, payment_method="on_account")
    credit = refused_as_first_use(shop, lambda: api.post(URL, on_account, format="json"))
    assert credit.status_code == 409 and codes(credit) == {"credit_limit_exceeded"}

    keyed = {"HTTP_IDEMPOTENCY_KEY": "refusal-1"}
    assert api.post(URL, order_body(consumer), format="json", **keyed).status_code == 201
    reused = refused_as_first_use(shop, lambda: api.post(URL, order_body(consumer), format="json", **keyed))
    assert reused.status_code == 422 and codes(reused) == {"idempotency_key_reused"}

    assert backend_pid() == pid


def test_no_lock_statement_or_deadlock_failure_poisons_the_connection(shop, make_user):
    api, consumer = shop["api"], shop["consumer"]
    first_level = shop["levels"][0]
    pid = backend_pid()

    # a row lock: the stock candidates' EXECUTE fails (after its PREPARE ran)
    row_lock = f"SELECT 1 FROM inventory_stocklevel WHERE id = {first_level} FOR UPDATE"
    locked = refused_as_first_use(
        shop, lambda: api.post(URL, order_body(consumer), format="json"),
        session(lock_timeout="200ms"), other_transaction(row_lock),
    )  # fmt: skip
    assert locked.status_code == 503

    # a table lock: the order insert's PREPARE itself waits (it locks the tables it plans for)
    timed_out = refused_as_first_use(
        shop, lambda: api.post(URL, order_body(consumer), format="json"),
        session(lock_timeout="0", statement_timeout="300ms"),
        other_transaction("LOCK TABLE orders_order IN EXCLUSIVE MODE"),
    )  # fmt: skip
    assert timed_out.status_code == 503

    # the key's record: a concurrent holder of the same Idempotency-Key, past the lock timeout
    user_id = shop["user_id"]
    holder = (
        "INSERT INTO oms_idempotencyrecord (user_id, key, method, path, fingerprint, created_at) "
        f"VALUES ({user_id}, 'busy-1', 'POST', '{URL}', '', now())"
    )
    busy = refused_as_first_use(
        shop, lambda: api.post(URL, order_body(consumer), format="json", HTTP_IDEMPOTENCY_KEY="busy-1"),
        session(lock_timeout="200ms"), other_transaction(holder),
    )  # fmt: skip
    assert busy.status_code == 409 and codes(busy) == {"idempotency_request_in_progress"}

    deadlocked = refused_as_first_use(shop, lambda: _deadlocked_order(shop))
    assert deadlocked.status_code == 503

    assert backend_pid() == pid


def _deadlocked_order(shop):
    """An order that locks the two stock levels in id order while another transaction holds the
    second and then asks for the first; ours detects the deadlock first (the shorter
    deadlock_timeout), so it is the one rolled back."""
    first, second = shop["levels"]
    pid = backend_pid()
    holding = threading.Event()

    def other_side():
        with other_transaction(
            "SET deadlock_timeout = '30s'", f"SELECT 1 FROM inventory_stocklevel WHERE id = {second} FOR UPDATE"
        ) as other:
            holding.set()
            with other.cursor() as cursor:
                _wait_until_waiting(cursor, pid)
                cursor.execute(f"SELECT 1 FROM inventory_stocklevel WHERE id = {first} FOR UPDATE")

    thread = threading.Thread(target=other_side)
    thread.start()
    try:
        assert holding.wait(10)
        with session(deadlock_timeout="1s"):
            return shop["api"].post(URL, order_body(shop["consumer"]), format="json")
    finally:
        thread.join(30)


def _wait_until_waiting(cursor, pid: int) -> None:
    for _ in range(500):
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        if cursor.fetchone()[0] == "Lock":
            return
        time.sleep(0.01)
    raise AssertionError("the order never waited for the lock")


def test_a_check_constraint_violation_does_not_poison_the_connection(shop):
    # the database's last word (the services refuse such input first): a constraint added for
    # this test makes the order insert the statement that fails
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE orders_order ADD CONSTRAINT refusal_test CHECK (notes <> 'refuse me') NOT VALID")
    try:
        pid = backend_pid()
        body = order_body(shop["consumer"], notes="refuse me")
        with pytest.raises(IntegrityError, match="refusal_test"):
            refused_as_first_use(shop, lambda: shop["api"].post(URL, body, format="json"))
        assert_valid_orders_succeed(shop)
        assert backend_pid() == pid
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE orders_order DROP CONSTRAINT refusal_test")
    assert Order.objects.filter(notes="refuse me").count() == 0


# --- through a real gunicorn ------------------------------------------------------------------


@pytest.fixture
def gunicorn(request):
    # the orders' flat delivery quote, as the in-process tests here (tests/orders/conftest.py)
    flat = {"OMS_DELIVERY_QUOTE_BACKEND": "orders.quotes.quote_delivery"}
    server = Gunicorn(workers=getattr(request, "param", 1), env=flat).start()
    yield server
    server.stop()


def _headers(shop) -> dict:
    return {"Authorization": f"Token {shop['key']}"}


@pytest.mark.slow
@pytest.mark.redis
def test_one_sync_worker_answers_409_to_a_duplicate_and_201_to_every_order_after_it(shop, gunicorn):
    # given a reference used already, by an order placed elsewhere
    consumer = shop["consumer"]
    assert shop["api"].post(URL, order_body(consumer, reference="USED-1"), format="json").status_code == 201

    # when it is the first order the worker sees, and valid orders follow on its connection
    status, problem = gunicorn.request("POST", URL, order_body(consumer, reference="USED-1"), _headers(shop))
    after = [gunicorn.request("POST", URL, order_body(consumer), _headers(shop))[0] for _ in range(10)]

    # then a 409 for the duplicate and a 201 for every later order
    assert status == 409 and codes_of(problem) == {"duplicate_external_reference"}, problem
    assert after == [201] * 10, gunicorn.output()[-3000:]


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.parametrize("gunicorn", [2], indirect=True)
def test_a_race_of_orders_with_duplicate_references_gets_no_server_error(shop, gunicorn):
    # given ten references used already; then 60 orders at once, twenty references three times each
    consumer = shop["consumer"]
    for n in range(10):
        assert shop["api"].post(URL, order_body(consumer, reference=f"RACE-{n}"), format="json").status_code == 201
    bodies = [order_body(consumer, reference=f"RACE-{n % 20}") for n in range(60)]
    random.Random(13).shuffle(bodies)

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda body: gunicorn.request("POST", URL, body, _headers(shop))[0], bodies))
    after = [gunicorn.request("POST", URL, order_body(consumer), _headers(shop))[0] for _ in range(6)]

    # then each new reference is placed once, every other try is a 409, and nothing is a 5xx
    assert sorted(statuses) == [201] * 10 + [409] * 50, gunicorn.output()[-3000:]
    assert after == [201] * 6, gunicorn.output()[-3000:]


@pytest.mark.slow
@pytest.mark.redis
def test_a_token_revoked_here_is_refused_by_the_worker_that_knew_it(shop, gunicorn):
    # given a worker that has placed orders for the client (it knows the client, reads no token)
    consumer = shop["consumer"]
    placed = [gunicorn.request("POST", URL, order_body(consumer), _headers(shop))[0] for _ in range(4)]
    assert placed == [201] * 4, gunicorn.output()[-3000:]
    orders = Order.objects.count()
    # when the token is revoked in another process
    client = ApiClient.objects.get(user_id=shop["user_id"])
    api_client_revoke(client_id=client.pk)
    # then the worker refuses it at once, and places nothing
    refused = [gunicorn.request("POST", URL, order_body(consumer), _headers(shop)) for _ in range(4)]
    assert {status for status, _ in refused} == {401}, refused
    assert Order.objects.count() == orders
