"""Shipping zones and postcodes: where a parcel goes decides which rates apply."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _


class Zone(models.TextChoices):
    NL = "nl", _("Netherlands")
    BE_LU = "be_lu", _("Belgium and Luxembourg")
    EU = "eu", _("Rest of the EU")
    WORLD = "world", _("Rest of the world")


# EU member states by ISO 3166-1 alpha-2 (Greece is GR here, not the VAT prefix EL).
EU_COUNTRIES = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())

_FIRST_NUMBER = re.compile(r"\d+")


def zone_for(country: str) -> Zone:
    country = (country or "").strip().upper()
    if country == "NL":
        return Zone.NL
    if country in ("BE", "LU"):
        return Zone.BE_LU
    if country in EU_COUNTRIES:
        return Zone.EU
    return Zone.WORLD


def postcode_number(postal_code: str) -> int | None:
    """The area number of a postcode (``3511`` of ``3511 AB``, ``2000`` of ``B-2000``), or None.

    Dutch, Belgian, German and most continental postcodes are or start with their area number,
    which is what a delivery region is drawn on.
    """
    match = _FIRST_NUMBER.search(postal_code or "")
    return int(match.group()) if match else None
