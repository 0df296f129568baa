"""Customer services: state before -> call -> state after, the audit trail, and nothing half
written when a rule refuses the change."""

import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from customers import selectors
from customers.models import Address, Customer, CustomerKind, PaymentMethod
from customers.services import (
    address_add,
    address_set_default,
    address_update,
    customer_create,
    customer_find_or_create_b2c,
    customer_set_credit_hold,
    customer_update,
)
from oms.errors import Conflict, ValidationFailed
from tests.factories.customers import AddressFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ADDRESS = {"kind": "billing", "street": "Oudegracht", "house_number": "12a", "postal_code": "3511ab", "city": "Utrecht"}


@pytest.fixture
def agent(make_user):
    return make_user("customer_service", username="agent")


def _history(customer):
    return selectors.customer_history(customer)


def test_customer_create_numbers_normalizes_and_stores_addresses(agent):
    customer = customer_create(
        kind="b2b",
        name="Anna de Vries",
        company_name="De Vries Cadeaus B.V.",
        email="Anna@Example.NL",
        phone="06 12345678",
        vat_id="nl 0000.99998.b57",
        coc_number="1234 5678",
        payment_terms_days=30,
        credit_limit="5000",
        preferred_payment_method="on_account",
        language="en",
        notes="Calls in the morning.",
        addresses=[ADDRESS, {**ADDRESS, "kind": "shipping", "street": "Damrak", "postal_code": "1012 lg"}],
        user=agent,
    )
    customer.refresh_from_db()
    assert re.fullmatch(r"C-\d{6}", customer.number)
    assert (customer.email, customer.phone.as_e164) == ("anna@example.nl", "+31612345678")
    assert (customer.vat_id, customer.coc_number) == ("NL000099998B57", "12345678")
    assert customer.credit_limit == Decimal("5000.00") and customer.language == "en"
    billing, shipping = selectors.customer_addresses(customer.pk)
    assert (billing.kind, billing.house_number, billing.house_number_addition, billing.postal_code) == (
        "billing",
        "12",
        "A",
        "3511 AB",
    )
    assert billing.is_default and shipping.is_default and shipping.postal_code == "1012 LG"
    assert [c.pk for c in selectors.customer_search("1012 LG")] == [customer.pk]


def test_customer_create_records_who_created_it(agent):
    customer = customer_create(kind="b2c", name="Piet Jansen", addresses=[ADDRESS], user=agent)
    history = _history(customer)
    assert {(h.what, h.subject, h.who) for h in history} == {
        ("created", "customer", "agent"),
        ("created", "billing address 3511 AB", "agent"),
    }


