"""Return labels: the customer's return request on their order page asks the carrier of the
parcel for a return label (generic JSON, PostNL Smart Returns, Sendcloud ``is_return``), each
against its fake API on 127.0.0.1; one label whatever fails on the way; refusals and carriers
without returns leave the customer the address to send it to; the PDF is downloadable from the
customer's page, the staff's return page and the e-mail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from oms.models import Delivery, Notification
from oms.roles import Role
from orders import selectors as order_selectors
from orders.models import OrderLine
from orders.status_links import order_token
from shipping.models import Carrier, CarrierKind, Return
from shipping.services import return_labels
from tests.factories.payments import dispatch_pending
from tests.factories.shipping import RateFactory, ServiceLevelFactory
from tests.shipping.flow import place, ship

pytestmark = pytest.mark.django_db


class Generic:
    def __init__(self, server):
        self.server = server

    @property
    def script(self):
        return self.server.script

    @script.setter
    def script(self, value):
        self.server.script = value

    @property
    def made(self):
        return self.server.labels_made


@pytest.fixture(params=["generic", "postnl", "sendcloud"])
def any_carrier(request):
    if request.param == "generic":
        return request.getfixturevalue("parcel_carrier"), Generic(request.getfixturevalue("carrier_server"))
    return request.getfixturevalue(request.param), request.getfixturevalue(f"{request.param}_server")


def _path(order):
    return reverse("status:page", kwargs={"token": order_token(order)})


def ask_return(client, shipment, quantity=1, sku="MUG-RED"):
    """The customer's return request on their page; returns the return it made."""
    order = order_selectors.order_get(shipment.order_id)
    page = client.get(_path(order)).content.decode()
    key = page.split('name="request_key" value="', 1)[1].split('"', 1)[0]
    line = OrderLine.objects.get(order_id=order.pk, sku=sku)
    response = client.post(_path(order), {"request_key": key, f"qty-{line.pk}": str(quantity), "reason": "not_wanted"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Return.objects.get(order_id=order.pk)


def make_label(ret, limit=6):
    outcomes = []
    for _ in range(limit):
        outcome = return_labels.return_label_create(return_id=ret.pk).outcome
        outcomes.append(outcome)
        if outcome != "retry":
            break
        Delivery.objects.filter(kind=return_labels.RETURN_LABEL, key=str(ret.pk)).update(next_attempt_at=timezone.now())
    ret.refresh_from_db()
    return outcomes


def label_bytes(ret) -> bytes:
    with default_storage.open(ret.label_file.name, "rb") as handle:
        return handle.read()


@pytest.fixture
def shipped(customer, mug, ams, packer):
    def ship_with(carrier):
        shipment = ship(place(customer, ("MUG-RED", 2)), ams, packer)
        assert shipment.carrier_id == carrier.pk
        return shipment

    return ship_with


def test_return_label_through_each_adapter_follows_the_carriers_documented_request(
    client, shipped, any_carrier, customer, ams
):
    carrier, server = any_carrier
    shipment = shipped(carrier)
    ret = ask_return(client, shipment)
    assert (ret.label_status, ret.label_carrier_id) == ("requested", carrier.pk)
    # when the worker's try runs
    assert make_label(ret) == ["ready"]
    # then the return has the carrier's PDF and tracking number; one label made for it
    pdf = label_bytes(ret)
    assert pdf.startswith(b"%PDF") and ret.label_tracking_number and ret.label_tracking_number.encode() in pdf
    assert server.made == 2  # the parcel out and the return
    home = customer.addresses.first()
    if carrier.adapter == "generic":
        request = server.server.requests[-1]
        assert request["path"].endswith("/returns") and request["key"] == return_labels.label_key(ret)
        assert request["body"]["sender"]["postal_code"] == home.postal_code
        assert request["body"]["recipient"]["postal_code"] == ams.postal_code
    elif carrier.adapter == "sendcloud":
        parcel = next(p for p in server.parcels.values() if p.get("is_return"))
        assert parcel["from_postal_code"] == home.postal_code and parcel["postal_code"] == ams.postal_code
        assert parcel["external_reference"] == return_labels.label_key(ret) and parcel["from_email"] == customer.email
    else:
        labelled = server.labels[ret.label_tracking_number]
        assert labelled["ProductCodeDelivery"] == "2285"
        assert {"Characteristic": "152", "Option": "025"} in labelled["ProductOptions"]
        by_type = {a["AddressType"]: a for a in labelled["Addresses"]}
        assert by_type["02"]["Zipcode"] == home.postal_code.replace(" ", "")
        assert by_type["01"]["Zipcode"] == ams.postal_code.replace(" ", "")


def test_return_label_through_each_adapter_retries_errors_and_time_outs_and_makes_one(client, shipped, any_carrier):
    carrier, server = any_carrier
    shipment = shipped(carrier)
    ret = ask_return(client, shipment)
    server.script = ["error", "timeout", "error"]
    outcomes = make_label(ret)
    assert outcomes[-1] == "ready" and set(outcomes[:-1]) == {"retry"}
    assert server.made == 2
    # a task delivered again changes nothing and asks nobody
    assert return_labels.return_label_create(return_id=ret.pk).outcome == "skipped"
    assert server.made == 2


def test_a_refused_return_label_leaves_the_customer_the_address(client, shipped, any_carrier, settings):
    carrier, server = any_carrier
    shipment = shipped(carrier)
    ret = ask_return(client, shipment)
    server.script = ["refuse"]
    assert make_label(ret) == ["failed"]
    assert ret.label_status == "failed" and ret.label_error and not ret.label_file
    page = client.get(_path(ret.order)).content.decode()
    assert 'data-testid="return-no-label"' in page and settings.OMS_SELLER["street"] in page
    assert Delivery.objects.get(kind=return_labels.RETURN_LABEL, key=str(ret.pk)).state == "dead"


def test_sendcloud_with_wrong_credentials_is_refused_with_a_hint(client, shipped, sendcloud, sendcloud_server):
    shipment = shipped(sendcloud)
    ret = ask_return(client, shipment)
    Carrier.objects.filter(pk=sendcloud.pk).update(api_secret="wrong")
    assert make_label(ret) == ["failed"]
    assert "credentials" in ret.label_error and sendcloud_server.made == 1


def test_postnl_with_a_wrong_api_key_is_refused_with_a_hint(client, shipped, postnl, postnl_server):
    shipment = shipped(postnl)
    ret = ask_return(client, shipment)
    Carrier.objects.filter(pk=postnl.pk).update(api_key="wrong")
    assert make_label(ret) == ["failed"]
    assert "credentials" in ret.label_error and postnl_server.made == 1


def test_sendcloud_duplicate_submission_gets_the_parcel_already_made(client, shipped, sendcloud, sendcloud_server):
    shipment = shipped(sendcloud)
    ret = ask_return(client, shipment)
    sendcloud_server.script = ["duplicate"]  # another try's parcel with this reference appears first
    assert make_label(ret) == ["ready"]
    returns = [p for p in sendcloud_server.parcels.values() if p.get("is_return")]
    assert len(returns) == 1 and ret.label_tracking_number == returns[0]["tracking_number"]


def test_an_endpoint_without_returns_gives_the_address(client, shipped, parcel_carrier, carrier_server):
    carrier_server.returns = False
    ret = ask_return(client, shipped(parcel_carrier))
    assert make_label(ret) == ["failed"] and "404" in ret.label_error
    assert 'data-testid="return-no-label"' in client.get(_path(ret.order)).content.decode()


def test_a_carrier_without_returns_says_so_at_once(client, customer, mug, ams, packer):
    # a carrier booked by phone: our own labels, no API, so no return labels either
    by_phone = Carrier.objects.create(code="phone", name="Booked by phone", kind=CarrierKind.EXTERNAL)
    service = ServiceLevelFactory(carrier=by_phone, code="standard", name="Standard", transit_days=1)
    RateFactory(service=service, zone="nl", max_weight_grams=30_000, price=Decimal("6.95"))
    shipment = ship(place(customer, ("MUG-RED", 1)), ams, packer)
    ret = ask_return(client, shipment)
    assert ret.label_status == "unsupported"
    assert not Delivery.objects.filter(kind=return_labels.RETURN_LABEL).exists()
    page = client.get(_path(ret.order)).content.decode()
    assert "No label; send it to" in page or "Geen label; stuur het naar" in page


def test_end_to_end_the_customer_downloads_the_sendcloud_label_from_the_page(
    client, shipped, sendcloud, sendcloud_server, django_capture_on_commit_callbacks, role_client
):
    shipment = shipped(sendcloud)
    # when the customer asks for a return; the label's task runs after the commit (eager here)
    with django_capture_on_commit_callbacks(execute=True):
        ret = ask_return(client, shipment, quantity=2)
    ret.refresh_from_db()
    assert ret.label_status == "ready"
    # then the page links to the PDF, which is the carrier's label
    page = client.get(_path(ret.order)).content.decode()
    link = reverse("status:return_label", kwargs={"token": order_token(ret.order), "number": ret.number})
    assert f'href="{link}"' in page and ret.label_tracking_number in page
    response = client.get(link)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content)
    assert pdf.startswith(b"%PDF") and ret.label_tracking_number.encode() in pdf
    # another order's token cannot reach it, nor a made-up number
    assert client.get(link.replace(ret.number, "RT-999999")).status_code == 404
    # the staff's return page links to it too
    staff = role_client(Role.CUSTOMER_SERVICE)
    detail = staff.get(reverse("shipping:return_detail", args=[ret.pk])).content.decode()
    assert reverse("shipping:return_label", args=[ret.pk]) in detail
    assert staff.get(reverse("shipping:return_label", args=[ret.pk])).status_code == 200
    # and the customer's e-mail carries the download link
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_pending()
    notification = Notification.objects.get(kind=return_labels.LABEL_EMAIL)
    assert notification.status == "sent"
    (message,) = [m for m in mail.outbox if ret.number in m.subject]
    assert link in message.body


def test_sendcloud_return_without_the_customers_postcode_is_refused(client, shipped, sendcloud, sendcloud_server):
    shipment = shipped(sendcloud)
    ret = ask_return(client, shipment)
    order = ret.order
    order.shipping_address = {**order.shipping_address, "postal_code": ""}
    order.save(update_fields=["shipping_address"])
    assert make_label(ret) == ["failed"]
    assert "from_postal_code" in ret.label_error
