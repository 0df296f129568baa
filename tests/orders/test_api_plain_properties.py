"""``plain_order`` and ``OrderInSerializer`` held to the same answers over generated bodies (the
contract of the order API's fast path, beside the table in test_api_plain.py).

The fast path never refuses: for a body it is not sure of it returns None and the serializer
answers (accepted data, or the 400 with its field paths and codes). So the two give the same
answer for every body exactly when: whatever ``plain_order`` returns is the serializer's validated
data, of the same types, and the serializer accepts that body. The bodies are webshop orders with
any field left out, given the wrong type, padded, too long, with a NUL or a lone surrogate, prices
and discounts that are not decimals, quantities of every sign and type, SKUs nobody sells, and
nested junk anywhere. No database: both are pure functions of the body.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from customers.models import PaymentMethod
from oms.quantities import MAX_QUANTITY
from orders.api import OrderInSerializer, plain_order
from orders.models import BackorderPolicy, Channel
from orders.services._common import MAX_LINES

SETTINGS = settings(max_examples=400, deadline=None)

junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def text_near(limit: int, *, blank: bool = False):
    """Strings a CharField of ``limit`` may or may not take: plain, empty, padded, at and over the
    limit, with a NUL or a lone surrogate, non-ASCII."""
    plain = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=0 if blank else 1, max_size=12)
    odd = st.sampled_from(["", " ", " x", "x ", "a\x00b", "lone \ud800", "Zoë", "Ĳssel", "\t", "x\n"])
    edge = st.integers(max(0, limit - 1), limit + 1).map(lambda n: "x" * n)
    huge = st.just("y" * 100_000)
    return st.one_of(plain, plain, odd, edge, huge)


def maybe(valid, *, weight: int = 4):
    """Mostly the valid strategy, sometimes junk of any type."""
    return st.one_of(*([valid] * weight), junk)


decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=10**10).map(str),
    st.sampled_from(["9.95", "0", "100", "100.01", "-0.01", "1e3", "NaN", "Infinity", "1.999", "", " 1.00", "abc"]),
    st.floats(allow_nan=True) | st.integers(-5, 10**13),
)
quantities = st.one_of(
    st.integers(1, 10),
    st.integers(-3, 1),
    st.integers(MAX_QUANTITY - 1, MAX_QUANTITY + 1),
    st.sampled_from([2.0, 1.5, "2", True, False, None, 10**30, -(10**30)]),
)
skus = st.one_of(st.sampled_from(["MUG-RED", "P000017", "NO-SUCH-SKU"]), text_near(64))


def line():
    required = {"sku": maybe(skus), "quantity": maybe(quantities)}
    optional = {"unit_price": maybe(decimals), "discount_percent": maybe(decimals), "colour": junk}
    return st.fixed_dictionaries(required, optional=optional) | st.fixed_dictionaries({}, optional=required)


def address():
    fields = {
        "street": text_near(200),
        "house_number": text_near(10, blank=True),
        "house_number_addition": text_near(10, blank=True),
        "postal_code": text_near(12),
        "city": text_near(100),
        "country": st.sampled_from(["NL", "BE", "DE", "", "NLD", "nl"]) | text_near(2),
        "floor": junk,
    }
    required = {key: maybe(fields[key]) for key in ("street", "postal_code", "city")}
    optional = {key: maybe(value) for key, value in fields.items() if key not in required}
    return st.fixed_dictionaries(required, optional=optional) | st.fixed_dictionaries({}, optional=fields)


def customer():
    fields = {
        "number": st.sampled_from(["C-000001", "c-000001", ""]) | text_near(20),
        "email": st.sampled_from(["anne@example.nl", ""]) | text_near(254),
        "name": text_near(200, blank=True),
        "phone": text_near(40, blank=True),
        "vip": junk,
    }
    return st.fixed_dictionaries({}, optional={key: maybe(value) for key, value in fields.items()})


def lines():
    many = st.lists(line(), min_size=0, max_size=6)
    boundary = st.integers(MAX_LINES, MAX_LINES + 1).map(lambda n: [{"sku": "MUG-RED", "quantity": 1}] * n)
    return st.one_of(many, many, many, boundary)


def choice(values):
    return st.sampled_from(sorted(values)) | st.sampled_from(["", "WEB", "fax", None])


bodies = st.one_of(
    st.fixed_dictionaries(
        {"channel": maybe(choice(Channel.values)), "customer": maybe(customer()), "lines": maybe(lines())},
        optional={
            "external_reference": maybe(st.none() | text_near(100, blank=True)),
            "shipping_address": maybe(st.none() | address()),
            "billing_address": maybe(st.none() | address()),
            "payment_method": maybe(choice(PaymentMethod.values)),
            "backorder_policy": maybe(choice(BackorderPolicy.values)),
            "notes": maybe(text_near(5000, blank=True)),
            "ship_complete": maybe(st.booleans()),
            "colour": junk,
        },
    ),
    junk,
)

PLAIN_LINE = {"sku": "MUG-RED", "quantity": 2}
PLAIN = {"channel": "web", "customer": {"number": "C-000001"}, "lines": [PLAIN_LINE]}


def plain_data(value):
    """Validated data as plain dicts and lists, keeping every other type (a Decimal stays one)."""
    if isinstance(value, Mapping):
        return {key: plain_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_data(item) for item in value]
    return value


def typed(value):
    """``plain_data`` with each leaf's type beside it, so ``1 == True`` or ``2 == 2.0`` do not pass."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


