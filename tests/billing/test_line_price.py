"""The phone order, complete (issue 19): a discount or another price on a line needs the
permission and a reason; both show on the order's timeline and on the invoice line; the order's
note for the warehouse is on the pick list."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import translation

from billing.services import order_invoice
from billing.services.delivery import invoice_pdf_content
from oms.errors import NotPermitted, ValidationFailed
from orders.models import OrderEvent, OrderLine
from orders.services import (
    order_draft_add_line,
    order_draft_create,
    order_draft_place,
    order_draft_price_line,
    order_draft_update,
)
from tests.support.pdf import pdf_text

pytestmark = pytest.mark.django_db


def _granted(user):
    user.user_permissions.add(Permission.objects.get(codename="change_line_price"))
    return type(user).objects.get(pk=user.pk)  # a fresh object: Django caches permissions


@pytest.fixture
def draft_line(shop, make_user):
    agent = make_user("customer_service", username="carla")
    draft = order_draft_create(channel="phone", customer=shop.consumer, user=agent)
    line = order_draft_add_line(order=draft, sku="MUG-RED", quantity=2, user=agent)
    return agent, draft, line


def test_a_discount_needs_the_permission_and_a_reason(draft_line):
    agent, draft, line = draft_line
    # customer service without the permission is refused, and nothing changes
    with pytest.raises(NotPermitted):
        order_draft_price_line(order=draft, line_id=line.pk, user=agent, reason="loyal", discount_percent="10")
    agent = _granted(agent)
    # with it, a reason is still required, and a discount over 100% is refused
    with pytest.raises(ValidationFailed) as refused:
        order_draft_price_line(order=draft, line_id=line.pk, user=agent, reason=" ", discount_percent="10")
    assert refused.value.field == "reason"
    with pytest.raises(ValidationFailed) as refused:
        order_draft_price_line(order=draft, line_id=line.pk, user=agent, reason="x", discount_percent="101")
    assert refused.value.field == "discount_percent"
    unchanged = OrderLine.objects.get(pk=line.pk)
    assert (unchanged.discount_percent, unchanged.price_reason) == (Decimal("0.00"), "")


def test_discount_and_price_override_on_the_timeline_and_the_invoice(draft_line, shop, make_user):
    # given a manager (managers hold every permission) giving a price and a discount
    _, draft, line = draft_line
    manager = make_user("manager", username="max")
    order_draft_price_line(
        order=draft, line_id=line.pk, user=manager, reason="beschadigde doos", unit_price="7.00", discount_percent="10"
    )
    order_draft_update(order=draft, user=manager, notes="Breekbaar: extra noppenfolie")
    order = order_draft_place(order=draft, user=manager)
    # then the line is 2 x 7.00 less 10% = 12.60
    line = OrderLine.objects.get(pk=line.pk)
    assert (line.unit_price, line.discount_percent, line.line_total) == (
        Decimal("7.00"),
        Decimal("10.00"),
        Decimal("12.60"),
    )
    # and the timeline says what changed and why, in the reader's language
    event = OrderEvent.objects.filter(order=order, kind="lines_changed").get()
    assert event.message == "MUG-RED price € 7,00 instead of € 9,99, MUG-RED discount 10%: beschadigde doos."
    with translation.override("nl"):
        assert event.display_message == (
            "MUG-RED prijs € 7,00 in plaats van € 9,99, MUG-RED korting 10%: beschadigde doos."
        )
    # and the invoice line shows the price, the discount and the reason
    invoice = order_invoice(order_id=order.pk, basis="ordered", user=None)
    text = pdf_text(invoice_pdf_content(invoice_id=invoice.pk))
    row = next(row for row in text.splitlines() if "MUG-RED" in row)
    assert "Mok rood (beschadigde doos)" in row and "7,00" in row and "1,40" in row and "12,60" in row
