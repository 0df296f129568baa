"""The demo orders: UCI history replayed in final statuses without touching stock, a few open
orders placed through the services, everything adding up, loaded once."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from inventory.models import StockLevel
from oms.invariants import violations
from oms.money import gross_of
from orders import demo
from orders.management.commands.demo_orders import END_DAYS_AGO
from orders.models import Order, OrderEvent, OrderLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world():
    call_command("demo_inventory", small=True, stdout=StringIO())
    call_command("demo_customers", small=True, stdout=StringIO())


def test_demo_orders_replays_history_and_places_open_orders_once(demo_world):
    # given the demo stock before the replay
    reserved_before = sum(StockLevel.objects.values_list("reserved", flat=True))
    # when
    out = StringIO()
    call_command("demo_orders", small=True, stdout=out)
    # then the history is there, in final statuses (the last day's on their way), ending
    # yesterday, numbered in date order
    history = Order.objects.filter(external_reference__startswith="UCI-")
    assert history.count() > 100 and "historical orders" in out.getvalue()
    assert set(history.values_list("status", flat=True)) <= {"completed", "delivered", "shipped", "cancelled"}
    assert set(history.filter(external_reference__startswith="UCI-C").values_list("status", flat=True)) == {"cancelled"}
    dated = list(history.order_by("number").values_list("created_at", flat=True))
    assert dated == sorted(dated) and timezone.localdate(dated[-1]) == timezone.localdate() - timedelta(days=1)
    assert dated[0].date() >= timezone.localdate() - timedelta(days=1 + 3 * 31 + 1)  # --small: 3 months
    # and the revenue chart's newest day is not empty: the newest order is within the last day or so
    newest = Order.objects.exclude(status="draft").latest("created_at").created_at
    assert timezone.now() - timedelta(hours=36) < newest <= timezone.now()
    assert not OrderEvent.objects.filter(created_at__gt=timezone.now()).exists()  # nothing dated ahead
    shipped = OrderLine.objects.filter(order__status="completed")
    assert shipped.exists() and not shipped.exclude(quantity_shipped=F("quantity")).exists()
    assert OrderEvent.objects.filter(order__status="completed", kind="completed").exists()
    # and open orders through the services reserved stock, some with backorders
    live = Order.objects.filter(external_reference__startswith="DEMO-")
    assert {"allocated", "backordered", "on_hold"} <= set(live.values_list("status", flat=True))
    reserved_now = sum(StockLevel.objects.values_list("reserved", flat=True))
    held = sum(line.quantity_allocated for line in OrderLine.objects.filter(order__in=live))
    assert reserved_now - reserved_before == held > 0
    assert Order.objects.filter(status="draft", channel="phone").count() == 1  # a call in progress
    # the orders' and stock's books add up; the history is invoiced by demo_billing, whose own test
    # (tests/billing/test_demo.py) holds billing's identities to it
    assert {name: rows for name, rows in violations().items() if not name.startswith("billing:")} == {}
    # and a replayed order has the data's lines, prices (pounds at the catalogue's rate), postage
    # and time (shifted to end yesterday)
    _assert_replayed_from_the_data(history.filter(status="completed").order_by("id").first())
    # when it runs again, nothing is added
    count = Order.objects.count()
    again = StringIO()
    call_command("demo_orders", small=True, stdout=again)
    assert Order.objects.count() == count and "already" in again.getvalue()


def _assert_replayed_from_the_data(order: Order) -> None:
    source = next(o for o in demo.read_orders() if o.reference == order.external_reference)
    lines = list(order.lines.order_by("line_no"))
    sold = [line for line in source.lines if line.sku in {ln.sku for ln in lines}]
    # a consumer's order at shelf prices: the data's price plus VAT; a business's excl. VAT
    shelf = (lambda price, ln: gross_of(price, ln.vat_rate)) if order.prices_include_vat else (lambda price, ln: price)
    assert order.prices_include_vat == (not order.customer.is_b2b)
    assert [(ln.sku, ln.quantity, ln.unit_price) for ln in lines] == [
        (line.sku, line.quantity, shelf(demo.eur(line.unit_price_gbp), ln))
        for line, ln in zip(sold, lines, strict=True)
    ]
    lines_sum = sum(ln.line_total for ln in lines)
    if order.prices_include_vat:
        assert order.gross_amount == lines_sum + gross_of(order.shipping_amount, order.shipping_vat_rate)
    else:
        assert order.net_amount == lines_sum
    assert order.shipping_amount == demo.eur(source.postage_gbp)
    assert order.amount_paid == order.gross_amount
    shift = demo.shift_days(timezone.localdate(), END_DAYS_AGO)
    assert timezone.localtime(order.created_at).replace(tzinfo=None) == source.at + shift


def test_demo_prices_convert_at_the_catalogues_rate_half_up():
    assert demo.eur(Decimal("0.85")) == Decimal("0.98")  # 0.9775
    assert demo.eur(Decimal("2.55")) == Decimal("2.93")  # 2.9325
    assert demo.text("a\tb\\c\nd") == "a\\tb\\\\c\\nd" and demo.text(None) == "\\N"