@SETTINGS
@given(bodies)
@example(PLAIN)
@example(PLAIN | {"lines": [PLAIN_LINE | {"quantity": True}]})
@example(PLAIN | {"lines": [PLAIN_LINE | {"unit_price": "9.95"}]})
@example(PLAIN | {"customer": {"number": " C-000001"}})
@example(PLAIN | {"notes": "a\x00b"})
@example(PLAIN | {"channel": []})  # found by this test: an unhashable choice was a 500
@example(PLAIN | {"payment_method": {"a": 1}, "backorder_policy": ["allow"]})
@example(PLAIN | {"shipping_address": {"street": "x", "postal_code": "1", "city": "y", "country": "NLD"}})
def test_the_fast_path_answers_as_the_serializer_does(body):
    values = plain_order(body)
    serializer = OrderInSerializer(data=body)
    if values is None:
        return  # the serializer answers this body itself, whatever it says
    assert serializer.is_valid(), serializer.errors  # the fast path never takes what the serializer refuses
    assert typed(plain_data(values)) == typed(plain_data(serializer.validated_data))


plain_text = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=20)
plain_bodies = st.fixed_dictionaries(
    {
        "channel": st.sampled_from(sorted(Channel.values)),
        "customer": st.fixed_dictionaries({"number": plain_text}),
        "lines": st.lists(
            st.fixed_dictionaries({"sku": plain_text, "quantity": st.integers(1, MAX_QUANTITY)}), min_size=1, max_size=8
        ),
    },
    optional={
        "external_reference": plain_text,
        "payment_method": st.sampled_from(sorted(PaymentMethod.values)),
        "backorder_policy": st.sampled_from(sorted(BackorderPolicy.values)),
        "ship_complete": st.booleans(),
        "shipping_address": st.fixed_dictionaries(
            {"street": plain_text, "postal_code": plain_text.map(lambda s: s[:12]), "city": plain_text}
        ),
    },
)


@SETTINGS
@given(plain_bodies)
def test_a_webshops_plain_order_takes_the_fast_path(body):
    # the property above holds trivially for a fast path that takes nothing: this one keeps it used
    values = plain_order(body)
    serializer = OrderInSerializer(data=body)
    assert values is not None and serializer.is_valid(), serializer.errors
    assert typed(plain_data(values)) == typed(plain_data(serializer.validated_data))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": []}, "channel"),
        ({"payment_method": {"a": 1}}, "payment_method"),
        ({"backorder_policy": ["allow"]}, "backorder_policy"),
    ],
)
def test_a_choice_that_is_not_a_string_is_a_400_not_a_500(api_client_for, change, field):
    # plain_order compared them with a set of strings, which raised TypeError for a list or dict
    response = api_client_for("api_client").post("/api/v1/orders/", PLAIN | change, format="json")
    assert response.status_code == 400, response.content
    assert field in {error["field"] for error in response.json()["errors"]}
