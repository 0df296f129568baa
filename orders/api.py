"""Orders API (API.md "Orders"): place, get, list, cancel.

Serializers check types and shapes (a wrong type, an unknown choice, a quantity that is not a
whole number > 0: 400 with the field path); ``orders.services`` checks the business rules and
its ``oms.errors`` become problem+json through the DRF exception handler. Writes take an
``Idempotency-Key`` (``oms.idempotency``).

Shipping and billing add the ``shipments`` and ``invoices`` arrays through
``settings.OMS_ORDER_API_EXTRAS``: ``{"shipments": "<dotted path>", ...}``, each a function
``(orders: list[Order]) -> {order_id: [dict, ...]}`` called once per response (so a list page
costs one call, not one per order); ``None`` until the app provides it.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import PaymentMethod
from customers.services.validation import clean_country, clean_postal_code
from oms.api import (
    CursorPagination,
    DateTimeField,
    TokenAuthentication,
    api_access,
    confirm_client,
    may_change_others_orders,
    order_owner,
    refusal_confirmed,
    request_client,
)
from oms.api_clients import Scope
from oms.errors import InsufficientScope, MultipleErrors, NotPermitted, ValidationFailed
from oms.idempotency import complete_within, idempotent, idempotent_with_effect
from oms.links import reverse_one
from oms.money import rate_label
from oms.numbers import plain_int
from oms.quantities import MAX_QUANTITY
from oms.reference_cache import current_stamps
from oms.roles import Role
from oms.sql import release_related
from orders import selectors, services
from orders.models import BackorderPolicy, Channel, Order, OrderStatus
from orders.services._common import MAX_LINES
from orders.services.delivery_options import delivery_offers
from orders.services.line_prices import NOT_PERMITTED

ROLES = (Role.CUSTOMER_SERVICE,)  # staff; API clients by scope (API.md 1.1)
READ_ACCESS = api_access(Scope.ORDERS_READ, Scope.ORDERS_WRITE, roles=ROLES)
WRITE_ACCESS = api_access(Scope.ORDERS_WRITE, roles=ROLES)


class WholeNumberField(serializers.IntegerField):
    """An integer in the JSON, not "2", 2.0 or true (API.md: quantities are integers > 0)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class OrderLineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = WholeNumberField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class OrderCustomerRefSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=20, required=False)
    email = serializers.CharField(max_length=254, required=False)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)

    def validate(self, attrs):
        if not attrs.get("number") and not attrs.get("email"):
            raise serializers.ValidationError(
                "Give the customer's number, or an e-mail address (and a name for a new customer).", code="required"
            )
        return attrs


class OrderAddressInSerializer(serializers.Serializer):
    street = serializers.CharField(max_length=200)
    house_number = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    house_number_addition = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=12)
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(max_length=2, required=False, default="NL")


class PickupPointInSerializer(serializers.Serializer):
    """A pick-up point as ``GET /api/v1/pickup-points/`` returns it (other keys are ignored)."""

    id = serializers.CharField(max_length=64)
    carrier = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    street = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    house_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")


class OrderInSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    external_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, allow_null=True, default=""
    )
    customer = OrderCustomerRefSerializer()
    shipping_address = OrderAddressInSerializer(required=False, allow_null=True, default=None)
    billing_address = OrderAddressInSerializer(required=False, allow_null=True, default=None)
    lines = OrderLineInSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    payment_method = serializers.ChoiceField(
        choices=PaymentMethod.choices, required=False, allow_null=True, default=None
    )
    backorder_policy = serializers.ChoiceField(choices=BackorderPolicy.choices, required=False, default="allow")
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    ship_complete = serializers.BooleanField(required=False, default=False)
    shipping_method = serializers.CharField(
        max_length=61,
        required=False,
        allow_blank=True,
        default="",
        help_text='"<carrier>:<service>" as GET /api/v1/delivery-options/ offers it; empty: the cheapest',
    )
    pickup_point = PickupPointInSerializer(required=False, allow_null=True, default=None)


class OrderCancelInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class OrderListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    customer = serializers.CharField(max_length=20, required=False)
    updated_since = DateTimeField(required=False)


# --- representation -----------------------------------------------------------------------------------

