"""Customers' IBANs (issue 17): validated with schwifty in one place (``validate_iban``), stored
once per customer, shown and added on the customer page."""

import pytest
from django.urls import reverse

from customers.models import CustomerIban, IbanSource
from customers.services import customer_iban_add, validate_iban
from oms.errors import ValidationFailed
from oms.roles import Role
from tests.factories.customers import CustomerFactory


@pytest.mark.parametrize(
    "value,compact",
    [
        ("NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"),
        ("nl91abna0417164300", "NL91ABNA0417164300"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("BE68 5390 0754 7034", "BE68539007547034"),
    ],
)
def test_validate_iban_gives_the_compact_form(value, compact):
    assert validate_iban(value) == compact


@pytest.mark.parametrize("value", ["", "NL92ABNA0417164300", "NL91ABNA041716430", "XX00", None, 12, "N" * 100])
def test_validate_iban_refuses_what_is_not_an_iban(value):
    with pytest.raises(ValidationFailed) as refused:
        validate_iban(value)
    assert (refused.value.code, refused.value.field) == ("invalid_iban", "iban")


@pytest.mark.django_db
def test_customer_iban_add_stores_an_iban_once():
    customer = CustomerFactory()
    first = customer_iban_add(customer=customer, iban="NL91 ABNA 0417 1643 00")
    again = customer_iban_add(customer=customer, iban="NL91ABNA0417164300", source=IbanSource.BANK_STATEMENT)
    assert first == again and first.source == IbanSource.MANUAL
    assert CustomerIban.objects.filter(customer=customer).count() == 1


@pytest.mark.django_db
def test_customer_page_adds_an_iban_and_refuses_a_wrong_one(role_client, htmx_headers):
    customer = CustomerFactory()
    client = role_client(Role.ACCOUNTING)
    url = reverse("customers:iban_add", args=[customer.number])
    ok = client.post(url, {"iban": "NL91ABNA0417164300"}, **htmx_headers)
    bad = client.post(url, {"iban": "NL00ABNA0417164300"}, **htmx_headers)
    assert ok.status_code == 200 and b"NL91ABNA0417164300" in ok.content and b"<html" not in ok.content
    assert bad.status_code == 200 and b'data-testid="iban-error"' in bad.content
    assert list(customer.ibans.values_list("iban", flat=True)) == ["NL91ABNA0417164300"]
    page = client.get(reverse("customers:detail", args=[customer.number]))
    assert b'data-testid="customer-ibans"' in page.content and b"NL91ABNA0417164300" in page.content
