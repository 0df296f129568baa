"""oms.sql's fast model instances: the same objects the ORM would make."""

import pytest
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from oms.models import OutboxEvent
from oms.sql import instance, model_columns, new_instance
from orders.models import Allocation, OrderLine


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


def test_the_models_built_this_way_have_no_init_signal_receivers():
    # new_instance skips Model.__init__, which would send these
    for model in (OrderLine, Allocation, OutboxEvent):
        assert not pre_init.has_listeners(model) and not post_init.has_listeners(model)