_ADDRESS = inline_serializer(
    "OrderAddress",
    {
        "street": serializers.CharField(),
        "house_number": serializers.CharField(),
        "house_number_addition": serializers.CharField(),
        "postal_code": serializers.CharField(),
        "city": serializers.CharField(),
        "country": serializers.CharField(),
    },
)
ORDER_SCHEMA = inline_serializer(
    "Order",
    {
        "number": serializers.CharField(),
        "status": serializers.ChoiceField(choices=OrderStatus.choices),
        "channel": serializers.ChoiceField(choices=Channel.choices),
        "customer": inline_serializer("OrderCustomer", {"number": serializers.CharField()}),
        "external_reference": serializers.CharField(allow_null=True),
        "payment_method": serializers.ChoiceField(choices=PaymentMethod.choices),
        "ship_complete": serializers.BooleanField(),
        "shipping_address": _ADDRESS,
        "billing_address": _ADDRESS,
        "notes": serializers.CharField(),
        "lines": inline_serializer(
            "OrderLine",
            {
                "line_no": serializers.IntegerField(),
                "sku": serializers.CharField(),
                "name": serializers.CharField(),
                "quantity": serializers.IntegerField(),
                "quantity_allocated": serializers.IntegerField(),
                "quantity_backordered": serializers.IntegerField(),
                "quantity_shipped": serializers.IntegerField(),
                "unit_price": serializers.CharField(),
                "discount_percent": serializers.CharField(),
                "vat_rate": serializers.CharField(),
                "line_total": serializers.CharField(),
                "cancelled": serializers.BooleanField(),
                "promised_delivery_date": serializers.DateField(
                    allow_null=True, help_text="When the line's last unit is expected (moves with its backorder)"
                ),
            },
            many=True,
        ),
        "totals": inline_serializer(
            "OrderTotals",
            {
                "net": serializers.CharField(),
                "shipping": serializers.CharField(),
                "vat": serializers.CharField(),
                "gross": serializers.CharField(),
            },
        ),
        "prices_include_vat": serializers.BooleanField(),
        "amount_paid": serializers.CharField(),
        "currency": serializers.CharField(),
        "payment_url": serializers.URLField(
            allow_null=True, help_text="The provider's checkout link while the order awaits payment and it is valid"
        ),
        "payment_url_expires_at": serializers.DateTimeField(allow_null=True),
        "promised_delivery_date": serializers.DateField(allow_null=True),
        "first_delivery_date": serializers.DateField(allow_null=True),
        "shipping_method": serializers.CharField(allow_null=True, help_text='"<carrier>:<service>"'),
        "shipping_method_name": serializers.CharField(),
        "shipping_method_chosen": serializers.BooleanField(),
        "pickup_point": serializers.DictField(allow_null=True),
        "status_url": serializers.URLField(allow_null=True),
        "created_at": serializers.DateTimeField(),
        "updated_at": serializers.DateTimeField(),
        "shipments": serializers.ListField(child=serializers.DictField()),
        "invoices": serializers.ListField(child=serializers.DictField()),
    },
)


ORDER_LIST_SCHEMA = inline_serializer(
    "OrderList",
    {"results": serializers.ListField(child=ORDER_SCHEMA), "next": serializers.URLField(allow_null=True)},
)


