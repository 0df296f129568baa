"""The customer's return form sent twice at the same moment (a double click reaching two web
processes; real threads on PostgreSQL): one return."""

import threading

import pytest
from django.db import connection

from orders.models import OrderLine
from shipping.models import Return
from shipping.services import returns
from tests.shipping.flow import hand_off, pack, place

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_submits_of_one_form_at_once_make_one_return(customer, mug, ams, packer, parcel_carrier):
    packed = pack(place(customer, ("MUG-RED", 3)), ams, packer)
    hand_off(packed)
    line = OrderLine.objects.get(order_id=packed.order_id)
    barrier = threading.Barrier(2)
    made = []

    def submit():
        barrier.wait()
        try:
            made.append(
                returns.return_register(
                    order_id=packed.order_id, lines=[(line.pk, 2)], reason="damaged", user=None, request_key="form-1"
                ).pk
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(made) == 2 and len(set(made)) == 1  # both answered, with the same return
    assert Return.objects.filter(order_id=packed.order_id).count() == 1
