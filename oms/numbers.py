"""Numbers as people type them in the Netherlands and elsewhere.

``normalize_decimal`` turns what was typed into Python's notation, so that "50,00" and "50.00"
are both fifty. The rules, chosen so that no input means two things:

* a single comma is the decimal separator ("50,00", "0,5");
* a single dot is the decimal separator too ("50.00": what number inputs, the API and scanners
  send), so "4.988" is four point nine; type "4988" or "4.988,00" for the thousands;
* with both, the last one is the decimal separator and the other groups thousands in threes
  ("1.234,56", "1,234.56"); dots alone as thousands only in two groups or more ("1.234.567");
* anything else ("1,2,3", "12.34.5") is left as typed, for the field to call invalid.

``format_decimal_input`` is the other way: a value for a form field, with a decimal comma when the
active language is Dutch ("107,85") and without thousands separators (easy to edit).
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import get_language

_SPACES = re.compile(r"[\s\u00a0\u202f€]")


def plain_int(text: str | None, digits: int = 18) -> int | None:
    """``text`` as a whole number when it is one to ``digits`` ASCII digits (what a form field, a
    query parameter or a path carries), else None.

    ``str.isdigit`` is not the test: it is true for "¹" and "²", which ``int`` then refuses (a
    server error), and for other scripts' digits ("٣"), which ``int`` reads; and a number of 19
    digits no longer fits a database id."""
    text = text or ""
    if 0 < len(text) <= digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def normalize_decimal(text: str) -> str:
    raw = _SPACES.sub("", text or "")
    sign = ""
    if raw[:1] in "+-" and raw:
        sign, raw = ("-" if raw[0] == "-" else ""), raw[1:]
    commas, dots = raw.count(","), raw.count(".")
    if commas and dots:
        decimal_sep = "," if raw.rfind(",") > raw.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        whole, _, fraction = raw.rpartition(decimal_sep)
        if not re.fullmatch(rf"\d{{1,3}}(\{group_sep}\d{{3}})+", whole) or not fraction.isdigit():
            return text
        return f"{sign}{whole.replace(group_sep, '')}.{fraction}"
    if commas:
        return f"{sign}{raw.replace(',', '.')}" if commas == 1 else text
    if dots > 1:
        return f"{sign}{raw.replace('.', '')}" if re.fullmatch(r"\d{1,3}(\.\d{3})+", raw) else text
    return f"{sign}{raw}"


def dutch() -> bool:
    return (get_language() or "").lower().startswith("nl")


def format_decimal_input(value, places: int = 2) -> str:
    """``Decimal("107.85")`` -> "107,85" in Dutch, "107.85" otherwise; "" for None/""."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    text = f"{number:.{places}f}"
    return text.replace(".", ",") if dutch() else text
