"""API answers through ``oms.middleware.CSPMiddleware`` (django-csp's header built once per
policy) keep every status, header and cookie they have through django-csp's own middleware, for
token and session clients alike (tests/oms/test_csp_header.py holds the header to django-csp's for
every kind of response)."""

import re
import uuid

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from oms.roles import Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"
CSP = "Content-Security-Policy"
THEIRS = {"oms.middleware.CSPMiddleware": "csp.middleware.CSPMiddleware"}


def their_middleware() -> list[str]:
    return [THEIRS.get(name, name) for name in settings.MIDDLEWARE]


def seen(response) -> tuple:
    headers = {name: re.sub(r"SO-\d+", "SO-n", value) for name, value in response.headers.items()}
    if "Expires" in headers:  # the time of the answer (no-store), to the second
        headers["Expires"] = "when answered"
    return response.status_code, headers, sorted(response.cookies)


def both(send) -> tuple[tuple, tuple]:
    """``send()`` through django-csp's middleware, then through ours (a new client each time:
    a client loads the middleware on its first request)."""
    with override_settings(MIDDLEWARE=their_middleware()):
        theirs = seen(send())
    return theirs, seen(send())


def test_the_settings_use_our_middleware():
    assert set(THEIRS) <= set(settings.MIDDLEWARE)


@pytest.fixture
def token(api_client_for):
    return api_client_for(Role.API_CLIENT).token


def token_client(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def order(customer) -> dict:
    return {"channel": "web", "customer": {"number": customer.number}, "lines": [{"sku": "MUG-RED", "quantity": 1}]}


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_token_clients_answers_are_the_same(token, customer, mug, language):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}

    def post():
        key = uuid.uuid4().hex
        return token_client(token).post(URL, order(customer), format="json", HTTP_IDEMPOTENCY_KEY=key, **headers)

    requests = {
        "placed": post,
        "list": lambda: token_client(token).get(URL, **headers),
        "no token": lambda: APIClient().get(URL, **headers),
        "unknown order": lambda: token_client(token).get(f"{URL}SO-999999/", **headers),
        "no such endpoint": lambda: token_client(token).get("/api/v1/nothing/", **headers),
        "not JSON": lambda: token_client(token).post(URL, b"{", content_type="application/json", **headers),
    }
    seen_by = {}
    for name, send in requests.items():
        theirs, ours = seen_by[name] = both(send)
        assert ours == theirs, name
    status, headers, _ = seen_by["placed"][1]
    assert status == 201 and "no-store" in headers["Cache-Control"] and "frame-ancestors" in headers[CSP]


def test_a_session_clients_answers_are_the_same_with_and_without_its_csrf_token(make_user, customer, mug):
    user = make_user(Role.CUSTOMER_SERVICE)

    def post(with_token: bool):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(user)
        client.get("/")  # a screen: sets the CSRF cookie
        extra = {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value} if with_token else {}
        return client.post(URL, order(customer), format="json", **extra)

    refused, placed = both(lambda: post(False)), both(lambda: post(True))
    assert refused[1] == refused[0] and refused[0][0] == 403
    assert placed[1] == placed[0] and placed[0][0] == 201
