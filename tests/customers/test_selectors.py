"""Reads: what search finds, in which order, and in how many queries."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db.models import F

from customers import selectors
from customers.services import address_add, customer_create
from oms.errors import NotFound
from tests.factories.customers import AddressFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(make_user):
    return customer_create(
        kind="b2b",
        name="Zoë de Vries",
        company_name="Vries Cadeaus B.V.",
        email="zoe@vriescadeaus.nl",
        phone="06 87654321",
        vat_id="NL000099998B57",
        coc_number="87654321",
        addresses=[{"kind": "billing", "street": "Neude", "house_number": "5", "postal_code": "3512 AE", "city": "U"}],
        user=make_user("customer_service"),
    )


def _created_a_minute_ago():
    """Date the audit rows so far a minute back, as if written by an earlier request. In one test
    transaction every row has the same ``NOW()``, and the newest-first order of two rows from the
    two audit tables would fall to their separate id sequences, which depend on the tests that
    ran before in the same process."""
    for name in ("customers.CustomerEvent", "customers.AddressEvent"):
        apps.get_model(name).objects.update(pgh_created_at=F("pgh_created_at") - timedelta(minutes=1))


@pytest.mark.parametrize(
    "query",
    [
        "zoe",  # accents are folded
        "ZOË DE VRIES",
        "vries zoe",  # every word, in any order
        "cadeaus b.v.",
        "zoe@vriescadeaus",
        "06 8765 4321",
        "+31 6 87654321",
        "654321",
        "3512 AE",
        "3512ae",
        "nl000099998b57",
        "87654321",
    ],
)
def test_customer_search_finds_by_every_field(anna, query):
    CustomerFactory(name="Someone Else", email="else@example.nl")
    assert [c.pk for c in selectors.customer_search(query)] == [anna.pk]


def test_customer_search_finds_by_number_and_puts_the_exact_one_first(anna):
    others = CustomerFactory.create_batch(3, name=f"Has {anna.number.lower()} in the name")
    results = selectors.customer_search(anna.number)
    assert results[0] == anna and {c.pk for c in results[1:]} == {c.pk for c in others}


@pytest.mark.parametrize("query", ["", " ", "ab", "a b", "06"])
def test_customer_search_needs_one_word_of_three_characters(anna, query, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.customer_search(query) == []
    assert selectors.search_hint(query) == ("" if not query.strip() else "Type at least 3 characters.")


def test_customer_search_takes_two_queries_whatever_the_number_of_rows(django_assert_num_queries):
    for customer in CustomerFactory.create_batch(25, name="Pieter Post"):
        AddressFactory(customer=customer, kind="billing")
        AddressFactory(customer=customer, kind="shipping")
    with django_assert_num_queries(2):
        results = selectors.customer_search("pieter post", limit=20)
        postcodes = [a.postal_code for c in results for a in c.default_addresses]
    assert len(results) == 20 and len(postcodes) == 40


def test_customer_list_pages_without_counting(django_assert_num_queries):
    CustomerFactory.create_batch(5)
    with django_assert_num_queries(2) as captured:
        rows = list(selectors.customer_list()[:3])
    assert len(rows) == 3 and rows[0].pk > rows[1].pk
    assert not any("COUNT(" in q["sql"] for q in captured.captured_queries)


def test_customer_get_by_number_accepts_lower_case_and_says_not_found(anna):
    assert selectors.customer_get_by_number(anna.number.lower()) == anna
    with pytest.raises(NotFound):
        selectors.customer_get_by_number("C-999999")
    with pytest.raises(NotFound):
        selectors.customer_get(0)


def test_customer_default_address_is_per_kind_without_fallback(anna):
    assert selectors.customer_default_address(anna.pk, "billing").postal_code == "3512 AE"
    assert selectors.customer_default_address(anna.pk, "shipping") is None


def test_customers_by_ids_and_external_refs_in_one_query(django_assert_num_queries):
    a, b = CustomerFactory(external_ref="uci:1"), CustomerFactory(external_ref="uci:2")
    with django_assert_num_queries(1):
        assert selectors.customers_by_ids([a.pk, b.pk, a.pk]) == {a.pk: a, b.pk: b}
    with django_assert_num_queries(1):
        assert selectors.customer_ids_by_external_ref(["uci:1", "uci:2", "uci:3"]) == {"uci:1": a.pk, "uci:2": b.pk}


def test_customer_history_reads_customer_and_address_changes_in_two_queries(anna, make_user, django_assert_num_queries):
    bea = make_user("customer_service", username="bea")
    _created_a_minute_ago()
    address_add(
        customer=anna, kind="shipping", street="Damrak", house_number="1", postal_code="1012 LG", city="A", user=bea
    )
    with django_assert_num_queries(2):
        history = selectors.customer_history(anna)
    assert [(h.what, h.subject) for h in history][:1] == [("created", "shipping address 1012 LG")]
    assert history[0].who == "bea"
    assert {h.subject for h in history} == {"customer", "billing address 3512 AE", "shipping address 1012 LG"}
