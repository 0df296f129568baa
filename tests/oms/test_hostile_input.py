"""Hostile input never gets a 500 (issue 14 §2): every URL pattern of the URLconf, walked with
hostile path values, and every route of the matrix (``tests/routes.py``, real objects in the
path) with hostile query, form and JSON values, as a manager on the screens and as an API
client on the API. The API answers problem+json, never an HTML page."""

from __future__ import annotations

import importlib
import json
import re
from urllib.parse import quote

import pytest
from django import forms
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from oms.input_guard import MAX_JSON_DEPTH
from oms.roles import Role
from tests.routes import APPS, all_routes

HOSTILE = {
    "nul": "a\x00b",
    "control": "a\x1b[31mb",
    "huge_number": "9" * 40,
    # digits to str.isdigit that int() refuses: a superscript, and more digits than int() reads
    "superscript_digit": "\u00b9",
    "digits_past_int_limit": "9" * 4400,
    "negative": "-5",
    "far_future": "9999-12-31",
    "far_past": "0001-01-01",
    "long": "x" * 5000,
}
# In JSON only: a lone surrogate cannot be put in a URL or a form.
HOSTILE_JSON = {**HOSTILE, "surrogate": "a\ud800b", "float": 1e308, "minus": -1, "list": ["a\x00"]}

COMMON_NAMES = {
    "q",
    "search",
    "page",
    "sort",
    "cursor",
    "limit",
    "status",
    "channel",
    "date_from",
    "date_to",
    "as_of",
    "updated_since",
    "warehouse",
    "code",
    "sku",
    "quantity",
    "email",
    "id",
    "edit",
    "kind",
    "zone",
    "rule",
    "role",
}


def _form_field_names() -> set[str]:
    """Every field name of every form in the apps' ``forms`` modules."""
    names: set[str] = set()
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm):
                names |= set(getattr(value, "base_fields", {}))
    return names


NAMES = sorted(COMMON_NAMES | _form_field_names())
ROUTES = all_routes()


