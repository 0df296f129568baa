"""API clients (API.md 1.1): the command, hashed storage, revocation, last use, no screen login,
the manager's admin screens and the migration of tokens made before 1.1."""

import importlib
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from oms.api_clients import LAST_USE_RESOLUTION, api_client_create, api_client_revoke, token_hash
from oms.models import ApiClient

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/orders/"


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def tables_holding(text: str) -> list[str]:
    """Every table of the database whose rows contain ``text`` anywhere."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        names = [row[0] for row in cursor.fetchall()]
        found = []
        for name in names:
            cursor.execute(f'SELECT 1 FROM "{name}" t WHERE t::text LIKE %s LIMIT 1', [f"%{text}%"])
            if cursor.fetchone():
                found.append(name)
    return found


def test_command_prints_the_token_alone_on_the_last_line_and_stores_only_its_hash():
    out = StringIO()
    call_command(
        "create_api_client", "Webshop NL", "--channel", "web", "--scope", "orders:write", "--scope", "prices:override",
        stdout=out,
    )  # fmt: skip
    token = out.getvalue().rstrip("\n").splitlines()[-1]
    assert token.startswith("oms_") and len(token) >= 40 and " " not in token
    client = ApiClient.objects.get()
    assert (client.name, client.channel, client.scopes) == ("Webshop NL", "web", ["orders:write", "prices:override"])
    assert client.token_hash == token_hash(token) and token.startswith(client.prefix)
    # the database holds the hash and the prefix, never the token
    assert tables_holding(token) == []
    assert tables_holding(token[len(client.prefix) :]) == []
    # and the token works, through the real authentication
    assert token_client(token).get(ORDERS).status_code == 200
    # the client's user cannot log in with a password: it has none
    assert not client.user.has_usable_password()


@pytest.mark.parametrize(
    "args",
    [["Shop", "--scope", "orders:delete"], ["Shop", "--channel", "fax", "--scope", "orders:write"], ["Shop"]],
)
def test_command_refuses_unknown_scopes_and_channels(args):
    with pytest.raises((CommandError, SystemExit)):
        call_command("create_api_client", *args, stdout=StringIO(), stderr=StringIO())
    assert not ApiClient.objects.exists()


def test_a_revoked_token_is_refused():
    client, token = api_client_create(name="Shop", scopes=["orders:read"])
    assert token_client(token).get(ORDERS).status_code == 200
    api_client_revoke(client_id=client.pk)
    response = token_client(token).get(ORDERS)
    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "authentication_failed"
    assert token_client("oms_not-a-token").get(ORDERS).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(django_assert_num_queries):
    client, token = api_client_create(name="Shop", scopes=["orders:read"])
    assert client.last_used_at is None
    api = token_client(token)
    api.get(ORDERS)
    client.refresh_from_db()
    first = client.last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=10)
    # a second call within the minute writes nothing
    api.get(ORDERS)
    client.refresh_from_db()
    assert client.last_used_at == first
    # a call after a minute records the new time
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=first - LAST_USE_RESOLUTION - timedelta(seconds=1))
    api.get(ORDERS)
    client.refresh_from_db()
    assert client.last_used_at > first


def test_an_api_client_cannot_log_into_the_screens(make_user):
    # given a client whose user was given a password anyway, and an api_client-role user
    client, _ = api_client_create(name="Shop", scopes=["all"])
    client.user.set_password("a-long-password-1")
    client.user.save()
    role_user = make_user("api_client", username="old-shop")
    staff = make_user("customer_service", username="anna")
    for user in (client.user, role_user):
        browser = Client()
        response = browser.post("/accounts/login/", {"username": user.username, "password": "pw-for-tests-only"})
        if user is client.user:
            response = browser.post("/accounts/login/", {"username": user.username, "password": "a-long-password-1"})
        assert response.status_code == 200 and "_auth_user_id" not in browser.session
        assert not browser.login(username=user.username, password="pw-for-tests-only")
    # staff still log in
    browser = Client()
    response = browser.post("/accounts/login/", {"username": staff.username, "password": "pw-for-tests-only"})
    assert response.status_code == 302 and browser.session["_auth_user_id"] == str(staff.pk)


def test_tokens_from_before_1_1_become_clients_with_every_scope(make_user):
    migration = importlib.import_module("oms.migrations.0005_api_clients")
    # given a webshop's DRF token (api_client role), and a staff user's own token
    shop = make_user("api_client", username="webshop")
    old_key = Token.objects.create(user=shop).key
    staff = make_user("customer_service", username="anna")
    staff_key = Token.objects.create(user=staff).key
    # when the data migration runs
    migration.tokens_to_clients(apps, None)
    # then the webshop is a client with every scope, under the same user and the same token
    client = ApiClient.objects.get()
    assert (client.user, client.scopes, client.channel) == (shop, ["all"], "")
    assert client.token_hash == token_hash(old_key) and client.prefix == old_key[:8]
    assert not Token.objects.filter(user=shop).exists() and tables_holding(old_key) == []
    assert token_client(old_key).get(ORDERS).status_code == 200
    # and the staff token is left as it was, acting with the user's roles
    assert Token.objects.filter(user=staff, key=staff_key).exists()
    assert token_client(staff_key).get(ORDERS).status_code == 200
    assert token_client(staff_key).put("/api/v1/warehouses/ZZZ/", {}, format="json").status_code == 403


# --- the manager's screens ------------------------------------------------------------------------


@pytest.fixture
def manager(make_user):
    user = make_user("manager", username="boss", is_staff=True)
    browser = Client()
    browser.force_login(user)
    return browser


def test_manager_creates_a_client_and_sees_its_token_once(manager):
    response = manager.post(
        "/admin/oms/apiclient/add/",
        {"name": "Webshop BE", "channel": "web", "scopes": ["orders:write", "orders:read"]},
    )
    assert response.status_code == 200, response.content[:500]
    client = ApiClient.objects.get()
    page = response.content.decode()
    token = page.split('id="api-token"', 1)[1].split(">", 1)[1].split("<", 1)[0]
    assert token_hash(token) == client.token_hash and "no-store" in response["Cache-Control"]
    assert client.scopes == ["orders:write", "orders:read"] and client.channel == "web"
    assert client.created_by.username == "boss"
    # the list shows it with its prefix and last use, never the token
    token_client(token).get(ORDERS)
    listing = manager.get("/admin/oms/apiclient/").content.decode()
    assert "Webshop BE" in listing and client.prefix in listing and token not in listing
    detail = manager.get(f"/admin/oms/apiclient/{client.pk}/change/").content.decode()
    assert token not in detail and client.prefix in detail
    assert tables_holding(token) == []


def test_manager_revokes_clients_from_the_list(manager):
    client, token = api_client_create(name="Old shop", scopes=["all"])
    response = manager.post("/admin/oms/apiclient/", {"action": "revoke", "_selected_action": [client.pk]}, follow=True)
    assert response.status_code == 200
    client.refresh_from_db()
    assert client.revoked_at is not None
    assert token_client(token).get(ORDERS).status_code == 401


def test_only_managers_reach_the_client_screens(make_user):
    clerk = make_user("customer_service", username="clerk", is_staff=True)
    browser = Client()
    browser.force_login(clerk)
    assert browser.get("/admin/oms/apiclient/").status_code == 403
    response = browser.post("/admin/oms/apiclient/add/", {"name": "x", "scopes": ["all"]})
    assert response.status_code == 403 and not ApiClient.objects.exists()
    assert Group.objects.filter(name="manager").exists()


def test_demo_users_come_with_a_demo_api_client_whose_token_works(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    out = StringIO()
    call_command("seed_demo_users", stdout=out)
    token = next(line.split()[-1] for line in out.getvalue().splitlines() if "API client" in line)
    assert token_client(token).get(ORDERS).status_code == 200
    # run again: the same client and token, no second one
    call_command("seed_demo_users", stdout=StringIO())
    assert ApiClient.objects.count() == 1


def test_the_openapi_schema_names_each_operations_scopes(api_client_for):
    import yaml

    schema = yaml.safe_load(api_client_for("api_client").get("/api/schema/").content)
    paths = schema["paths"]
    assert paths["/api/v1/orders/"]["post"]["x-required-scopes"] == ["orders:write"]
    assert paths["/api/v1/orders/"]["get"]["x-required-scopes"] == ["orders:read", "orders:write"]
    assert "`orders:write`" in paths["/api/v1/orders/{number}/cancel/"]["post"]["description"]
    assert paths["/api/v1/products/{sku}/"]["put"]["x-required-scopes"] == ["catalog:write"]
    assert paths["/api/v1/products/{sku}/"]["get"]["x-required-scopes"] == []  # any client
    assert schema["info"]["version"] == "1.1" and "insufficient_scope" in schema["info"]["description"]


def test_the_audit_trail_records_who_created_and_revoked_a_client_not_each_use(manager):
    from oms import audit

    manager.post("/admin/oms/apiclient/add/", {"name": "Webshop", "channel": "", "scopes": ["orders:read"]})
    client = ApiClient.objects.get()
    manager.post("/admin/oms/apiclient/", {"action": "revoke", "_selected_action": [client.pk]})
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    events = audit.history_for(client)  # one test transaction: one time, so no order
    assert sorted(e.pgh_label for e in events) == ["insert", "update"]
    update = next(e for e in events if e.pgh_label == "update")
    assert update.pgh_diff == {"revoked_at": [None, update.pgh_data["revoked_at"]]}
    assert all(e.pgh_context["user"] == client.created_by_id for e in events)


def test_the_token_read_builds_the_client_and_user_the_orm_would(make_user):
    from django.forms.models import model_to_dict

    from oms.api import _client_by_token

    client, token = api_client_create(name="Shop", scopes=["orders:read", "stock:write"], channel="web")
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    read = _client_by_token(token)
    expected = ApiClient.objects.select_related("user").get(pk=client.pk)
    assert model_to_dict(read) == model_to_dict(expected)
    assert {f.attname: getattr(read, f.attname) for f in ApiClient._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in ApiClient._meta.concrete_fields
    }
    user_fields = type(expected.user)._meta.concrete_fields
    assert {f.attname: getattr(read.user, f.attname) for f in user_fields} == {
        f.attname: getattr(expected.user, f.attname) for f in user_fields
    }
    # saved instances: saving one updates its row, it does not insert another
    assert not read._state.adding and not read.user._state.adding
    assert _client_by_token("oms_unknown") is None


def test_the_menu_leads_managers_to_the_api_clients(manager, role_client):
    assert 'href="/admin/oms/apiclient/"' in manager.get("/").content.decode()
    assert 'href="/admin/oms/apiclient/"' not in role_client("customer_service").get("/").content.decode()
