"""Role x URL: every page needs login, and each role gets exactly the pages the matrix allows."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from oms.roles import ALL_ROLES, Role
from tests.routes import ANY, EXEMPT, EXEMPT_PREFIXES, PUBLIC, all_routes

ROUTES = all_routes()


def _named_urls(resolver=None, prefix="") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= _named_urls(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


def test_every_named_url_is_in_the_matrix():
    listed = {r.name for r in ROUTES}
    unlisted = sorted(
        n for n in _named_urls() if n not in listed and n not in EXEMPT and not n.startswith(EXEMPT_PREFIXES)
    )
    assert not unlisted, f"add these URLs to tests/<app>/routes.py: {unlisted}"


def _request(client, route, url):
    call = getattr(client, route.method)
    if route.api:
        return call(url, route.data, format="json")
    return call(url, route.data)


def _url(route):
    return reverse(route.name, kwargs=route.kwargs() if route.kwargs else None)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_anonymous_is_sent_to_login_or_refused(route, client):
    from rest_framework.test import APIClient

    url = _url(route)
    response = _request(APIClient() if route.api else client, route, url)
    if route.roles == PUBLIC:
        assert response.status_code < 400 or response.status_code == 503
    elif route.api:
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r.value for r in ALL_ROLES])
@pytest.mark.parametrize("route", [r for r in ROUTES if r.roles != PUBLIC], ids=lambda r: r.id)
def test_role_matrix(route, role, role_client, api_client_for):
    client = api_client_for(role) if route.api else role_client(role)
    response = _request(client, route, _url(route))
    allowed = route.roles == ANY or role == Role.MANAGER or role in route.roles
    if allowed:
        assert response.status_code not in (401, 403), f"{role} should reach {route.id}"
        assert response.status_code < 500
    else:
        assert response.status_code == 403, f"{role} must not reach {route.id} (got {response.status_code})"
