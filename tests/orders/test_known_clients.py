"""Order placement keeps the API clients it authenticated per process
(``oms.api.TokenAuthentication(keep_known=True)``): a client this process read before is not read
again, and every change to the client or its user, however made, is seen before an order is
written or any answer leaves."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import StockLevel
from oms.api_clients import api_client_mark_used, api_client_revoke
from oms.models import API_CLIENT_STAMPED_COLUMNS, USER_STAMPED_COLUMNS, ApiClient, TableStamp
from orders.models import Order

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"


def order_body(customer, n: int, /, **changes) -> dict:
    return {
        "channel": "web",
        "external_reference": f"KNOWN-{n}",
        "customer": {"number": customer.number},
        "lines": [{"sku": "MUG-RED", "quantity": 1}],
        "payment_method": "ideal",
    } | changes


def reserved(mug) -> int:
    return sum(StockLevel.objects.filter(product=mug).values_list("reserved", flat=True))


def token_reads(queries) -> int:
    return sum("oms_read_api_client_by_token" in q["sql"] or "token_hash" in q["sql"] for q in queries)


@pytest.fixture
def shop(api_client_for, customer, mug):
    """A client whose first order made it known to this process."""
    api = api_client_for(scopes=["orders:write"], channel="web")
    assert api.post(URL, order_body(customer, 0), format="json").status_code == 201
    return api


def stamp(table: str) -> int | None:
    return TableStamp.objects.filter(name=table).values_list("version", flat=True).first()


def test_the_stamped_columns_are_every_column_but_the_one_a_use_or_a_login_writes():
    assert set(API_CLIENT_STAMPED_COLUMNS) == {f.column for f in ApiClient._meta.concrete_fields} - {"last_used_at"}
    assert set(USER_STAMPED_COLUMNS) == {f.column for f in User._meta.concrete_fields} - {"last_login"}


def test_a_revocation_stamps_the_clients_a_recorded_use_does_not(shop):
    client = shop.api_client
    before = stamp("oms_apiclient")
    api_client_mark_used(client, now=timezone.now() + timedelta(minutes=5))
    assert stamp("oms_apiclient") == before
    api_client_revoke(client_id=client.pk)
    assert stamp("oms_apiclient") != before


def test_a_login_does_not_stamp_the_users_a_deactivation_does(shop, rf):
    user = shop.user
    before = stamp("auth_user")
    user_logged_in.send(sender=User, request=rf.get("/"), user=user)  # Django's last_login update
    assert User.objects.get(pk=user.pk).last_login is not None and stamp("auth_user") == before
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert stamp("auth_user") != before


def test_a_known_client_places_an_order_without_reading_its_token(shop, customer):
    with CaptureQueriesContext(connection) as queries:
        response = shop.post(URL, order_body(customer, 1), format="json")
    assert response.status_code == 201 and token_reads(queries.captured_queries) == 0


def test_a_change_to_another_client_costs_one_read_and_the_order_goes_through(shop, customer, api_client_for):
    api_client_for(scopes=["orders:read"], name="another shop")  # a new row stamps the table
    with CaptureQueriesContext(connection) as queries:
        response = shop.post(URL, order_body(customer, 1), format="json")
    assert response.status_code == 201 and token_reads(queries.captured_queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert shop.post(URL, order_body(customer, 2), format="json").status_code == 201
    assert token_reads(queries.captured_queries) == 0


def test_a_token_revoked_after_it_became_known_places_nothing(shop, customer, mug):
    orders, held = Order.objects.count(), reserved(mug)
    api_client_revoke(client_id=shop.api_client.pk)
    response = shop.post(URL, order_body(customer, 1), format="json")
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Token realm="api"'
    assert response.json()["errors"][0]["message"] == "This token was revoked."
    assert Order.objects.count() == orders and reserved(mug) == held


def test_a_user_made_inactive_after_its_client_became_known_places_nothing(shop, customer):
    orders = Order.objects.count()
    User.objects.filter(pk=shop.user.pk).update(is_active=False)
    response = shop.post(URL, order_body(customer, 1), format="json")
    assert response.status_code == 401 and Order.objects.count() == orders


@pytest.mark.parametrize(
    "changes",
    [
        {"customer": {"number": "C-999999"}},  # the service's refusal would name the customer
        {"lines": [{"sku": "NO-SUCH-SKU", "quantity": 1}]},
        {"lines": []},  # the serializer's 400
        {"channel": "phone"},  # another channel than the client's: 403
    ],
    ids=["unknown-customer", "unknown-sku", "no-lines", "other-channel"],
)
def test_a_revoked_token_gets_401_not_the_refusal(shop, customer, changes):
    api_client_revoke(client_id=shop.api_client.pk)
    response = shop.post(URL, order_body(customer, 1, **changes), format="json")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"


def test_a_revoked_token_gets_no_replay_of_an_earlier_answer(shop, customer):
    # given an order placed with a key, and the token revoked since
    headers = {"HTTP_IDEMPOTENCY_KEY": "placed-then-revoked"}
    first = shop.post(URL, order_body(customer, 1), format="json", **headers)
    assert first.status_code == 201
    api_client_revoke(client_id=shop.api_client.pk)
    # then the retry with the same key gets 401, not the stored order
    again = shop.post(URL, order_body(customer, 1), format="json", **headers)
    assert again.status_code == 401 and "Idempotent-Replayed" not in again
    assert "number" not in again.json()


def test_a_client_whose_rights_changed_by_hand_is_asked_to_send_again(shop, customer):
    orders = Order.objects.count()
    ApiClient.objects.filter(pk=shop.api_client.pk).update(scopes=["orders:read"])  # psql, say
    response = shop.post(URL, order_body(customer, 1), format="json")
    assert response.status_code == 401 and "send it again" in response.json()["errors"][0]["message"]
    assert Order.objects.count() == orders
    # the retry is judged by the rights as they are now
    again = shop.post(URL, order_body(customer, 1), format="json")
    assert again.status_code == 403 and again.json()["errors"][0]["code"] == "insufficient_scope"


def test_a_refusal_to_a_known_valid_client_is_still_the_refusal(shop, customer):
    response = shop.post(URL, order_body(customer, 1, customer={"number": "C-999999"}), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_customer"


def test_a_revoked_token_with_a_malformed_key_gets_401(shop, customer):
    api_client_revoke(client_id=shop.api_client.pk)
    response = shop.post(URL, order_body(customer, 1), format="json", HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 401