def _time(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _date(value):
    return value.isoformat() if value else None


def order_representation(order: Order, extras: dict[str, dict[int, list]] | None = None) -> dict:
    """The order as API.md shows it (plain dicts: no serializer machinery on the hot path)."""
    body = {
        "number": order.number,
        "status": order.status,
        "channel": order.channel,
        "customer": {"number": order.customer.number},
        "external_reference": order.external_reference,
        "payment_method": order.payment_method,
        "ship_complete": order.ship_complete,
        "shipping_address": order.shipping_address,
        "billing_address": order.billing_address,
        "notes": order.notes,
        "lines": [
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "quantity_allocated": line.quantity_allocated,
                "quantity_backordered": line.quantity_backordered,
                "quantity_shipped": line.quantity_shipped,
                "unit_price": f"{line.unit_price:.2f}",
                "discount_percent": f"{line.discount_percent:.2f}",
                "vat_rate": rate_label(line.vat_rate),
                "line_total": f"{line.line_total:.2f}",
                "cancelled": line.is_cancelled,
                "promised_delivery_date": _date(line.promised_delivery_date),
            }
            for line in order.lines.all()
        ],
        "totals": {
            "net": f"{order.net_amount:.2f}",
            "shipping": f"{order.shipping_amount:.2f}",
            "vat": f"{order.vat_amount:.2f}",
            "gross": f"{order.gross_amount:.2f}",
        },
        "prices_include_vat": order.prices_include_vat,
        "amount_paid": f"{order.amount_paid:.2f}",
        "currency": order.currency,
        "payment_url": order.current_payment_url or None,
        "payment_url_expires_at": _time(order.payment_url_expires_at) if order.current_payment_url else None,
        "promised_delivery_date": _date(order.promised_delivery_date),
        "first_delivery_date": _date(order.first_delivery_date),
        "shipping_method": order.shipping_method or None,
        "shipping_method_name": order.shipping_method_name,
        "shipping_method_chosen": order.shipping_method_chosen,
        "pickup_point": order.pickup_point or None,
        "status_url": None if order.is_draft else order.status_url,
        "created_at": _time(order.created_at),
        "updated_at": _time(order.updated_at),
    }
    for name in settings.OMS_ORDER_API_EXTRAS:
        body[name] = (extras or {}).get(name, {}).get(order.pk, [])
    return body


@lru_cache(maxsize=16)
def _provider(path: str):
    return import_string(path)


def order_api_extras(orders: list[Order]) -> dict[str, dict[int, list]]:
    """The arrays other apps add (``settings.OMS_ORDER_API_EXTRAS``), one call per app."""
    result = {}
    for name, path in settings.OMS_ORDER_API_EXTRAS.items():
        result[name] = _provider(path)(orders) if path and orders else {}
    return result


def _order_or_404(request, number: str) -> Order:
    """The order, if the caller may see it: an API client bound to a channel (or with
    ``orders:write`` only) sees the orders it placed; any other is 404, as if unknown."""
    return selectors.order_get_by_number(number, entered_by=order_owner(request, Scope.ORDERS_READ))


def check_client_order(request, values: dict) -> None:
    """What an API client may not put in an order: another channel than the one it is bound
    to, a price of 0 or a 100 % discount without ``prices:override`` (403
    ``insufficient_scope`` on the field). ``values`` as ``plain_order`` or the serializer give
    them, so both paths are checked here, once."""
    client = request_client(request)
    if client is None:
        _check_staff_prices(request.user, values["lines"])
        return
    if client.channel and values["channel"] != client.channel:
        # no scope widens a bound client: required_scopes is empty
        raise InsufficientScope([], f"This API client places orders in channel {client.channel} only.", field="channel")
    if client.has_scope(Scope.PRICES_OVERRIDE):
        return
    for index, line in enumerate(values["lines"]):
        if line.get("unit_price") is not None and line["unit_price"] == 0:
            raise InsufficientScope([Scope.PRICES_OVERRIDE], field=f"lines.{index}.unit_price")
        if line.get("discount_percent") is not None and line["discount_percent"] >= 100:
            raise InsufficientScope([Scope.PRICES_OVERRIDE], field=f"lines.{index}.discount_percent")


def _check_staff_prices(user, lines) -> None:
    """A staff token or session follows the screens' rule (``orders.services.line_prices``): a
    line with a ``unit_price`` or a discount needs ``orders.change_line_price`` (403
    ``not_permitted``) and a ``reason`` (400 ``required``). An API client's own prices are its
    shop's prices (API.md), so this is for staff only."""
    priced = [i for i, line in enumerate(lines) if line.get("unit_price") is not None or line.get("discount_percent")]
    if not priced:
        return
    if not services.can_change_line_price(user):
        raise NotPermitted(NOT_PERMITTED, field=f"lines.{priced[0]}.unit_price")
    blank = [i for i in priced if not (lines[i].get("reason") or "").strip()]
    if blank:
        raise MultipleErrors(
            [ValidationFailed("Say why the price changes.", code="required", field=f"lines.{i}.reason") for i in blank]
        )


# --- views -------------------------------------------------------------------------------------------


