"""problem+json errors and Idempotency-Key semantics, on a test-only endpoint."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from oms.models import IdempotencyRecord, OutboxEvent

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.oms.urls")]
URL = "/api/test/notes/"


@pytest.fixture
def api(api_client_for):
    return api_client_for("api_client")


def test_no_token_is_401_problem_json():
    response = APIClient().post(URL, {"text": "x"}, format="json")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_a_client_token_is_read_in_one_query_without_roles(api, settings):
    from django.test.utils import CaptureQueriesContext

    from oms.api import _client_read
    from oms.roles import user_roles

    api.post(URL, {"text": "warm"}, format="json")  # the first call records the last use
    with CaptureQueriesContext(connection) as queries:
        response = api.post(URL, {"text": "x"}, format="json")
    assert response.status_code == 201
    # one statement, prepared once per connection (its text on the first use, its name after);
    # with prepared statements off (behind PgBouncer) the same statement as plain SQL
    name = "oms_read_api_client_by_token"
    auth = [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in ("oms_apiclient", "auth_", name))]
    assert len(auth) == 1
    assert (name in auth[0]) == settings.OMS_PREPARED_STATEMENTS
    assert settings.OMS_PREPARED_STATEMENTS or "token_hash" in auth[0]
    statement = _client_read()[0]
    assert "token_hash" in statement and "auth_user" in statement
    assert user_roles(response.renderer_context["request"].user) == frozenset()


def test_a_staff_token_and_its_roles_are_read_in_one_query(make_user):
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from oms.roles import user_roles

    # given a staff user's own DRF token (drf_create_token)
    staff = make_user("customer_service", "accounting")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, {"text": "x"}, format="json")
    # then the token's user and roles are one query (after the miss on the clients' hashes)
    assert response.status_code == 201
    assert user_roles(response.renderer_context["request"].user) == {"customer_service", "accounting"}
    reads = [q["sql"] for q in queries.captured_queries if "authtoken_token" in q["sql"] or "auth_group" in q["sql"]]
    assert len(reads) == 1 and "auth_group" in reads[0]
    # a user without groups has no roles; an inactive user or a bad token is 401
    plain = make_user()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=plain).key}")
    response = client.post(URL, {"text": "x"}, format="json")
    assert user_roles(response.renderer_context["request"].user) == frozenset()
    plain.is_active = False
    plain.save(update_fields=["is_active"])
    assert client.post(URL, {"text": "x"}, format="json").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert client.post(URL, {"text": "x"}, format="json").status_code == 401


def test_malformed_json_is_400_not_500(api):
    response = api.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "malformed_request"


def test_nested_validation_errors_carry_field_paths(api):
    response = api.post(
        URL, {"text": "x", "lines": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 0}]}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["title"]
    assert body["errors"] == [
        {
            "field": "lines.1.quantity",
            "code": "min_value",
            "message": "Ensure this value is greater than or equal to 1.",
        }
    ]


def test_wrong_type_is_400(api):
    response = api.post(URL, {"text": "x", "lines": "many"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "lines"


def test_business_error_is_problem_with_code_and_field(api):
    response = api.post(URL, {"text": "conflict"}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "text", "code": "note_clash", "message": "That note clashes."}]


def test_same_key_same_body_replays_without_a_second_effect(api):
    first = api.post(URL, {"text": "hello"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post(URL, {"text": "hello"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert OutboxEvent.objects.filter(name="test.note").count() == 1


def test_same_key_different_body_is_422(api):
    api.post(URL, {"text": "hello"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = api.post(URL, {"text": "other"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert OutboxEvent.objects.filter(name="test.note").count() == 1


def test_keys_are_per_user(api, api_client_for):
    other = api_client_for("api_client")
    api.post(URL, {"text": "hello"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = other.post(URL, {"text": "hello"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert OutboxEvent.objects.filter(name="test.note").count() == 2


def test_a_keyed_body_is_parsed_and_checked_once(api, monkeypatch):
    """The Idempotency-Key's fingerprint and DRF's parser share one ``input_guard.loads``; a
    body with a control character is still refused by the parser (400, the field named)."""
    from oms import input_guard

    calls = []
    real = input_guard.loads
    monkeypatch.setattr(input_guard, "loads", lambda raw: calls.append(raw) or real(raw))
    response = api.post(URL, {"text": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-parse")
    assert response.status_code == 201 and len(calls) == 1
    calls.clear()
    bad = api.post(URL, {"text": "a\x00b"}, format="json", HTTP_IDEMPOTENCY_KEY="k-parse-bad")
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "control_character"
    assert len(calls) == 2  # refused by the fingerprint's parse and again by the parser's


def test_invalid_request_is_not_stored_so_a_corrected_retry_works(api):
    bad = api.post(URL, {"text": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    good = api.post(URL, {"text": "fixed"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert (bad.status_code, good.status_code) == (400, 201)


def test_conflict_answer_is_stored_and_replayed(api):
    first = api.post(URL, {"text": "conflict"}, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    again = api.post(URL, {"text": "conflict"}, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert first.status_code == again.status_code == 409
    assert again["Content-Type"] == "application/problem+json" and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\tkey"])
def test_bad_keys_are_refused(api, key):
    response = api.post(URL, {"text": "hello"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_idempotency_key"


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_key_make_one_effect(api_client_for):
    token_client = api_client_for("api_client")
    auth = token_client._credentials["HTTP_AUTHORIZATION"]
    barrier = threading.Barrier(12)
    statuses = []

    def send():
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=auth)
        barrier.wait()
        try:
            statuses.append(c.post(URL, {"text": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="race").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert OutboxEvent.objects.filter(name="test.note").count() == 1
    assert set(statuses) <= {201, 409} and statuses.count(201) >= 1
    assert IdempotencyRecord.objects.filter(key="race").count() == 1
