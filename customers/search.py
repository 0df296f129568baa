"""The text customers are found by, and how a typed query becomes search terms (pure functions).

Each customer keeps one lower-cased, accent-folded ``search_document`` with its number, names,
e-mail, phone (international and national digits), VAT id, KvK number and postcodes (``3511 ab``
and ``3511ab``). A trigram GIN index on it answers ``LIKE '%term%'`` for every term at once, so
search as you type stays one index scan however many fields it looks at.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import phonenumbers

POSTCODE_QUERY = re.compile(r"^\d{4}\s*[a-z]{2}$")
PHONE_QUERY = re.compile(r"^\+?[\d\s\-().]+$")
MAX_TERMS = 6
# Trigrams need three characters: a query whose every term is shorter cannot use the index and
# scans every customer (figures in docs/ARCHITECTURE.md).
MIN_TERM_LENGTH = 3


def fold(text: str) -> str:
    """Lower case without accents: ``Zoë`` and ``zoe`` find each other."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _phone_variants(phone) -> list[str]:
    raw = str(getattr(phone, "as_e164", phone) or "")
    if not raw:
        return []
    try:
        parsed = phonenumbers.parse(raw, "NL")
    except phonenumbers.NumberParseException:
        return [re.sub(r"[^\d+]", "", raw)]
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return [phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), re.sub(r"\D", "", national)]


def _postcode_variants(postcodes: Iterable[str]) -> list[str]:
    variants: list[str] = []
    for code in postcodes:
        if code:
            variants += [code, code.replace(" ", "")]
    return variants


def build_search_document(
    *,
    number: str,
    name: str = "",
    company_name: str = "",
    email: str = "",
    phone="",
    vat_id: str = "",
    coc_number: str = "",
    postcodes: Iterable[str] = (),
) -> str:
    parts = [number, name, company_name, email, *_phone_variants(phone), vat_id, coc_number]
    parts += _postcode_variants(postcodes)
    return fold(" ".join(dict.fromkeys(p for p in parts if p)))


def search_terms(query: str) -> list[str]:
    """The substrings a customer's document must all contain.

    A postcode (``3511 AB``, ``3511ab``) or a phone number (``06 1234 5678``, ``+31 6-12345678``)
    is compacted into one term, because the document holds them without spaces too; anything
    else is split into words that must all occur (``jan vries`` finds Jan de Vries).
    """
    text = fold(query).strip()
    if not text:
        return []
    if POSTCODE_QUERY.match(text):
        return [text.replace(" ", "")]
    if PHONE_QUERY.match(text) and sum(ch.isdigit() for ch in text) >= 3:
        compact = re.sub(r"[^\d+]", "", text)
        return [compact]
    return list(dict.fromkeys(text.split()))[:MAX_TERMS]


def is_searchable(terms: list[str]) -> bool:
    """True when at least one term is long enough for the trigram index."""
    return any(len(term) >= MIN_TERM_LENGTH for term in terms)
