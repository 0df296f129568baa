"""The customers invariant that check_invariants runs."""

import pytest

from oms.invariants import violations
from tests.factories.customers import AddressFactory

pytestmark = pytest.mark.django_db


def test_invariant_finds_an_address_kind_without_default():
    name = "customers: each address kind has one default"
    ok = AddressFactory(kind="billing")
    assert name not in violations([name])
    AddressFactory(customer=ok.customer, kind="shipping", is_default=False)
    assert violations([name])[name] == [{"customer": ok.customer_id, "kind": "shipping", "defaults": 0}]
