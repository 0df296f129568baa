"""Order placement through shipping's delivery-quote backend (the settings default), and the
orders' stand-in backend when the configured one cannot be imported."""

from decimal import Decimal

import pytest
from django.test import override_settings

from oms.errors import Conflict
from orders.models import Order
from tests.factories.orders import place
from tests.factories.shipping import parcel_service

pytestmark = pytest.mark.django_db
SHIPPING = "shipping.quotes.quote_delivery"


@override_settings(OMS_DELIVERY_QUOTE_BACKEND=SHIPPING)
def test_order_place_takes_the_charge_and_promise_from_shipping(customer, mug, ams):
    # given a carrier with 4.10 up to 2 kg and 6.95 up to 10 kg
    parcel_service("postnl")
    # when an order of 12 mugs (3 kg; 2 are backordered) is placed
    order = place(customer, ("MUG-RED", 12))
    # then shipping's quote decided the charge, the carrier and the dates
    assert (order.shipping_amount, order.carrier_code) == (Decimal("6.95"), "postnl")
    assert order.promised_delivery_date >= order.first_delivery_date >= order.supply_date
    assert order.gross_amount == order.net_amount + order.shipping_amount + order.vat_amount


@override_settings(OMS_DELIVERY_QUOTE_BACKEND=SHIPPING)
def test_no_carrier_for_the_address_is_a_409_at_the_shipping_address(customer, mug):
    with pytest.raises(Conflict) as caught:
        place(customer, ("MUG-RED", 1))
    assert (caught.value.code, caught.value.field) == ("shipping_unavailable", "shipping_address.country")
    assert not Order.objects.exists()


@override_settings(OMS_DELIVERY_QUOTE_BACKEND="nowhere.quotes.quote_delivery", OMS_FLAT_SHIPPING_AMOUNT="3.50")
def test_an_absent_backend_falls_back_to_the_flat_rate(customer, mug):
    assert place(customer, ("MUG-RED", 1)).shipping_amount == Decimal("3.50")
