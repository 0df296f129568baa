"""oms.sql's fast model instances: the same objects the ORM would make (built through
``Model.from_db`` and ``Model.__init__``), and ``cache_related``: the one place that fills a
reverse relation's prefetch cache through Django's private QuerySet attributes. Its tests are the
contract: each fails when a Django upgrade renames or changes what it relies on."""

import gc
import weakref

import pytest
from django.db.models import Prefetch, prefetch_related_objects
from django.db.models.signals import post_init
from django.utils import timezone

from customers.models import Address, Customer
from oms.models import OutboxEvent
from oms.sql import cache_related, cached_related, instance, model_columns, new_instance, release_related
from orders.models import Allocation, OrderLine
from tests.factories.customers import AddressFactory, CustomerFactory


def _values_of(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


@pytest.mark.django_db
def test_a_new_instance_saves_and_reads_back_like_one_made_by_the_orm():
    made = new_instance(OutboxEvent, _values_of(OutboxEvent(name="x.y", payload={"a": 1}, created_at=timezone.now())))
    assert made._state.adding and made.pk is None
    made.save()
    assert _values_of(OutboxEvent.objects.get(pk=made.pk)) == _values_of(made)


def test_a_new_instance_carries_the_related_objects_it_was_given():
    line = new_instance(OrderLine, _values_of(OrderLine(line_no=1)))
    allocation = new_instance(Allocation, _values_of(Allocation(quantity=1)), {"order_line": line})
    assert allocation.order_line is line  # from the cache: no query (no database here at all)


def test_a_field_left_out_is_an_error_not_a_deferred_field():
    values = _values_of(OutboxEvent(name="x.y"))
    del values["status"]
    with pytest.raises(TypeError, match="status"):
        new_instance(OutboxEvent, values)
    with pytest.raises(TypeError, match="order"):
        new_instance(Allocation, {**_values_of(Allocation(quantity=1)), "order": None})


@pytest.mark.django_db
def test_an_instance_from_a_row_is_a_saved_object(django_assert_num_queries):
    event = OutboxEvent.objects.create(name="x.y", payload={}, created_at=timezone.now())
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {model_columns(OutboxEvent)} FROM oms_outboxevent WHERE id = %s", [event.pk])
        loaded = instance(OutboxEvent, cursor.fetchone())
    assert not loaded._state.adding and loaded._state.db == "default"
    assert _values_of(loaded) == _values_of(event)
    loaded.name = "x.z"
    with django_assert_num_queries(1):  # an UPDATE, not an INSERT after a check
        loaded.save(update_fields=["name"])


def test_a_new_instance_goes_through_the_models_init():
    # so init signals and any __init__ of a model's own see it, as with model(**values)
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=OrderLine)
    try:
        line = new_instance(OrderLine, _values_of(OrderLine(line_no=1)))
    finally:
        post_init.disconnect(receiver, sender=OrderLine)
    assert seen[-1] is line and line._state.adding and line._state.db is None


# --- cache_related: the contract with Django's QuerySet internals -------------------------------------


@pytest.fixture
def two_customers(db):
    first, second = CustomerFactory(), CustomerFactory()
    for customer in (first, second):
        AddressFactory(customer=customer, city="Utrecht")
        AddressFactory(customer=customer, city="Zwolle", kind="billing")
    return first, second


def _cached(customer) -> Customer:
    fresh = Customer.objects.get(pk=customer.pk)
    cache_related(fresh, "addresses", list(Address.objects.filter(customer=customer).order_by("id")))
    return fresh


def test_cached_rows_are_read_without_a_query(two_customers, django_assert_num_queries):
    customer = _cached(two_customers[0])
    with django_assert_num_queries(0):  # Django's _prefetched_objects_cache, _result_cache
        rows = list(customer.addresses.all())
        assert customer.addresses.count() == 2 and len(customer.addresses.all()) == 2
    assert {a.customer_id for a in rows} == {customer.pk}


def test_a_further_filter_on_cached_rows_is_limited_to_the_instance(two_customers, django_assert_num_queries):
    customer = _cached(two_customers[0])
    with django_assert_num_queries(1):  # Django's _deferred_filter: applied when the query is built
        found = list(customer.addresses.filter(city="Utrecht"))
    assert [a.customer_id for a in found] == [customer.pk]
    assert customer.addresses.exclude(city="Zwolle").get().customer_id == customer.pk


def test_prefetch_related_objects_takes_cached_rows_as_done(two_customers, django_assert_num_queries):
    customer = _cached(two_customers[0])
    with django_assert_num_queries(0):  # Django's _prefetch_done
        prefetch_related_objects([customer], "addresses")
    assert len(customer.addresses.all()) == 2


def test_cached_rows_answer_as_the_orms_own_prefetch_does(two_customers):
    cached = _cached(two_customers[0])
    prefetched = Customer.objects.prefetch_related(Prefetch("addresses", queryset=Address.objects.order_by("id"))).get(
        pk=two_customers[0].pk
    )
    assert [a.pk for a in cached.addresses.all()] == [a.pk for a in prefetched.addresses.all()]
    assert cached.addresses.all().db == prefetched.addresses.all().db == "default"


def test_cached_related_reads_what_cache_related_or_prefetch_related_left(two_customers, django_assert_num_queries):
    customer = two_customers[0]
    cached = _cached(customer)
    prefetched = Customer.objects.prefetch_related("addresses").get(pk=customer.pk)
    with django_assert_num_queries(0):
        assert len(cached_related(cached, "addresses")) == 2
        assert [a.pk for a in cached_related(prefetched, "addresses")] == [a.pk for a in prefetched.addresses.all()]
        assert cached_related(customer, "addresses") is None  # nothing left: .all() would query


def test_released_rows_are_forgotten_and_read_again_when_asked(two_customers, django_assert_num_queries):
    for customer in (
        _cached(two_customers[0]),
        Customer.objects.prefetch_related("addresses").get(pk=two_customers[1].pk),
    ):
        release_related(customer)
        assert cached_related(customer, "addresses") is None
        with django_assert_num_queries(1):  # still right, from the database
            assert len(customer.addresses.all()) == 2


def test_releasing_a_parent_lets_the_graph_go_without_the_garbage_collector(two_customers):
    customer = _cached(two_customers[0])
    address = cached_related(customer, "addresses")[0]
    address.customer = customer  # the row refers back to its parent, as a placed order's lines do
    gone = weakref.ref(customer)
    release_related(customer)
    gc.disable()
    try:
        del customer, address
        assert gone() is None  # freed by reference counting, not left for a collection
    finally:
        gc.enable()
