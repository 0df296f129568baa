"""Every customers URL and the roles that may use it (see tests/routes.py)."""

from oms.roles import Role
from tests.factories.customers import AddressFactory, CustomerFactory
from tests.routes import Route

CS, ACC, API = Role.CUSTOMER_SERVICE, Role.ACCOUNTING, Role.API_CLIENT


def _number() -> dict:
    return {"number": CustomerFactory().number}


def _address() -> dict:
    address = AddressFactory()
    return {"number": address.customer.number, "address_id": address.pk}


ROUTES = [
    Route("customers:list", (CS, ACC)),
    Route("customers:create", (CS,)),
    Route("customers:detail", (CS, ACC), kwargs=_number),
    Route("customers:edit", (CS,), kwargs=_number),
    Route("customers:credit_hold", (CS, ACC), kwargs=_number, method="post", data={"hold": "1", "reason": "test"}),
    Route("customers:iban_add", (CS, ACC), kwargs=_number, method="post", data={"iban": "NL91ABNA0417164300"}),
    Route("customers:address_add", (CS,), kwargs=_number),
    Route("customers:address_edit", (CS,), kwargs=_address),
    Route("customers:address_default", (CS,), kwargs=_address, method="post"),
    Route("api:customer-list", (CS, ACC, API), api=True),
    Route("api:customer-list", (CS, API), method="post", data={"kind": "b2c", "name": "Matrix"}, api=True),
    Route("api:customer-detail", (CS, ACC, API), kwargs=_number, api=True),
]
