"""The order timeline reads in the reader's language (issue 19): services store the English text
and the pieces it was made of; a Dutch page shows the pieces in Dutch, an English one in English,
and rows written before (English text only) still read."""

import pytest
from django.utils import translation

from orders.models import OrderEvent
from orders.services import order_cancel, order_hold, order_lines_change, order_release_hold
from tests.factories.orders import place

pytestmark = pytest.mark.django_db


def _timeline(client, order, language: str) -> str:
    return client.get(f"/orders/{order.number}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_timeline_entries_read_in_dutch_on_a_dutch_page_and_stay_english_in_the_records(
    client, customer, mug, book, agent
):
    # given an order placed, held, changed and cancelled (3 mugs and 1 book reserved)
    order = place(customer, ("MUG-RED", 3), ("BOOK-1", 1))
    order_hold(order=order, user=agent, reason="betaling nagaan")
    order_release_hold(order=order, user=agent)
    mug_line = order.lines.get(sku="MUG-RED")
    order_lines_change(order=order, user=agent, changes=[{"line_id": mug_line.pk, "quantity": 2}])
    order_cancel(order=order, user=agent, reason="klant belde af")
    client.force_login(agent)
    # when a Dutch reader opens it
    dutch = _timeline(client, order, "nl")
    # then every entry is Dutch, with the values filled in
    assert "Geplaatst via Webshop: 2 regels," in dutch and "alles gereserveerd." in dutch
    assert "In de wacht: betaling nagaan" in dutch
    assert "Regels gewijzigd: MUG-RED naar 2." in dutch
    assert "Geannuleerd: klant belde af. 3 gereserveerde stuks terug op voorraad." in dutch
    # and an English reader reads English; the stored text (API, search) is English
    english = _timeline(client, order, "en")
    assert "Cancelled: klant belde af. 3 reserved units back in stock." in english
    assert "Lines changed: MUG-RED to 2." in english
    stored = OrderEvent.objects.get(order=order, kind="cancelled")
    assert stored.message == "Cancelled: klant belde af. 3 reserved units back in stock."


def test_a_row_written_before_reads_as_stored_or_by_its_own_translation(customer, mug):
    order = place(customer, ("MUG-RED", 1))
    old = OrderEvent.objects.create(order=order, kind="note", message="Shipped: 3 units in one parcel.")
    fixed = OrderEvent.objects.create(order=order, kind="delivered", message="Delivered.")
    broken = OrderEvent.objects.create(
        order=order, kind="note", message="As stored.", data={"message_parts": {"id": "%(missing)s", "params": {}}}
    )
    with translation.override("nl"):
        assert old.display_message == "Shipped: 3 units in one parcel."
        assert fixed.display_message == "Bezorgd."
        assert broken.display_message == "As stored."
