"""Choice labels speak the request's language on pages; what services write stays English.

Model choice labels are lazy translations, so ``get_status_display()`` reads Dutch while a
Dutch page is being served. Business messages (``oms.errors``, which the API returns as
problem+json) and the records services write (order timeline, journal memos, stock movement
reasons) are English texts: they take the English label through :func:`english`.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import Promise


def english(text: str | Promise) -> str:
    """``text`` (a lazy label) in English, whatever language is active."""
    with translation.override("en"):
        return str(text)
