"""``reverse`` for the one-argument URLs made on every API order: its ``Location`` and the
customer's status link.

Django's ``reverse`` matches the name's candidate patterns, substitutes and quotes the argument
for each call. For a route like ``orders/<str:number>/`` and an argument that needs no quoting,
the result is the same text around the argument every time, so it is worked out once (by
``reverse`` itself, with a marker as the argument) per script prefix and URLconf, and the
argument put in between. Anything else (characters that ``reverse`` would quote, a route whose
converter refuses the marker) goes to ``reverse``. tests/oms/test_links.py holds both to the same
result.
"""

from __future__ import annotations

import re
from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# what a ``str`` converter takes and ``reverse`` leaves as it is (RFC 3986 unreserved characters)
_PLAIN = re.compile(r"[A-Za-z0-9._~-]+")
_MARKER = "oms0link0marker"


def reverse_one(viewname: str, name: str, value: str) -> str:
    """``reverse(viewname, kwargs={name: value})``."""
    parts = _parts(viewname, name, get_script_prefix(), get_urlconf()) if _PLAIN.fullmatch(value) else None
    if parts is None:
        return reverse(viewname, kwargs={name: value})
    return parts[0] + value + parts[1]


@cache
def _parts(viewname: str, name: str, prefix: str, urlconf) -> tuple[str, str] | None:
    try:
        url = reverse(viewname, kwargs={name: _MARKER})
    except NoReverseMatch:
        return None
    head, marker, tail = url.partition(_MARKER)
    return (head, tail) if marker and _MARKER not in tail else None


@receiver(setting_changed)
def _urls_changed(setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _parts.cache_clear()