class OrderListCreate(APIView):
    """``GET /api/v1/orders/?status=&channel=&customer=&updated_since=`` (cursor-paginated,
    newest first) and ``POST /api/v1/orders/`` (place an order)."""

    def get_permissions(self):
        return [(READ_ACCESS if self.request.method in ("GET", "HEAD", "OPTIONS") else WRITE_ACCESS)()]

    def get_authenticators(self):
        # placing an order confirms the client in its transaction (``answer``, below), so a client
        # this process read before is not read again (oms.api.TokenAuthentication's keep_known)
        authenticators = super().get_authenticators()
        if getattr(self.request, "method", None) != "POST":  # None: the schema generator asks
            return authenticators
        return [TokenAuthentication(keep_known=True) if type(a) is TokenAuthentication else a for a in authenticators]

    def handle_exception(self, exc):
        return super().handle_exception(refusal_confirmed(self.request, exc))

    def finalize_response(self, request, response, *args, **kwargs):
        # the last gate: an answer given without an exception (a malformed Idempotency-Key)
        failed = refusal_confirmed(request, None)
        if failed is not None:
            response = super().handle_exception(failed)
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=OrderStatus.values),
            OpenApiParameter("channel", str, enum=Channel.values),
            OpenApiParameter("customer", str, description="customer number, e.g. C-000123"),
            OpenApiParameter("updated_since", str, description="ISO 8601 date-time"),
        ],
        responses={200: ORDER_LIST_SCHEMA},
        operation_id="v1_orders_list",
    )
    def get(self, request):
        filters = OrderListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        queryset = selectors.order_list(
            status=values.get("status"),
            channel=values.get("channel"),
            customer_number=values.get("customer"),
            updated_since=values.get("updated_since"),
            entered_by=order_owner(request, Scope.ORDERS_READ),
        )
        paginator = CursorPagination()
        page = paginator.paginate_queryset(selectors.orders_with_lines(queryset), request, view=self)
        extras = order_api_extras(page)
        return paginator.get_paginated_response([order_representation(order, extras) for order in page])

    @extend_schema(request=OrderInSerializer, responses={201: ORDER_SCHEMA})
    @idempotent_with_effect
    def post(self, request):
        values = plain_order(request.data)
        if values is None:  # anything unusual: the serializer decides, and words the errors
            data = OrderInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
        check_client_order(request, values)
        body, rendered = {}, []

        def answer(order: Order) -> None:
            # before anything is stored or answered; the stamps came with the products' read
            confirm_client(request, current_stamps())
            # A new order has no shipments or invoices yet: no need to ask shipping and billing.
            body.update(order_representation(order))
            # rendered once, for the stored answer and the response alike
            rendered.append(JSONRenderer().render(body))
            complete_within(request, 201, body, rendered[0])  # stored with the order, in its transaction

        order = services.order_place(
            channel=values["channel"],
            customer_ref=values["customer"],
            lines=[_line(line) for line in values["lines"]],
            shipping_address=values["shipping_address"],
            billing_address=values["billing_address"],
            payment_method=values["payment_method"],
            backorder_policy=values["backorder_policy"],
            external_reference=values["external_reference"] or "",
            notes=values["notes"],
            ship_complete=values["ship_complete"],
            shipping_method=values["shipping_method"],
            pickup_point=values["pickup_point"],
            user=request.user,
            before_commit=answer,
        )
        location = reverse_one("api:order-detail", "number", order.number)
        # the order's lines and the customer's addresses refer back to them: the graph goes with
        # the request, not at the garbage collector's next collection (oms.sql.release_related)
        release_related(order)
        release_related(order.customer)
        return HttpResponse(rendered[0], status=201, content_type="application/json", headers={"Location": location})


# --- the common order, checked without the serializer -------------------------------------------------
#
# A webshop order is nearly always plain: known choices, short trimmed strings, lines of a SKU and
# a whole quantity. ``plain_order`` recognises exactly such a body and returns what
# ``OrderInSerializer`` would (same keys, defaults and types) without the serializer's per-field
# machinery, which was a large share of an API order's CPU (figures: bench/internals.py,
# docs/ARCHITECTURE.md). It never rejects: anything it is not sure of (a price, padding, a NUL, a
# long text) returns None and goes through the serializer, which is the one place the 400s are
# worded. tests/orders/test_api_plain.py (a table) and test_api_plain_properties.py (Hypothesis,
# over generated valid and invalid bodies) hold the two to the same answers.

