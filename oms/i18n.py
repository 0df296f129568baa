"""Choice labels speak the request's language on pages; what services write stays English.

Model choice labels are lazy translations, so ``get_status_display()`` reads Dutch while a
Dutch page is being served. Business messages (``oms.errors``, which the API returns as
problem+json) and the records services write (order timeline, journal memos, stock movement
reasons) are English texts: they take the English label through :func:`english`. An order's
timeline row also keeps the pieces its text was made of (:func:`part`, :func:`join`), so that
a page shows it in the reader's language.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import Promise


def english(text: str | Promise) -> str:
    """``text`` (a lazy label) in English, whatever language is active."""
    if translation.get_language() == "en":  # an API request's language: nothing to switch
        return str(text)
    with translation.override("en"):
        return str(text)


# --- Records in the reader's language -------------------------------------------------------------
# A record a service writes (an order's timeline row) keeps its English text for the API, logs and
# search, and beside it the parts it was made of, so that a page shows it in the reader's language
# and a later translation applies to old rows too. A part is a msgid (marked ``gettext_noop`` so
# that makemessages finds it) with ``%(name)s`` parameters; a parameter may itself be parts
# (``join``), for a list such as the lines changed. A count picks between two msgids, both marked,
# each translated as a whole (English's and Dutch's one rule: 1 is singular).


def part(msgid: str, **params) -> dict:
    """One translatable piece of a record: ``msgid % params`` in the reader's language."""
    return {"id": msgid, "params": params}


def part_n(singular: str, plural: str, count: int, **params) -> dict:
    """``singular`` when ``count`` is 1, else ``plural`` (``count`` is a parameter too)."""
    return part(singular if count == 1 else plural, count=count, **params)


def join(parts: list[dict], sep: str = " ") -> dict:
    """Pieces shown one after the other, separated by ``sep``."""
    return {"parts": parts, "sep": sep}


def render(spec: dict) -> str:
    """The text of ``part``/``join`` pieces in the active language (a bad spec: raises
    ``KeyError``, ``TypeError`` or ``ValueError``)."""
    if "parts" in spec:
        return spec.get("sep", " ").join(render(piece) for piece in spec["parts"])
    params = {
        name: render(value) if isinstance(value, dict) else value for name, value in spec.get("params", {}).items()
    }
    return translation.gettext(spec["id"]) % params  # a msgid is a format string: "%%" for a percent sign


def render_english(spec: dict) -> str:
    if translation.get_language() == "en":
        return render(spec)
    with translation.override("en"):
        return render(spec)
