"""The phone screen's draft flow: a draft with live totals and no reservation, then placed."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings

from oms.errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from oms.models import OutboxEvent
from orders.models import Order, OrderEvent, OrderLine
from orders.services import (
    order_draft_add_line,
    order_draft_create,
    order_draft_place,
    order_draft_remove_line,
    order_draft_set_address,
    order_draft_set_customer,
    order_draft_set_lines,
    order_draft_set_payment_method,
    order_draft_update,
    order_draft_update_line,
)
from tests.factories.customers import CustomerFactory
from tests.factories.inventory import level
from tests.factories.orders import place

pytestmark = pytest.mark.django_db
BRUSSELS = {"street": "Rue Neuve", "house_number": "1", "postal_code": "1000", "city": "Brussel", "country": "BE"}


@pytest.fixture
def draft(customer, agent):
    return order_draft_create(channel="phone", customer=customer, user=agent)


def test_order_draft_create_takes_the_customers_defaults(draft, customer, agent):
    assert (draft.status, draft.channel, draft.customer, draft.entered_by) == ("draft", "phone", customer, agent)
    assert draft.number.startswith("SO-") and draft.payment_method == customer.preferred_payment_method
    assert draft.shipping_address["house_number"] == "7" and draft.billing_address["street"] == "Damrak"
    assert OrderEvent.objects.get(order=draft).kind == "created"
    assert not OutboxEvent.objects.filter(payload__order_id=draft.pk).exists()


@override_settings(OMS_FLAT_SHIPPING_AMOUNT="4.09")
def test_order_draft_lines_have_live_totals_and_reserve_nothing(draft, mug, book, ams, agent):
    # when the agent adds two mugs and a book
    line = order_draft_add_line(order=draft, sku="MUG-RED", quantity=2, user=agent)
    order_draft_add_line(order=draft, sku="BOOK-1", quantity=1, user=agent)
    # then the totals are there at shelf prices (a consumer): 19.98 + 4.95 shipping holds 4.33 VAT
    # at 21%, the book's 21.80 holds 1.80 at 9%; nothing reserved
    draft.refresh_from_db()
    assert (draft.net_amount, draft.shipping_amount, draft.vat_amount, draft.gross_amount) == (
        Decimal("36.51"),
        Decimal("4.09"),
        Decimal("6.13"),
        Decimal("46.73"),
    )
    assert (line.line_no, line.vat_rate, line.line_total) == (1, Decimal("21.00"), Decimal("19.98"))
    assert draft.promised_delivery_date is not None
    assert level(mug, ams).reserved == 0
    # and a changed quantity, a price and a removal keep them right
    agent.user_permissions.add(Permission.objects.get(codename="change_line_price"))
    agent = type(agent).objects.get(pk=agent.pk)  # a typed price needs the permission and a reason
    order_draft_update_line(order=draft, line_id=line.pk, quantity=3, unit_price="8.00", user=agent, reason="offer")
    order_draft_remove_line(order=draft, line_id=draft.lines.get(sku="BOOK-1").pk, user=agent)
    draft.refresh_from_db()
    # a typed price is in the order's basis (incl. VAT): 24.00 + 4.95 shipping holds 5.02 VAT
    assert list(draft.lines.values_list("sku", "quantity", "line_total")) == [("MUG-RED", 3, Decimal("24.00"))]
    assert draft.net_amount == Decimal("19.84")
    order_draft_update_line(order=draft, line_id=line.pk, unit_price=None, user=agent)
    assert OrderLine.objects.get(pk=line.pk).unit_price == Decimal("9.99")  # back to the shelf price


def test_order_draft_place_reserves_and_publishes_like_order_place(draft, mug, ams, agent):
    order_draft_set_lines(order=draft, lines=[{"sku": "MUG-RED", "quantity": 12}], user=agent)
    placed = order_draft_place(order=draft, user=agent)
    assert (placed.pk, placed.number, placed.status) == (draft.pk, draft.number, "backordered")
    assert placed.lines.get().quantity_allocated == 10 and level(mug, ams).reserved == 10
    names = OutboxEvent.objects.filter(payload__order_id=draft.pk).order_by("id").values_list("name", flat=True)
    assert list(names) == ["order.placed", "order.backordered"]
    assert Order.objects.get(pk=draft.pk).placed_at is not None
    with pytest.raises(Conflict) as caught:
        order_draft_add_line(order=draft, sku="MUG-RED", quantity=1, user=agent)
    assert caught.value.code == "not_a_draft"


def test_order_draft_place_with_reject_leaves_the_draft(draft, mug, ams, agent):
    order_draft_set_lines(order=draft, lines=[{"sku": "MUG-RED", "quantity": 12}], user=agent)
    with pytest.raises(InsufficientStock):
        order_draft_place(order=draft, user=agent, backorder_policy="reject")
    assert Order.objects.get(pk=draft.pk).status == "draft" and level(mug, ams).reserved == 0


def test_order_draft_place_needs_lines_and_a_credit_check(draft, mug, customer, agent):
    with pytest.raises(ValidationFailed) as caught:
        order_draft_place(order=draft, user=agent)
    assert (caught.value.field, caught.value.code) == ("lines", "required")
    order_draft_add_line(order=draft, sku="MUG-RED", quantity=1, user=agent)
    type(customer).objects.filter(pk=customer.pk).update(credit_hold=True)
    with pytest.raises(Conflict) as caught:
        order_draft_place(order=draft, user=agent)
    assert caught.value.code == "customer_blocked"


def test_order_draft_address_changes_the_vat_regime(mug, agent):
    belgian = CustomerFactory(
        b2b=True, vat_id="BE0403019261", company_name="Brussel BV", preferred_payment_method="bank_transfer"
    )
    draft = order_draft_create(channel="b2b", customer=belgian, user=agent)
    order_draft_add_line(order=draft, sku="MUG-RED", quantity=1, user=agent)
    draft = order_draft_set_address(order=draft, kind="shipping", address=BRUSSELS, user=agent)
    assert (draft.vat_regime, draft.vat_amount) == ("reverse_charge", Decimal("0.00"))
    with pytest.raises(ValidationFailed) as caught:
        order_draft_set_address(order=draft, kind="shipping", address=BRUSSELS | {"country": "NL"}, user=agent)
    assert caught.value.field == "shipping_address.postal_code"
    with pytest.raises(ValidationFailed):
        order_draft_set_address(order=draft, kind="office", address=BRUSSELS, user=agent)


def test_order_draft_payment_customer_and_details(draft, mug, agent, b2b):
    with pytest.raises(Conflict) as caught:
        order_draft_set_payment_method(order=draft, payment_method="on_account", user=agent)
    assert caught.value.code == "on_account_not_allowed"
    assert order_draft_set_payment_method(order=draft, payment_method="klarna", user=agent).payment_method == "klarna"
    moved = order_draft_set_customer(order=draft, customer=b2b, user=agent)
    assert (moved.customer, moved.payment_method) == (b2b, "on_account")
    updated = order_draft_update(
        order=draft, notes="Bel aan", ship_complete=True, external_reference="TEL-1", user=agent
    )
    assert (updated.notes, updated.ship_complete, updated.external_reference) == ("Bel aan", True, "TEL-1")


def test_order_draft_external_reference_must_be_unique_on_the_channel(draft, customer, mug, agent):
    taken = place(customer, ("MUG-RED", 1), channel="phone", external_reference="TEL-9")
    with pytest.raises(Conflict) as caught:
        order_draft_update(order=draft, external_reference="TEL-9", user=agent)
    assert (caught.value.code, caught.value.extra["number"]) == ("duplicate_external_reference", taken.number)


def test_order_draft_bad_lines_are_field_errors(draft, mug, agent):
    with pytest.raises(ValidationFailed) as caught:
        order_draft_add_line(order=draft, sku="NOPE", quantity=1, user=agent)
    assert (caught.value.field, caught.value.code) == ("sku", "unknown_sku")
    with pytest.raises(ValidationFailed) as caught:
        order_draft_add_line(order=draft, sku="MUG-RED", quantity=0, user=agent)
    assert caught.value.field == "quantity"
    with pytest.raises(NotFound):
        order_draft_update_line(order=draft, line_id=999999, quantity=2, user=agent)
    with pytest.raises(ValidationFailed) as caught:
        order_draft_set_lines(
            order=draft, lines=[{"sku": "MUG-RED", "quantity": 1}, {"sku": "X", "quantity": 1}], user=agent
        )
    assert caught.value.field == "lines.1.sku"


def test_a_draft_given_to_a_business_is_repriced_excl_vat_and_back(draft, mug, b2b, customer, agent):
    # given a consumer's draft with two mugs at the shelf price (9.99 incl. VAT)
    line = order_draft_add_line(order=draft, sku="MUG-RED", quantity=2, user=agent)
    assert draft.prices_include_vat and line.unit_price == Decimal("9.99")
    # when it is given to a business: list prices excl. VAT, VAT on top
    order_draft_set_customer(order=draft, customer=b2b, user=agent)
    draft.refresh_from_db()
    assert not draft.prices_include_vat and OrderLine.objects.get(pk=line.pk).unit_price == Decimal("8.26")
    assert draft.net_amount == Decimal("16.52")
    # and back to the consumer: the shelf price again
    order_draft_set_customer(order=draft, customer=customer, user=agent)
    draft.refresh_from_db()
    assert draft.prices_include_vat and OrderLine.objects.get(pk=line.pk).line_total == Decimal("19.98")
