"""Order numbers, the event table and the pure pricing rules."""

from decimal import Decimal

import pytest
from django.db import connection

from oms.events import HANDLERS
from orders import events, pricing


@pytest.mark.django_db
def test_order_numbers_come_from_the_sequence_and_grow_past_six_digits():
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM orders_order_number")
        last, called = cursor.fetchone()
        try:
            cursor.execute("SELECT setval('orders_order_number', 41, true)")
            cursor.execute("SELECT orders_next_number()")
            assert cursor.fetchone()[0] == "SO-000042"
            cursor.execute("SELECT setval('orders_order_number', 999999, true)")
            cursor.execute("SELECT orders_next_number()")
            assert cursor.fetchone()[0] == "SO-1000000"
        finally:
            cursor.execute("SELECT setval('orders_order_number', %s, %s)", [last, called])


@pytest.mark.django_db
def test_an_allocation_is_held_in_its_own_warehouse_by_the_database(customer, mug, ams):
    from django.db import IntegrityError, transaction

    from orders.models import Allocation
    from tests.factories.inventory import WarehouseFactory
    from tests.factories.orders import place

    allocation = Allocation.objects.get(order_line__order=place(customer, ("MUG-RED", 1)))
    elsewhere = WarehouseFactory(code="RTM")
    with pytest.raises(IntegrityError, match="allocation_stock_level_in_warehouse"), transaction.atomic():
        Allocation.objects.filter(pk=allocation.pk).update(warehouse=elsewhere)
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError, match="allocation_stock_level_in_warehouse"), transaction.atomic():
        Allocation.objects.filter(pk=allocation.pk).update(stock_level_id=allocation.stock_level_id + 10**9)
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_every_event_orders_publishes_is_in_the_handler_table():
    assert set(events.PUBLISHED) <= set(HANDLERS)
    assert "orders.events.stock_received" in HANDLERS["stock.received"]
    assert "orders.events.stock_released" in HANDLERS["order.cancelled"]
    assert "orders.events.stock_released" in HANDLERS["order.changed"]
    assert HANDLERS["orders.backorders_pending"] == ["orders.events.backorders_pending"]


@pytest.mark.parametrize(
    "is_b2b,vat_id,country,expected",
    [
        (False, "", "NL", "domestic"),
        (False, "", "BE", "domestic"),  # a consumer in Belgium pays Dutch VAT (below the OSS threshold)
        (True, "NL000099998B57", "NL", "domestic"),
        (True, "NL000099998B57", "BE", "domestic"),  # a Dutch VAT id is no intra-EU supply
        (True, "BE0403019261", "BE", "reverse_charge"),
        (True, "BE0403019261", "NL", "domestic"),
        (True, "EL094014201", "GR", "reverse_charge"),  # Greek VAT ids start with EL
        (True, "", "DE", "domestic"),  # no VAT id, no reverse charge
        (False, "", "US", "export"),
        (True, "BE0403019261", "CH", "export"),
    ],
)
def test_vat_regime(is_b2b, vat_id, country, expected):
    assert pricing.vat_regime(is_b2b=is_b2b, vat_id=vat_id, ship_country=country) == expected


def test_line_totals_and_order_totals_round_half_up_per_rate():
    assert pricing.line_total(3, Decimal("0.335")) == Decimal("1.01")  # 1.005 -> 1.01
    assert pricing.line_total(1, Decimal("10.00"), Decimal("33.33")) == Decimal("6.67")
    totals = pricing.order_totals(
        [(Decimal("0.05"), Decimal("21")), (Decimal("0.05"), Decimal("21")), (Decimal("1.00"), Decimal("9"))],
        Decimal("0"),
        Decimal("21"),
    )
    # per rate over the order: 21% of 0.10 = 0.021 -> 0.02 (per line it would be 2 x 0.01)
    assert (totals.net, totals.vat, totals.gross) == (Decimal("1.10"), Decimal("0.11"), Decimal("1.21"))


@pytest.mark.django_db
def test_the_admin_shows_orders_read_only(client, django_user_model, customer, mug):
    from tests.factories.orders import place

    order = place(customer, ("MUG-RED", 1))
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.nl", "pw-for-tests-only"))
    assert client.get("/admin/orders/order/").status_code == 200
    page = client.get(f"/admin/orders/order/{order.pk}/change/")
    assert page.status_code == 200 and b"MUG-RED" in page.content
    assert client.get("/admin/orders/allocation/").status_code == 200
    assert client.get("/admin/orders/order/add/").status_code == 403
