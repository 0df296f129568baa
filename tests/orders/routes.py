"""Every orders URL and the roles that may use it (see tests/routes.py)."""

from oms.roles import Role
from tests.routes import Route

API, CS, WH, ACC = Role.API_CLIENT, Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.ACCOUNTING


def _number() -> dict:
    from tests.factories.orders import OrderFactory

    return {"number": OrderFactory().number}


def _draft() -> dict:
    from tests.factories.orders import OrderFactory

    return {"order_id": OrderFactory(status="draft", placed_at=None).pk}


def _placed() -> dict:
    from tests.factories.orders import OrderFactory

    return {"order_id": OrderFactory().pk}


def _draft_line() -> dict:
    from tests.factories.orders import draft_with_line

    line = draft_with_line()
    return {"order_id": line.order_id, "line_id": line.pk}


def _customer() -> dict:
    from tests.factories.customers import CustomerFactory

    return {"customer_id": CustomerFactory().pk}


ROUTES = [
    Route("api:order-list", (API, CS), api=True),
    Route("api:order-list", (API, CS), method="post", data={"channel": "web"}, api=True),
    Route("api:order-detail", (API, CS), kwargs=_number, api=True),
    Route("api:order-cancel", (API, CS), kwargs=_number, method="post", api=True),
    # the order list and page, and the actions on an order
    Route("orders:list", (CS, WH, ACC)),
    Route("orders:detail", (CS, WH, ACC), kwargs=_number),
    Route("orders:cancel", (CS,), kwargs=_number, method="post", data={"cancel-reason": "matrix"}),
    Route("orders:hold", (CS, ACC), kwargs=_number, method="post", data={"hold-reason": "matrix"}),
    Route("orders:release", (CS, ACC), kwargs=_number, method="post"),
    Route("orders:status_link_revoke", (CS,), kwargs=_number, method="post"),
    Route("orders:change_lines", (CS,), kwargs=_number),
    Route("orders:customer_panel", (CS, ACC), kwargs=_customer),
    # the phone-order screen
    Route("orders:enter", (CS,)),
    Route("orders:enter_customers", (CS,), data={"q": "vries"}),
    Route("orders:enter_new_customer", (CS,)),
    Route("orders:enter_start", (CS,), method="post"),
    Route("orders:draft", (CS,), kwargs=_draft),
    Route("orders:draft_customer", (CS,), kwargs=_draft),
    Route("orders:draft_products", (CS,), kwargs=_draft, data={"code": "mug"}),
    Route("orders:draft_add_line", (CS,), kwargs=_draft, method="post", data={"code": "NOPE", "quantity": "1"}),
    Route("orders:draft_line", (CS,), kwargs=_draft_line, method="post", data={"quantity": "2"}),
    Route("orders:draft_address", (CS,), kwargs=_draft, method="post", data={"address": "new"}),
    Route("orders:draft_payment", (CS,), kwargs=_draft, method="post", data={"payment_method": "ideal"}),
    Route("orders:draft_delivery", (CS,), kwargs=_draft),
    Route("orders:draft_delivery", (CS,), kwargs=_draft, method="post", data={"shipping_method": "nope:nope"}),
    Route("orders:placed_payment_link", (CS,), kwargs=_placed),
    Route("api:delivery-option-list", (API, CS, WH), data={"lines": "NOPE:1", "postal_code": "1234AB"}, api=True),
    Route(
        "orders:draft_line_price",
        (CS,),
        kwargs=_draft_line,
        method="post",
        data={"discount_percent": "10", "reason": "loyal customer"},
    ),
    Route("orders:draft_note", (CS,), kwargs=_draft, method="post", data={"notes": "Fragile"}),
    Route("orders:draft_place", (CS,), kwargs=_draft, method="post"),
    Route("orders:draft_discard", (CS,), kwargs=_draft, method="post"),
]
