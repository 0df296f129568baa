"""The order life cycle: every pair of statuses is allowed or refused exactly as ORDER_TRANSITIONS
says, in the model and in the transition step every service goes through."""

import itertools

import pytest
from django.db import transaction

from oms.errors import InvalidTransition
from oms.models import OutboxEvent
from orders.event_names import STATUS_EVENTS
from orders.models import ORDER_TRANSITIONS, Order, OrderEvent, OrderStatus
from orders.services._common import lock_order, transition
from tests.factories.orders import OrderFactory

PAIRS = list(itertools.product(OrderStatus.values, repeat=2))
# Read off the API.md statuses: the life cycle written out once more, by hand.
EXPECTED = {
    "draft": {"allocated", "backordered", "cancelled"},
    "on_hold": {"allocated", "backordered", "cancelled"},
    "allocated": {"backordered", "on_hold", "picking", "partially_shipped", "shipped", "cancelled"},
    "backordered": {"allocated", "on_hold", "picking", "partially_shipped", "cancelled"},
    "picking": {"partially_shipped", "shipped", "cancelled"},
    "partially_shipped": {"picking", "shipped"},
    "shipped": {"delivered"},
    "delivered": {"completed"},
    "completed": set(),
    "cancelled": set(),
}


def test_the_table_covers_every_status_and_matches_the_life_cycle():
    assert set(ORDER_TRANSITIONS) == set(OrderStatus.values)
    assert {k: set(v) for k, v in ORDER_TRANSITIONS.items()} == EXPECTED
    # nothing leaves a final state, nothing goes back to draft, and cancel is refused once shipped
    assert not any(OrderStatus.DRAFT in targets for targets in ORDER_TRANSITIONS.values())
    for shipped in ("partially_shipped", "shipped", "delivered", "completed"):
        assert "cancelled" not in ORDER_TRANSITIONS[shipped]


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_can_transition_to_answers_as_the_table_says(current, target):
    assert Order(status=current).can_transition_to(target) is (target in EXPECTED[current])


@pytest.mark.django_db
def test_transition_writes_allowed_pairs_and_refuses_the_others():
    # given one order per status
    orders = {status: OrderFactory(status=status) for status in OrderStatus.values}
    for current, target in PAIRS:
        order = orders[current]
        Order.objects.filter(pk=order.pk).update(status=current)
        before = (OrderEvent.objects.count(), OutboxEvent.objects.count())
        # when the transition step is asked to move it
        with transaction.atomic():
            locked = lock_order(order.pk)
            if target in EXPECTED[current]:
                transition(locked, target, user=None, kind="note", message=f"{current} -> {target}")
                refused = False
            else:
                with pytest.raises(InvalidTransition) as caught:
                    transition(locked, target, user=None, kind="note", message="no")
                refused = True
        # then the row, the timeline and the outbox say the same as the table
        stored = Order.objects.get(pk=order.pk).status
        after = (OrderEvent.objects.count(), OutboxEvent.objects.count())
        if refused:
            assert stored == current and after == before, (current, target)
            assert (caught.value.extra["current_status"], caught.value.extra["target_status"]) == (current, target)
        else:
            assert stored == target and after == (before[0] + 1, before[1] + 1), (current, target)
            assert OutboxEvent.objects.order_by("-id").first().name == STATUS_EVENTS[target]


@pytest.mark.django_db
def test_the_database_refuses_an_unknown_status():
    from django.db import IntegrityError

    order = OrderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(status="lost")
