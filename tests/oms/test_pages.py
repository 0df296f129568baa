import re

import pytest

pytestmark = pytest.mark.django_db


def test_login_page_speaks_dutch_when_the_browser_asks(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    assert "Inloggen" in response.content.decode()


def test_home_shows_navigation_for_the_users_roles_only(role_client):
    html = role_client("warehouse").get("/").content.decode()
    assert "Good day" in html
    assert 'data-testid="current-user"' in html and "warehouse" in html
    assert "Log out" in html


def test_static_files_are_served_locally(client):
    html = client.get("/accounts/login/").content.decode()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html
    # no stylesheet, script or image from another host (absolute or protocol-relative address)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.IGNORECASE)


def test_htmx_requests_carry_the_csrf_token(role_client):
    html = role_client("warehouse").get("/").content.decode()
    assert 'hx-headers=\'{"x-csrftoken": "' in html
    assert "/static/vendor/htmx/htmx.min.js" in html


def test_pages_carry_the_htmx_config_and_no_template_comment_text(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<meta name="htmx-config" content=\'{"defaultSettleDelay": 0, "allowEval": false}\'>' in html
    assert "{#" not in html and "#}" not in html and "settleDelay 0:" not in html