_ADDRESS_LIMITS = {"street": 200, "house_number": 10, "house_number_addition": 10, "postal_code": 12, "city": 100}
_ADDRESS_REQUIRED = ("street", "postal_code", "city")
_CUSTOMER_LIMITS = {"number": 20, "email": 254, "name": 200, "phone": 40}
_ORDER_KEYS = frozenset(
    ("channel", "external_reference", "customer", "shipping_address", "billing_address", "lines")
    + ("payment_method", "backorder_policy", "notes", "ship_complete")
)
_CHANNELS, _METHODS, _POLICIES = (
    frozenset(Channel.values),
    frozenset(PaymentMethod.values),
    frozenset(BackorderPolicy.values),
)


def _text(value, limit: int, blank: bool = False) -> bool:
    """A string the serializer's CharField would take unchanged (no trimming, no NUL, no lone
    surrogate, within its length)."""
    if not isinstance(value, str) or len(value) > limit or (not value and not blank):
        return False
    if value != value.strip() or "\x00" in value:
        return False
    return value.isascii() or not any("\ud800" <= ch <= "\udfff" for ch in value)


def _choice(value, allowed: frozenset) -> bool:
    return isinstance(value, str) and value in allowed  # a list or dict is not hashable


def _plain_address(value) -> dict | None:
    if not isinstance(value, dict) or not value.keys() <= {*_ADDRESS_LIMITS, "country"}:
        return None
    address = {"house_number": "", "house_number_addition": "", "country": "NL"} | value
    if not all(key in value for key in _ADDRESS_REQUIRED) or not _text(address["country"], 2):
        return None
    if not all(_text(address[key], limit, blank=key.startswith("house")) for key, limit in _ADDRESS_LIMITS.items()):
        return None
    return address


def _plain_line(value) -> bool:
    if not isinstance(value, dict) or value.keys() != {"sku", "quantity"}:
        return False
    quantity = value["quantity"]
    return _text(value["sku"], 64) and type(quantity) is int and 1 <= quantity <= MAX_QUANTITY


def plain_order(data) -> dict | None:
    """``OrderInSerializer``'s validated data for a plain order, or None (see above)."""
    if not isinstance(data, dict) or not data.keys() <= _ORDER_KEYS:
        return None
    customer, lines = data.get("customer"), data.get("lines")
    if not isinstance(customer, dict) or not customer.keys() <= _CUSTOMER_LIMITS.keys():
        return None
    if not (customer.get("number") or customer.get("email")):
        return None
    if not all(_text(value, _CUSTOMER_LIMITS[key], blank=key in ("name", "phone")) for key, value in customer.items()):
        return None
    if not isinstance(lines, list) or not 0 < len(lines) <= MAX_LINES or not all(map(_plain_line, lines)):
        return None
    values = {
        "channel": data.get("channel"),
        "external_reference": data.get("external_reference", ""),
        "customer": customer,
        "lines": lines,
        "payment_method": data.get("payment_method"),
        "backorder_policy": data.get("backorder_policy", BackorderPolicy.ALLOW.value),
        "notes": data.get("notes", ""),
        "ship_complete": data.get("ship_complete", False),
        # a delivery choice is not in ``_ORDER_KEYS``: such an order goes through the serializer
        "shipping_method": "",
        "pickup_point": None,
    }
    if not _choice(values["channel"], _CHANNELS) or not _choice(values["backorder_policy"], _POLICIES):
        return None
    if values["payment_method"] is not None and not _choice(values["payment_method"], _METHODS):
        return None
    reference = values["external_reference"]
    if not (reference is None or _text(reference, 100, blank=True)) or not _text(values["notes"], 5000, blank=True):
        return None
    if type(values["ship_complete"]) is not bool:
        return None
    for key in ("shipping_address", "billing_address"):
        given = data.get(key)
        values[key] = None if given is None else _plain_address(given)
        if given is not None and values[key] is None:
            return None
    return values


def _line(line: dict) -> dict:
    result = {"sku": line["sku"], "quantity": line["quantity"]}
    for key in ("unit_price", "discount_percent", "reason"):
        if key in line:
            result[key] = line[key]
    return result


# Whoever places orders (or reads them) may ask what delivering one would cost, as for pick-up points.
OPTIONS_ACCESS = api_access(Scope.ORDERS_WRITE, Scope.ORDERS_READ, roles=(Role.CUSTOMER_SERVICE, Role.WAREHOUSE))


