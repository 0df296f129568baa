"""Carrier endpoints never point into our own network (issue 14 §2, SSRF): https only, every
resolved address public, checked when the carrier is saved and again on the connection made."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from shipping import endpoints
from shipping.models import Carrier
from tests.shipping.flow import hand_off, pack, place
from tests.shipping.test_views import CARRIER_POST

pytestmark = pytest.mark.django_db


def _resolving_to(monkeypatch, *addresses: str):
    def fake(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)  # what oms.outbound.resolve asks


@pytest.mark.parametrize(
    "url,resolved,message",
    [
        ("http://carrier.nl/api", ["93.184.216.34"], "must use https"),
        ("ftp://carrier.nl/api", ["93.184.216.34"], "must be an https:// URL"),
        ("https://127.0.0.1:8000/", ["127.0.0.1"], "127.0.0.1 is a loopback address"),
        ("https://metadata.internal/", ["169.254.169.254"], "169.254.169.254 is a link-local address"),
        ("https://intranet.corp/", ["10.0.0.5"], "10.0.0.5 is a private address"),
        ("https://[::1]/", ["::1"], "::1 is a loopback address"),
        ("https://mapped.corp/", ["::ffff:192.168.1.1"], "is a private address"),
        # one public and one private address: every address must be public
        ("https://split.carrier.nl/", ["93.184.216.34", "192.168.0.10"], "192.168.0.10 is a private address"),
    ],
)
def test_carrier_form_refuses_an_endpoint_into_our_network(role_client, monkeypatch, url, resolved, message):
    _resolving_to(monkeypatch, *resolved)
    response = role_client("warehouse").post(reverse("shipping:carrier_new"), CARRIER_POST | {"api_endpoint": url})
    assert response.status_code == 200 and message in response.content.decode()
    assert not Carrier.objects.exists()


def test_carrier_form_takes_a_public_https_endpoint(role_client, monkeypatch):
    _resolving_to(monkeypatch, "93.184.216.34")
    post = CARRIER_POST | {"api_endpoint": "https://api.carrier.nl/v1"}
    response = role_client("warehouse").post(reverse("shipping:carrier_new"), post)
    assert response.status_code == 302 and Carrier.objects.get().api_endpoint == "https://api.carrier.nl/v1"


def test_the_setting_allows_a_local_carrier(role_client, settings):
    settings.OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS = True
    post = CARRIER_POST | {"api_endpoint": "http://127.0.0.1:8999/v1"}
    assert role_client("warehouse").post(reverse("shipping:carrier_new"), post).status_code == 302


def test_hand_off_refuses_a_stored_endpoint_into_our_network_at_call_time(
    customer, mug, ams, packer, parcel_carrier, carrier_server, settings
):
    # given a carrier saved while the setting allowed it (or written around the form)
    shipment = pack(place(customer, ("MUG-RED", 1)), ams, packer)
    settings.OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS = False
    # when
    result = hand_off(shipment)
    # then the carrier is never called and a person sees why
    assert result.outcome == "failed" and "must use https" in result.message
    assert carrier_server.requests == []


def test_the_connection_itself_is_checked(monkeypatch, settings):
    """A name that resolved to a public address when checked but connects to a private one
    (DNS rebinding) is refused on the connected socket."""

    class Socket:
        def getpeername(self):
            return ("10.1.2.3", 443)

        def close(self):
            self.closed = True

    with pytest.raises(endpoints.EndpointRefused, match="10.1.2.3 is a private address"):
        endpoints._check_peer(Socket())
