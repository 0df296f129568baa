"""The customer's own order page ``/s/<token>/``: a signed, revocable link; the order's status,
parcels and documents and nothing of other orders; a return request that makes one return."""

import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from oms import notify, ratelimit
from orders import selectors as order_selectors
from orders.api import order_representation
from orders.models import OrderEvent, OrderLine
from orders.status_links import order_token
from shipping.models import Return, Shipment
from tests.shipping.flow import place, ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(customer, mug, plate, ams, packer, parcel_carrier):
    """3 mugs and 2 plates, handed to the carrier (with a tracking number)."""
    return ship(place(customer, ("MUG-RED", 3), ("PLATE-1", 2)), ams, packer)


def _page(shipped):
    return order_selectors.order_get(shipped.order_id).status_url


def _path(order):
    return reverse("status:page", kwargs={"token": order_token(order)})


def _line(shipped, sku):
    return OrderLine.objects.get(order_id=shipped.order_id, sku=sku)


def test_the_page_shows_status_lines_and_tracking_without_login(client, shipped, settings):
    settings.OMS_SITE_URL = "https://winkel.example"
    order = order_selectors.order_get(shipped.order_id)
    assert order.status_url.startswith("https://winkel.example/s/")
    response = client.get(_path(order))
    assert response.status_code == 200
    body = response.content.decode()
    assert order.number in body and "MUG-RED" in body
    assert shipped.tracking_number and shipped.tracking_number in body
    assert f'href="{shipped.tracking_url}"' in body.replace("&amp;", "&")
    # the customer's language (Dutch by default) and no staff links, never cached
    assert "Uw bestelling" in body and "Overgedragen" in body
    assert "/orders/" not in body and "/shipping/" not in body and "/accounts/" not in body
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_a_tampered_unknown_or_revoked_token_is_the_same_404(client, shipped, customer, mug, manager_client):
    order = order_selectors.order_get(shipped.order_id)
    good = order_token(order)
    other = place(customer, ("MUG-RED", 1))
    forged = f"{other.pk}-0.{good.rsplit('.', 1)[1]}"  # another order's id under this signature
    answers = [
        client.get(reverse("status:page", kwargs={"token": token}))
        for token in (good[:-2] + "xx", forged, "nonsense", f"{order.pk}-1.{good.rsplit('.', 1)[1]}")
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1
    # staff revoke the link from the order page: the old link is dead, the new one works
    response = manager_client.post(reverse("orders:status_link_revoke", kwargs={"number": order.number}))
    assert response.status_code in (200, 302)
    assert client.get(_path(order)).status_code == 404
    fresh = order_selectors.order_get(order.pk)
    assert fresh.status_link_version == 1 and client.get(_path(fresh)).status_code == 200
    assert OrderEvent.objects.filter(order=order, message__contains="link revoked").exists()
    assert order_representation(fresh)["status_url"] == fresh.status_url != order.status_url


def test_revoking_needs_customer_service(shipped, role_client):
    order = order_selectors.order_get(shipped.order_id)
    url = reverse("orders:status_link_revoke", kwargs={"number": order.number})
    assert role_client("warehouse").post(url).status_code == 403
    assert role_client("customer_service").post(url).status_code in (200, 302)


def test_too_many_requests_from_one_address_get_429(client, shipped, settings, monkeypatch):
    settings.OMS_STATUS_PAGE_RATE_LIMIT = 3
    # the counter's clock stands in the middle of a window: the requests may not straddle a new one
    now = int(time.time())
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now - now % 60 + 30))
    path = _page(shipped).split("127.0.0.1:8000", 1)[-1]
    codes = [client.get(path, REMOTE_ADDR="203.0.113.9").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get(path, REMOTE_ADDR="203.0.113.10").status_code == 200


def test_documents_download_only_for_this_order(client, shipped, customer, mug, ams, packer):
    from billing.services.orders import order_invoice

    with transaction.atomic():
        invoice = order_invoice(order_id=shipped.order_id, basis="shipped", user=packer)
    other_order = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    with transaction.atomic():
        other_invoice = order_invoice(order_id=other_order.order_id, basis="shipped", user=packer)
    order = order_selectors.order_get(shipped.order_id)
    body = client.get(_path(order)).content.decode()
    mine = reverse("status_documents:document", kwargs={"token": order_token(order), "number": invoice.number})
    assert mine in body and other_invoice.number not in body
    response = client.get(mine)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    theirs = reverse("status_documents:document", kwargs={"token": order_token(order), "number": other_invoice.number})
    assert client.get(theirs).status_code == 404


def _post(client, order, data):
    page = client.get(_path(order)).content.decode()
    key = page.split('name="request_key" value="', 1)[1].split('"', 1)[0]
    return client.post(_path(order), {"request_key": key, **data}), key


def test_a_return_request_registers_one_return_even_when_sent_twice(client, shipped):
    order = order_selectors.order_get(shipped.order_id)
    mugs = _line(shipped, "MUG-RED")
    response, key = _post(client, order, {f"qty-{mugs.pk}": "2", "reason": "not_wanted", "note": "te groot"})
    assert response.status_code == 302
    ret = Return.objects.get(order_id=order.pk)
    assert [(line.order_line_id, line.quantity) for line in ret.lines.all()] == [(mugs.pk, 2)]
    assert ret.reason == "not_wanted" and "te groot" in ret.note and ret.created_by is None
    # the same form again (a double click): still one return
    again = client.post(_path(order), {"request_key": key, f"qty-{mugs.pk}": "2", "reason": "not_wanted"})
    assert again.status_code == 302 and again["Location"].endswith(f"?return={ret.number}#returns")
    assert Return.objects.filter(order_id=order.pk).count() == 1
    assert ret.number in client.get(again["Location"]).content.decode()


def test_a_return_request_is_checked_field_by_field(client, shipped):
    order = order_selectors.order_get(shipped.order_id)
    mugs, plates = _line(shipped, "MUG-RED"), _line(shipped, "PLATE-1")
    response, _ = _post(client, order, {f"qty-{mugs.pk}": "4", f"qty-{plates.pk}": "x", "reason": ""})
    body = response.content.decode()
    assert response.status_code == 200
    assert "U kunt er maximaal 3 retourneren." in body and "Vul een heel getal in." in body
    assert "Kies een reden." in body and Return.objects.count() == 0
    response, _ = _post(client, order, {"reason": "damaged"})
    assert response.status_code == 200 and 'data-testid="return-errors"' in response.content.decode()
    assert Return.objects.count() == 0


def test_no_return_after_the_return_period(client, shipped, settings):
    settings.OMS_RETURN_PERIOD_DAYS = 14
    Shipment.objects.filter(pk=shipped.pk).update(handed_off_at=timezone.now() - timedelta(days=15))
    order = order_selectors.order_get(shipped.order_id)
    page = client.get(_path(order)).content.decode()
    assert 'data-testid="return-form"' not in page
    mugs = _line(shipped, "MUG-RED")
    response = client.post(_path(order), {"request_key": "k", f"qty-{mugs.pk}": "1", "reason": "damaged"})
    assert response.status_code == 200 and Return.objects.count() == 0


def test_no_more_than_shipped_less_returned(client, shipped, packer):
    from shipping.services import returns

    mugs = _line(shipped, "MUG-RED")
    returns.return_register(order_id=shipped.order_id, lines=[(mugs.pk, 3)], reason="damaged", user=packer)
    order = order_selectors.order_get(shipped.order_id)
    page = client.get(_path(order)).content.decode()
    assert f'name="qty-{mugs.pk}"' not in page  # all three mugs are on their way back already
    response = client.post(_path(order), {"request_key": "k2", f"qty-{mugs.pk}": "1", "reason": "damaged"})
    assert response.status_code == 200 and Return.objects.count() == 1


def test_customer_emails_carry_the_link(shipped):
    order = order_selectors.order_get(shipped.order_id)
    subject, body = notify.render_text(
        "orders/notifications/order_confirmation", "nl", {"order": order, "customer": order.customer,
                                                          "lines": [], "seller": {}},
    )  # fmt: skip
    assert f"Uw bestelling online (status, track & trace, facturen, retourneren): {order.status_url}" in body


def test_an_english_customer_reads_the_page_in_english(client, shipped):
    from customers.models import Customer

    Customer.objects.filter(pk=shipped.customer_id).update(language="en")
    order = order_selectors.order_get(shipped.order_id)
    body = client.get(_path(order), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert f"Your order {order.number}" in body and "Request a return" in body


def test_the_on_its_way_e_mail_carries_the_link(shipped):
    from django.core import mail

    from shipping.models import ShipmentNotice
    from shipping.services import notices

    notice = ShipmentNotice.objects.get(shipment=shipped, kind="handed_off")
    assert notices.notice_send(notice_id=notice.pk) == "sent"
    (message,) = mail.outbox
    assert _page(shipped) in message.body and shipped.tracking_url in message.body


def test_the_api_answer_carries_the_link(shipped, api_client_for):
    client = api_client_for("api_client")
    order = order_selectors.order_get(shipped.order_id)
    body = client.get(f"/api/v1/orders/{order.number}/").json()
    assert body["status_url"] == order.status_url
    assert client.get(body["status_url"].split("8000", 1)[1]).status_code == 200


def test_the_payment_link_shows_while_unpaid_and_valid(client, customer, mug, parcel_carrier):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import Order

    order = place(customer, ("MUG-RED", 1), payment_method="ideal")
    page = client.get(_path(order)).content.decode()
    assert 'data-testid="payment"' not in page  # no link made (payment links are off here)
    # given the provider's link on the order
    soon = timezone.now() + timedelta(hours=1)
    Order.objects.filter(pk=order.pk).update(payment_url="https://pay.example/tr_1", payment_url_expires_at=soon)
    page = client.get(_path(order)).content.decode()
    assert 'href="https://pay.example/tr_1"' in page and "Nu betalen" in page
    # an expired link is not offered
    Order.objects.filter(pk=order.pk).update(payment_url_expires_at=timezone.now() - timedelta(minutes=1))
    page = client.get(_path(order)).content.decode()
    assert "https://pay.example/tr_1" not in page


def test_the_page_reads_a_fixed_number_of_queries(client, shipped, django_assert_max_num_queries):
    order = order_selectors.order_get(shipped.order_id)
    client.get(_path(order))  # warm the session and the carrier adapter caches
    # order+customer, lines, allocations; shipments, their lines; returns (their lines when
    # there are some), open returns' quantities; invoices. No session: the customer has none.
    with django_assert_max_num_queries(8):
        assert client.get(_path(order)).status_code == 200
