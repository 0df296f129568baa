import os

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from oms.roles import Role
from tests.support.services import chromium_available, redis_available, require

# Playwright's sync API runs an event loop in the test thread (ecosystem.md §3.4).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["tests.support.browser"]

HTMX = {"HTTP_HX_REQUEST": "true"}


def pytest_runtest_setup(item):
    if item.get_closest_marker("redis"):  # a ``worker`` test on Redis is marked ``redis`` too
        require(redis_available())
    if item.get_closest_marker("browser"):
        require(chromium_available())


# Functions that restore reference rows after a transactional test flushed the database.
REFERENCE_DATA = ["oms.reference.ensure_reference_data", "billing.accounts.ensure_accounts"]
DB_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def _reference_data(request):
    if request.node.get_closest_marker("django_db") or DB_FIXTURES & set(request.fixturenames):
        from django.utils.module_loading import import_string

        request.getfixturevalue("_django_db_helper")
        for path in REFERENCE_DATA:
            import_string(path)()


@pytest.fixture(autouse=True)
def _default_language():
    """A request with ``Accept-Language: nl`` leaves Dutch active in the test's thread (the
    locale middleware activates a language per request and never resets it); each test starts
    from the default language instead of from whatever ran before it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_rate_cache():
    from oms.money import clear_rate_cache

    clear_rate_cache()
    yield
    clear_rate_cache()


@pytest.fixture
def make_user(db, django_user_model):
    def make(*roles: str, username: str | None = None, **fields):
        name = username or ("-".join(roles) or "noroles") + f"-{django_user_model.objects.count() + 1}"
        user = django_user_model.objects.create_user(username=name, password="pw-for-tests-only", **fields)
        for role in roles:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def role_client(make_user, client):
    """``role_client("warehouse")``: a Django test client logged in as a user with that role."""

    def login(*roles: str):
        from django.test import Client

        c = Client()
        c.force_login(make_user(*roles))
        return c

    return login


@pytest.fixture
def api_client_for(make_user):
    """A DRF client authenticated with a real token through the real authentication:
    ``api_client_for("api_client")`` an API client with every scope (``all``, unbound);
    ``api_client_for(scopes=["orders:write"], channel="web")`` a scoped client;
    ``api_client_for("customer_service")`` a staff user's own DRF token (acts by its roles).
    ``c.user`` is the acting user, ``c.api_client`` the client (None for a staff token)."""

    def build(*roles: str, scopes=None, channel: str = "", name: str = "test shop"):
        from oms.api_clients import api_client_create

        client = None
        if scopes is not None or roles == (Role.API_CLIENT,):
            client, key = api_client_create(name=name, scopes=scopes or ["all"], channel=channel)
            user = client.user
        else:
            user = make_user(*roles)
            key = Token.objects.create(user=user).key
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        c.user, c.api_client, c.token = user, client, key
        return c

    return build


@pytest.fixture
def manager_client(role_client):
    return role_client(Role.MANAGER)


@pytest.fixture
def htmx_headers():
    return dict(HTMX)


@pytest.fixture
def smtp():
    """A fake SMTP server on 127.0.0.1 for tests where a real worker sends e-mail (the worker is
    another process, so Django's in-memory outbox cannot see its mail)."""
    from tests.billing.fake_smtp import FakeSmtp

    server = FakeSmtp().start()
    yield server
    server.stop()
