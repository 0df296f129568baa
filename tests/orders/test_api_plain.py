"""``plain_order`` (the order API's fast path) against ``OrderInSerializer``: for every body it
takes, it must give exactly the serializer's validated data; what it is unsure of it leaves to
the serializer (None). No database: both are pure functions of the body."""

import json

import pytest

from orders.api import OrderInSerializer, plain_order

ADDRESS = {"street": "Oudegracht", "house_number": "12A", "postal_code": "3511 AB", "city": "Utrecht", "country": "NL"}
BASE = {
    "channel": "web",
    "customer": {"number": "C-000001"},
    "shipping_address": ADDRESS,
    "lines": [{"sku": "MUG-RED", "quantity": 2}, {"sku": "P000017", "quantity": 1}],
    "payment_method": "ideal",
}

# Bodies the fast path should take (the webshop's usual orders).
PLAIN = [
    {},
    {"payment_method": None},
    {"external_reference": "WEB-10023", "notes": "Ring twice", "backorder_policy": "reject", "ship_complete": True},
    {"external_reference": None},
    {"external_reference": ""},
    {"customer": {"email": "anne@example.nl", "name": "Anne de Vries", "phone": ""}},
    {"customer": {"number": "c-000001", "name": ""}},
    {"shipping_address": {"street": "Kerkstraat", "postal_code": "1017 GC", "city": "Amsterdam"}},
    {"shipping_address": ADDRESS | {"street": "Ĳsselmeerweg", "city": "Zoë-dorp", "house_number_addition": "bis"}},
    {"billing_address": ADDRESS | {"country": "BE", "postal_code": "1000"}},
    {"shipping_address": None, "billing_address": None},
    {"lines": [{"sku": f"P{n:06d}", "quantity": 1_000_000 if n == 3 else 1} for n in range(500)]},
]

# Bodies with something unusual: each must go to the serializer, or come out the same.
UNUSUAL = [
    [],
    "order",
    {"channel": "fax"},
    {"channel": None},
    {"channel": 7},
    {"colour": "red"},
    {"payment_method": "bitcoin"},
    {"backorder_policy": "later"},
    {"backorder_policy": None},
    {"ship_complete": "true"},
    {"ship_complete": 1},
    {"notes": None},
    {"notes": " padded "},
    {"notes": "x" * 5001},
    {"notes": "nul\x00"},
    {"notes": "lone \ud800 surrogate"},
    {"external_reference": "x" * 101},
    {"external_reference": ["a"]},
    {"external_reference": " WEB-1"},
    {"customer": "C-000001"},
    {"customer": {}},
    {"customer": {"number": ""}},
    {"customer": {"number": None, "email": "a@example.nl"}},
    {"customer": {"number": "C-000001", "vip": True}},
    {"customer": {"email": "a@example.nl", "name": ["x"]}},
    {"customer": {"number": "C-0000000000000000000001"}},
    {"lines": "MUG-RED"},
    {"lines": []},
    {"lines": ["MUG-RED"]},
    {"lines": [{"sku": "MUG-RED"}]},
    {"lines": [{"sku": "MUG-RED", "quantity": 0}]},
    {"lines": [{"sku": "MUG-RED", "quantity": "2"}]},
    {"lines": [{"sku": "MUG-RED", "quantity": 2.0}]},
    {"lines": [{"sku": "MUG-RED", "quantity": True}]},
    {"lines": [{"sku": "MUG-RED", "quantity": 1_000_001}]},
    {"lines": [{"sku": "", "quantity": 1}]},
    {"lines": [{"sku": " MUG-RED ", "quantity": 1}]},
    {"lines": [{"sku": "M" * 65, "quantity": 1}]},
    {"lines": [{"sku": "MUG-RED", "quantity": 1, "unit_price": "9.95"}]},
    {"lines": [{"sku": "MUG-RED", "quantity": 1, "discount_percent": "10"}]},
    {"lines": [{"sku": "MUG-RED", "quantity": 1}] * 501},
    {"shipping_address": "Utrecht"},
    {"shipping_address": {"street": "X", "postal_code": "3511 AB"}},
    {"shipping_address": ADDRESS | {"country": ""}},
    {"shipping_address": ADDRESS | {"country": "NLD"}},
    {"shipping_address": ADDRESS | {"house_number": None}},
    {"shipping_address": ADDRESS | {"city": "  Utrecht"}},
    {"shipping_address": ADDRESS | {"floor": 2}},
    {"billing_address": ADDRESS | {"street": ""}},
]


def serializer_values(body):
    data = OrderInSerializer(data=body)
    if not data.is_valid():
        return None
    # nested serializers give OrderedDicts; compare plain JSON
    return json.loads(json.dumps(data.validated_data, default=str))


@pytest.mark.parametrize("change", PLAIN)
def test_a_plain_order_takes_the_fast_path_with_the_serializers_values(change):
    body = BASE | change
    values = plain_order(body)
    assert values is not None
    assert json.loads(json.dumps(values)) == serializer_values(body)


@pytest.mark.parametrize("change", UNUSUAL)
def test_anything_unusual_goes_to_the_serializer_or_comes_out_the_same(change):
    body = BASE | change if isinstance(change, dict) else change
    values = plain_order(body)
    if values is not None:
        assert json.loads(json.dumps(values)) == serializer_values(body)


@pytest.mark.parametrize(
    "change",
    [c for c in UNUSUAL if isinstance(c, dict) and c and "colour" not in c and "vip" not in str(c)],
)
def test_a_body_the_serializer_refuses_never_takes_the_fast_path(change):
    body = BASE | change
    if serializer_values(body) is None:
        assert plain_order(body) is None