def _option_lines(values: list[str]) -> list[dict]:
    """``["MUG-RED:2", ...]`` as placement's lines; a malformed one is a 400 on ``lines.N``."""
    lines, errors = [], []
    if not values:
        raise ValidationFailed(
            "Give the lines as lines=<sku>:<quantity>, e.g. lines=MUG-RED:2.", code="required", field="lines"
        )
    for index, value in enumerate(values[: MAX_LINES + 1]):
        sku, sep, text = value.rpartition(":")
        quantity = plain_int(text.strip()) if sep else None
        if quantity is None:
            errors.append(ValidationFailed("A line is <sku>:<quantity>, e.g. MUG-RED:2.", field=f"lines.{index}"))
            continue
        lines.append({"sku": sku, "quantity": quantity})
    if errors:
        raise MultipleErrors(errors) if len(errors) > 1 else errors[0]
    return lines


class DeliveryOptionList(APIView):
    """``GET /api/v1/delivery-options/?lines=MUG-RED:2&postal_code=3511 AB&country=NL``: the
    services that can deliver these lines there, cheapest first, each priced and dated as an
    order placed with its ``shipping_method`` is charged and promised."""

    permission_classes = [OPTIONS_ACCESS]

    @extend_schema(
        parameters=[
            OpenApiParameter("lines", str, required=True, many=True, description="<sku>:<quantity>, repeated"),
            OpenApiParameter("postal_code", str, required=True, description="e.g. 3511 AB"),
            OpenApiParameter("country", str, description="ISO code, default NL"),
            OpenApiParameter("customer", str, description="customer number: that customer's price basis"),
            OpenApiParameter("channel", str, enum=Channel.values, description="default web"),
            OpenApiParameter("ship_complete", bool, description="default false"),
        ],
        responses={200: dict},
        operation_id="v1_delivery_options_list",
    )
    def get(self, request):
        params = request.query_params
        lines = _option_lines(params.getlist("lines"))
        country = params.get("country", "NL")
        try:
            country = clean_country(country or "NL")
            postal_code = clean_postal_code(params.get("postal_code", ""), country)
        except ValidationFailed as exc:
            exc.field = "postal_code" if exc.code != "invalid_country" else "country"
            raise
        client = request_client(request)
        channel = params.get("channel") or (client.channel if client and client.channel else Channel.WEB)
        if channel not in Channel.values or channel == Channel.STORE:
            raise ValidationFailed("A channel that ships: web, phone or b2b.", code="invalid_choice", field="channel")
        ship_complete = params.get("ship_complete", "false").lower()
        if ship_complete not in ("true", "false"):
            raise ValidationFailed("ship_complete is true or false.", field="ship_complete")
        offers = delivery_offers(
            lines=lines,
            country=country,
            postal_code=postal_code,
            customer_number=(params.get("customer") or "").strip().upper()[:20],
            channel=channel,
            ship_complete=ship_complete == "true",
        )
        return Response({"results": [offer.as_json() for offer in offers]})


class OrderDetail(APIView):
    """``GET /api/v1/orders/{number}/``: the order with its shipments and invoices."""

    permission_classes = [READ_ACCESS]

    @extend_schema(responses={200: ORDER_SCHEMA})
    def get(self, request, number: str):
        order = _order_or_404(request, number)
        return Response(order_representation(order, order_api_extras([order])))


class OrderCancel(APIView):
    """``POST /api/v1/orders/{number}/cancel/`` ``{"reason": "..."}`` (optional): cancels an
    order not yet shipped and releases its reservations; 409 ``invalid_transition`` otherwise.
    An API client cancels the orders it placed itself (an unbound one with ``all``: any)."""

    permission_classes = [WRITE_ACCESS]

    @extend_schema(request=OrderCancelInSerializer, responses={200: ORDER_SCHEMA})
    @idempotent
    def post(self, request, number: str):
        data = OrderCancelInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = _order_or_404(request, number)
        if order.entered_by_id != request.user.pk and not may_change_others_orders(request):
            raise InsufficientScope([Scope.ALL], "This API client cancels only the orders it placed itself.")
        services.order_cancel(order=order, reason=data.validated_data["reason"], user=request.user)
        order = _order_or_404(request, number)
        return Response(order_representation(order, order_api_extras([order])))
