"""The demo customers: one per UCI CustomerID, every value passing the rules the services apply."""

import random
from io import StringIO

import pytest
from django.core.management import call_command

from customers import demo
from customers.models import Address, Customer, CustomerKind, PaymentMethod
from customers.services import address_clean, clean_coc_number, clean_email, clean_phone, clean_vat_id
from customers.services.validation import Collector, check_customer_rules

pytestmark = pytest.mark.django_db


def _assert_valid(customer: Customer, addresses: list[Address]) -> None:
    assert clean_email(customer.email) == customer.email
    assert clean_phone(customer.phone) == (customer.phone.as_e164 if customer.phone else "")
    assert clean_vat_id(customer.vat_id) == customer.vat_id
    assert clean_coc_number(customer.coc_number) == customer.coc_number
    errors = Collector()
    check_customer_rules(errors, {"kind": customer.kind, "company_name": customer.company_name,
                                  "preferred_payment_method": customer.preferred_payment_method})  # fmt: skip
    assert errors.errors == []
    for address in addresses:
        values = address.as_snapshot()
        assert address_clean(**values) == values, values


def test_demo_customers_small_makes_valid_customers_once():
    out = StringIO()
    call_command("demo_customers", small=True, stdout=out)
    assert "300 created" in out.getvalue()
    customers = list(Customer.objects.prefetch_related("addresses"))
    assert len(customers) == 300
    assert all(c.external_ref.startswith("uci:") for c in customers)
    for customer in customers:
        _assert_valid(customer, list(customer.addresses.all()))
        assert {a.kind for a in customer.addresses.all() if a.is_default} == {"billing", "shipping"}
    b2b = [c for c in customers if c.kind == CustomerKind.B2B]
    assert 0.08 < len(b2b) / len(customers) < 0.25
    assert all(c.preferred_payment_method == PaymentMethod.ON_ACCOUNT and c.credit_limit > 0 for c in b2b)
    assert all(c.vat_id for c in b2b if c.addresses.all()[0].country == "NL")
    assert Customer.objects.get(external_ref="uci:17850").addresses.first().country == "NL"  # United Kingdom
    again = StringIO()
    call_command("demo_customers", small=True, stdout=again)
    assert "0 created, 300 already there" in again.getvalue()


@pytest.mark.parametrize("country", sorted({*demo.FOREIGN, "NL"}))
def test_demo_generator_makes_valid_customers_for_every_country(country):
    rng = random.Random(country)
    for serial in range(15):
        made = demo.customer(rng, country=country, serial=serial, b2b_share=0.5)
        customer = Customer(number="C-000001", **made.fields)
        _assert_valid(customer, [Address(**a) for a in made.addresses])
        in_eu = country in demo.VAT_SHAPES or country in demo.VAT_PREFIX
        if customer.kind == CustomerKind.B2B and in_eu:
            assert customer.vat_id.startswith(demo.VAT_PREFIX.get(country, country))
