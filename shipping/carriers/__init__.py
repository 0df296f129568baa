"""Carrier adapters behind one interface (``shipping.carriers.base``), chosen per carrier by its
``adapter`` field: ``generic`` (the JSON protocol of ``shipping.adapters``, our own labels, the
offline sandbox), ``postnl`` (PostNL's REST API) or ``sendcloud`` (Sendcloud's v2 API).

Credentials come from the carrier record (``api_key``, ``api_secret``; never shown back by the
screens), account details from its ``options``, and base URLs from settings
(``OMS_POSTNL_API_URL``, ``OMS_SENDCLOUD_API_URL``, ``OMS_SENDCLOUD_SERVICE_POINTS_URL``) unless
the carrier has its own API endpoint. A PostNL or Sendcloud carrier whose endpoint is on a
sandbox domain (``.example``, ``.test``, ``.invalid``) answers from the offline sandbox, so the
demo needs no internet.
"""

from __future__ import annotations

from shipping.adapters import is_sandbox
from shipping.carriers import generic, postnl, sendcloud
from shipping.carriers.base import CarrierAdapter

ADAPTERS = {"generic": generic.for_carrier, "postnl": postnl.PostNL, "sendcloud": sendcloud.Sendcloud}
# Carriers whose tracking is asked for (``shipping.services.tracking_poll``) rather than pushed.
POLLING_ADAPTERS = ("postnl",)
OPTION_CHECKS = {"postnl": postnl.check_options, "sendcloud": sendcloud.check_options}


def adapter_for(carrier) -> CarrierAdapter:
    """The adapter for a ``Carrier``."""
    kind = getattr(carrier, "adapter", "generic") or "generic"
    if kind != "generic" and carrier.api_endpoint and is_sandbox(carrier.api_endpoint):
        return generic.Sandbox(carrier.code)
    return ADAPTERS[kind](carrier)


def missing_options(adapter: str, options: dict) -> list[str]:
    """The account options an adapter needs and ``options`` lacks."""
    check = OPTION_CHECKS.get(adapter)
    return check(options or {}) if check else []
