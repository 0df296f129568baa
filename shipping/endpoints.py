"""Carrier API endpoints are URLs a warehouse user types and the server calls, and the carrier's
error text is shown back: unchecked, that is a way to read the internal network (SSRF). An
endpoint must be ``https`` and every address its host resolves to must be public: no private,
loopback, link-local (the cloud metadata service), multicast, reserved or unspecified address.
``settings.OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS`` lifts both rules (tests and a carrier simulator
on this machine).

It is checked when the carrier is saved (``shipping.services.carriers``: a form error) and again at every
call, on the address actually connected to (``opener()``), so a name that resolves elsewhere
later (DNS rebinding) or a redirect to an internal address is refused too.
"""

from __future__ import annotations

import http.client
import urllib.request
from urllib.parse import urlparse

from django.conf import settings

from oms.outbound import first_refusal, refused_address, resolve


class EndpointRefused(ValueError):
    pass


def _allow_local() -> bool:
    return bool(getattr(settings, "OMS_CARRIER_ALLOW_LOCAL_ENDPOINTS", False))


def check_url(url: str) -> None:
    """Raise ``EndpointRefused`` unless ``url`` is https on a host whose every address is public."""
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise EndpointRefused("The API endpoint must be an https:// URL.")
    if _allow_local():
        return
    if parsed.scheme != "https":
        raise EndpointRefused("The API endpoint must use https.")
    try:
        addresses = resolve(parsed.hostname, parsed.port or 443)
    except (OSError, UnicodeError) as exc:
        raise EndpointRefused(f"The host {parsed.hostname} cannot be resolved.") from exc
    reason = first_refusal(addresses)
    if reason:
        raise EndpointRefused(f"The API endpoint may not point into our own network ({reason}).")


def _check_peer(sock) -> None:
    if _allow_local():
        return
    reason = refused_address(sock.getpeername()[0])
    if reason:
        sock.close()
        raise EndpointRefused(f"The carrier's address is not allowed ({reason}).")


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        super().connect()
        _check_peer(self.sock)


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        if not _allow_local():
            raise EndpointRefused("The API endpoint must use https.")
        super().connect()


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


def opener() -> urllib.request.OpenerDirector:
    """An opener whose every connection (redirects included) is checked where it lands."""
    return urllib.request.build_opener(_HTTPSHandler(), _HTTPHandler())