def _patterns(resolver=None, prefix="") -> list[tuple[str, str]]:
    """(pattern, name) of every URL pattern but the admin's (its own test below)."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append((prefix + str(entry.pattern), entry.name or ""))
    return found


PATTERNS = [p for p in _patterns() if not p[0].startswith("admin/")]
ADMIN_PATTERNS = [p for p in _patterns() if p[0].startswith("admin/")]
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
HOSTILE_PATH = {"int": "9" * 30, "slug": "9" * 60, "str": quote("a\x00b"), "path": quote("a\x00b/c")}


def _fill(pattern: str, how: str) -> str:
    def value(match):
        converter = match.group(1) or "str"
        if how == "control" and converter in ("str", "path"):
            return quote("a\x1bb")
        if how == "long":
            return "9" * 5000 if converter in ("int", "slug") else "x" * 5000
        return HOSTILE_PATH.get(converter, HOSTILE_PATH["str"])

    return "/" + PARAM.sub(value, pattern).lstrip("^").rstrip("$")


def _assert_not_5xx(response, what: str, api: bool):
    if response.status_code == 503 and response.has_header("Retry-After"):
        return  # a dependency cannot be asked now (the payment provider): "call again" is right
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:300]!r}"
    if api and response.status_code >= 400 and response.status_code != 405:
        assert response["Content-Type"].startswith(("application/problem+json", "application/json")), (
            f"{what}: an API error must be JSON, got {response['Content-Type']}"
        )


@pytest.fixture
def clients(role_client, api_client_for):
    return {"manager": role_client(Role.MANAGER), "api": api_client_for(Role.API_CLIENT)}


@pytest.mark.django_db
@pytest.mark.parametrize("pattern,name", PATTERNS, ids=[p[0] or "/" for p in PATTERNS])
def test_every_url_pattern_with_hostile_path_values(pattern, name, clients):
    api = pattern.startswith(("api/", "webhooks/"))
    for how in ("nul", "control", "long"):
        url = _fill(pattern, how)
        for who, client in clients.items():
            for method in ("get", "post"):
                response = getattr(client, method)(url, HTTP_ACCEPT="text/html" if not api else "application/json")
                _assert_not_5xx(response, f"{who} {method.upper()} {url[:120]}", api)


@pytest.mark.django_db
def test_every_admin_url_pattern_with_hostile_path_values(django_user_model):
    """The admin's own patterns too, as a superuser (the admin's pages need the staff flag)."""
    from django.test import Client

    client = Client()
    client.force_login(django_user_model.objects.create_superuser("hostile-admin", password="pw-for-tests-only"))
    for pattern, _name in ADMIN_PATTERNS:
        for how in ("nul", "control", "long"):
            url = _fill(pattern, how)
            for method in ("get", "post"):
                _assert_not_5xx(getattr(client, method)(url), f"admin {method.upper()} {url[:120]}", False)


def _url(route) -> str:
    return reverse(route.name, kwargs=route.kwargs() if route.kwargs else None)


def _hostile_data(route, value) -> dict:
    return dict.fromkeys(sorted(set(route.data) | set(NAMES)), value)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_every_route_with_hostile_query_and_form_values(route, clients):
    url = _url(route)
    client = clients["api" if route.api else "manager"]
    for how, value in HOSTILE.items():
        data = _hostile_data(route, value)
        response = client.get(url, data)
        _assert_not_5xx(response, f"GET {url} ?{how}", route.api)
        if route.api:
            continue
        response = client.post(url, data)
        _assert_not_5xx(response, f"POST {url} form {how}", route.api)
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        _assert_not_5xx(response, f"POST {url} htmx form {how}", route.api)


def _nested(value, depth: int) -> dict:
    return {"lines": [{"sku": value, "quantity": value, "unit_price": value}], "customer": {"email": value}} | {
        "address": {"street": value, "postal_code": value}
    }


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if r.api], ids=lambda r: r.id)
def test_every_api_route_with_hostile_json(route, clients):
    url = _url(route)
    client = clients["api"]
    for how, value in HOSTILE_JSON.items():
        body = _hostile_data(route, value) | _nested(value, 1)
        for method in ("post", "put", "patch"):
            # json.dumps escapes a lone surrogate (the test client's renderer would not encode it)
            response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
            _assert_not_5xx(response, f"{method.upper()} {url} json {how}", True)


DEEP = {depth: "[" * depth + "]" * depth for depth in (MAX_JSON_DEPTH + 1, 5_000, 100_000)}


@pytest.mark.django_db
@pytest.mark.parametrize("pattern,name", [p for p in PATTERNS if p[0].startswith(("api/", "webhooks/"))])
def test_deeply_nested_json_is_a_problem_not_a_500(pattern, name, clients):
    url = _fill(pattern, "nul").replace(quote("a\x00b"), "X")
    for depth, body in DEEP.items():
        for method in ("post", "put", "patch"):
            response = getattr(clients["api"], method)(url, body, content_type="application/json")
            _assert_not_5xx(response, f"{method.upper()} {url} depth {depth}", True)


@pytest.mark.django_db
def test_deep_json_on_the_order_api_names_the_code(clients):
    for body in DEEP.values():
        response = clients["api"].post("/api/v1/orders/", body, content_type="application/json")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["errors"][0]["code"] == "too_deep"


@pytest.mark.django_db
def test_nul_in_a_json_string_names_the_field(clients):
    body = {"channel": "web", "customer": {"email": "a@example.com", "name": "x\x00y"}, "lines": []}
    response = clients["api"].post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "field": "customer.name",
            "code": "control_character",
            "message": json.loads(response.content)["errors"][0]["message"],
        }
    ]


@pytest.mark.django_db
def test_nul_in_a_query_value_is_a_problem_on_the_api_and_a_page_on_the_screens(clients):
    response = clients["api"].get("/api/v1/products/?search=a%00b")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0] == {
        "field": "search",
        "code": "control_character",
        "message": "Contains a control character (U+0000), which is not allowed.",
    }
    response = clients["manager"].get("/orders/?q=a%00b")
    assert response.status_code == 400 and b'id="bad-input"' in response.content


@pytest.mark.django_db
def test_a_10_mb_body_is_413_problem_json(clients):
    body = json.dumps({"channel": "web", "note": "x" * 10_000_000})
    response = clients["api"].post("/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["code"] == "too_large"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/orders/?date_to=9999-12-31", "/orders/?date_from=0001-01-01", "/billing/receivables/?as_of=0001-01-01"]
)
def test_a_date_out_of_range_is_a_form_error(url, clients):
    response = clients["manager"].get(url)
    assert response.status_code == 200
    assert b"Enter a date between 1900-01-01 and 2999-12-31" in response.content
