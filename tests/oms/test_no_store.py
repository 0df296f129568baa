"""Issue 14 §4: pages with personal data are never stored by a browser or proxy."""

import pytest

from oms.roles import Role
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_pages_of_a_logged_in_user_are_no_store(role_client):
    customer = CustomerFactory()
    client = role_client(Role.CUSTOMER_SERVICE)
    for url in ("/", "/customers/", f"/customers/{customer.number}/", "/orders/", "/search/?q=x"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), url
    assert _no_store(client.get("/customers/", headers={"HX-Request": "true"}))


def test_api_answers_are_no_store(api_client_for):
    client = api_client_for(Role.API_CLIENT)
    assert _no_store(client.get("/api/v1/orders/"))
    assert _no_store(client.get("/api/v1/orders/SO-999999/"))