def test_customer_create_reports_all_errors_with_paths_and_writes_nothing(agent):
    before = (Customer.objects.count(), Address.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        customer_create(
            kind="b2b",
            name="",
            email="no-at-sign",
            phone="12",
            vat_id="NL000099998B58",
            coc_number="123",
            addresses=[ADDRESS, {**ADDRESS, "postal_code": "3511", "house_number": "x"}],
            user=agent,
        )
    assert {(e.field, e.code) for e in caught.value.errors} == {
        ("name", "required"),
        ("email", "invalid_email"),
        ("phone", "invalid_phone"),
        ("vat_id", "invalid_vat_id"),
        ("coc_number", "invalid_coc_number"),
        ("company_name", "required"),
        ("addresses.1.postal_code", "invalid_postal_code"),
        ("addresses.1.house_number", "invalid_house_number"),
    }
    assert (Customer.objects.count(), Address.objects.count()) == before


def test_customer_create_refuses_on_account_for_consumers(agent):
    with pytest.raises(ValidationFailed) as caught:
        customer_create(kind="b2c", name="Piet", preferred_payment_method="on_account", user=agent)
    assert (caught.value.field, caught.value.code) == ("preferred_payment_method", "on_account_requires_b2b")


def test_customer_create_refuses_two_defaults_of_one_kind(agent):
    with pytest.raises(ValidationFailed) as caught:
        customer_create(kind="b2c", name="Piet", addresses=[{**ADDRESS, "is_default": True}] * 2, user=agent)
    assert caught.value.field == "addresses.1.is_default"


def test_customer_create_makes_the_first_address_of_a_kind_its_default(agent):
    customer = customer_create(
        kind="b2c", name="Piet", addresses=[ADDRESS, {**ADDRESS, "street": "Neude", "is_default": True}], user=agent
    )
    assert selectors.customer_default_address(customer.pk, "billing").street == "Neude"
    assert selectors.customer_default_address(customer.pk, "shipping") is None


def test_customer_create_refuses_an_email_in_use_in_any_case(agent):
    first = customer_create(kind="b2c", name="Piet", email="piet@example.nl", user=agent)
    count = Customer.objects.count()
    with pytest.raises(Conflict) as caught:
        customer_create(kind="b2c", name="Other Piet", email="PIET@example.NL", user=agent)
    assert caught.value.code == "duplicate_email" and caught.value.field == "email"
    assert caught.value.extra == {"number": first.number}
    assert Customer.objects.count() == count


def test_customer_create_refuses_a_duplicate_external_ref(agent):
    customer_create(kind="b2c", name="Piet", external_ref="erp:1", user=agent)
    with pytest.raises(Conflict) as caught:
        customer_create(kind="b2c", name="Jan", external_ref="erp:1", user=agent)
    assert caught.value.code == "duplicate_external_ref"


def test_customers_without_email_do_not_clash(agent):
    customer_create(kind="b2c", name="Piet", user=agent)
    customer_create(kind="b2c", name="Jan", user=agent)
    assert Customer.objects.filter(email="").count() == 2


def test_customer_update_changes_only_what_is_given_and_audits_it(agent):
    customer = CustomerFactory(name="Piet Jansen", payment_terms_days=14)
    updated = customer_update(customer=customer, user=agent, name="Piet Janssen", payment_terms_days=30, language="nl")
    customer.refresh_from_db()
    assert (customer.name, customer.payment_terms_days) == ("Piet Janssen", 30)
    assert updated.name == "Piet Janssen"
    change = _history(customer)[0]
    assert change.who == "agent" and change.what == "changed"
    assert change.changes == [("Name", "Piet Jansen", "Piet Janssen"), ("Payment terms days", "14", "30")]
    assert [c.pk for c in selectors.customer_search("janssen")] == [customer.pk]


def test_customer_update_without_changes_writes_no_history(agent):
    customer = CustomerFactory(name="Piet")
    before = len(_history(customer))
    customer_update(customer=customer, user=agent, name="Piet", phone=customer.phone)
    assert len(_history(customer)) == before


def test_customer_update_checks_rules_on_the_result(agent):
    customer = CustomerFactory(b2b=True)
    with pytest.raises(ValidationFailed) as caught:
        customer_update(customer=customer, user=agent, kind=CustomerKind.B2C)
    assert caught.value.code == "on_account_requires_b2b"
    customer.refresh_from_db()
    assert customer.kind == CustomerKind.B2B


def test_customer_update_refuses_another_customers_email(agent):
    CustomerFactory(email="taken@example.nl")
    customer = CustomerFactory(email="mine@example.nl")
    with pytest.raises(Conflict) as caught:
        customer_update(customer=customer, user=agent, email="Taken@Example.nl")
    assert caught.value.code == "duplicate_email"
    customer.refresh_from_db()
    assert customer.email == "mine@example.nl"


def test_customer_update_refuses_fields_it_does_not_own(agent):
    with pytest.raises(TypeError):
        customer_update(customer=CustomerFactory(), user=agent, credit_hold=True)


def test_customer_set_credit_hold_needs_a_reason_and_keeps_it_in_history(agent):
    customer = CustomerFactory()
    with pytest.raises(ValidationFailed) as caught:
        customer_set_credit_hold(customer=customer, hold=True, reason=" ", user=agent)
    assert caught.value.field == "reason"
    customer_set_credit_hold(customer=customer, hold=True, reason="Invoice 2026-000012 unpaid", user=agent)
    customer.refresh_from_db()
    assert (customer.credit_hold, customer.credit_hold_reason) == (True, "Invoice 2026-000012 unpaid")
    customer_set_credit_hold(customer=customer, hold=False, reason="Paid in full", user=agent)
    customer.refresh_from_db()
    assert (customer.credit_hold, customer.credit_hold_reason) == (False, "")
    lifted, held = _history(customer)[:2]
    assert (lifted.reason, held.reason) == ("Paid in full", "Invoice 2026-000012 unpaid")
    assert ("Credit hold", "yes", "no") in lifted.changes


def test_address_add_first_of_a_kind_becomes_default(agent):
    customer = CustomerFactory()
    address = address_add(
        customer=customer,
        kind="shipping",
        street="Damrak",
        house_number="1",
        postal_code="1012lg",
        city="A",
        user=agent,
    )
    assert address.is_default and address.postal_code == "1012 LG"
    assert [c.pk for c in selectors.customer_search("1012LG")] == [customer.pk]


def test_address_add_as_default_replaces_the_old_default(agent):
    old = AddressFactory(kind="shipping")
    new = address_add(
        customer=old.customer,
        kind="shipping",
        street="Damrak",
        house_number="1",
        postal_code="1012 LG",
        city="Amsterdam",
        is_default=True,
        user=agent,
    )
    old.refresh_from_db()
    assert (old.is_default, new.is_default) == (False, True)
    assert selectors.customer_default_address(old.customer_id, "shipping") == new


def test_address_add_refuses_a_bad_postcode_and_writes_nothing(agent):
    customer = CustomerFactory()
    with pytest.raises(ValidationFailed) as caught:
        address_add(
            customer=customer, kind="billing", street="X", house_number="1", postal_code="1012", city="A", user=agent
        )
    assert (caught.value.field, caught.value.code) == ("postal_code", "invalid_postal_code")
    assert not Address.objects.filter(customer=customer).exists()


def test_address_update_corrects_the_address_and_the_search_text(agent):
    address = AddressFactory(postal_code="3511 AB")
    address_update(address=address, user=agent, postal_code="3512cd", house_number="4")
    address.refresh_from_db()
    assert (address.postal_code, address.house_number) == ("3512 CD", "4")
    assert [c.pk for c in selectors.customer_search("3512 CD")] == [address.customer_id]


def test_address_set_default_moves_the_default(agent):
    first = AddressFactory(kind="billing")
    second = AddressFactory(customer=first.customer, kind="billing", is_default=False)
    address_set_default(address=second, user=agent)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


def test_customer_find_or_create_b2c_finds_by_email_in_any_case(agent):
    existing = CustomerFactory(email="anna@example.nl")
    found, created = customer_find_or_create_b2c(email=" ANNA@example.NL", name="Someone Else", user=agent)
    assert (found.pk, created) == (existing.pk, False)


def test_customer_find_or_create_b2c_creates_a_consumer(agent):
    customer, created = customer_find_or_create_b2c(
        email="new@example.nl", name="Nieuwe Klant", phone="0612345678", user=agent
    )
    assert created and customer.kind == CustomerKind.B2C
    assert customer.preferred_payment_method == PaymentMethod.IDEAL
    assert selectors.customer_find_by_email("NEW@example.nl") == customer


@pytest.mark.parametrize(("email", "code"), [("", "required"), ("nope", "invalid_email")])
def test_customer_find_or_create_b2c_needs_a_valid_email(agent, email, code):
    with pytest.raises(ValidationFailed) as caught:
        customer_find_or_create_b2c(email=email, name="X", user=agent)
    assert (caught.value.field, caught.value.code) == ("email", code)


def test_database_keeps_one_default_per_customer_and_kind():
    address = AddressFactory(kind="billing")
    with pytest.raises(IntegrityError), transaction.atomic():
        AddressFactory(customer=address.customer, kind="billing", is_default=True)


def test_database_keeps_emails_unique_regardless_of_case():
    CustomerFactory(email="same@example.nl")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(email="SAME@example.nl")
