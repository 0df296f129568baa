"""Every orders URL and the roles that may use it (see tests/routes.py)."""

from oms.roles import Role
from tests.routes import Route

API, CS = Role.API_CLIENT, Role.CUSTOMER_SERVICE


def _number() -> dict:
    from tests.factories.orders import OrderFactory

    return {"number": OrderFactory().number}


ROUTES = [
    Route("api:order-list", (API, CS), api=True),
    Route("api:order-list", (API, CS), method="post", data={"channel": "web"}, api=True),
    Route("api:order-detail", (API, CS), kwargs=_number, api=True),
    Route("api:order-cancel", (API, CS), kwargs=_number, method="post", api=True),
]
