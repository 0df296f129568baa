"""Input rules for customers and addresses: Dutch postcodes, EU VAT ids, KvK numbers, phones.

Each ``clean_*`` returns the normalized value or raises ``ValidationFailed`` (code + field).
``Collector`` gathers several problems so a form or API answer shows them all at once.
Orders may call ``address_clean`` for the address snapshots they take.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.nl import postcode as nl_postcode

from customers.models import AddressKind, CustomerKind, Language, PaymentMethod
from oms.errors import MultipleErrors, ValidationFailed
from oms.money import quantize

MAX_CREDIT_LIMIT = Decimal("9999999999.99")
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)
# 12, 12A, 12 a, 12-3, 12/II: an addition starting with a digit needs a separator ("123" is a number).
_HOUSE_NUMBER = re.compile(r"^(\d{1,5})(?:\s*([A-Za-z][A-Za-z0-9]{0,5})|\s*[-/ ]\s*([A-Za-z0-9]{1,6}))?$")
_FOREIGN_POSTCODE = re.compile(r"^[A-Z0-9][A-Z0-9 \-]{1,10}$")


class InvalidInput(MultipleErrors, ValidationFailed):
    """Several fields are wrong at once; still a ``ValidationFailed`` for callers that catch that."""


class Collector:
    """Run cleaners, keep their values, and remember every failure with its field path."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.errors: list[ValidationFailed] = []

    def clean(self, field: str, cleaner: Callable[..., Any], *args, **kwargs) -> Any:
        try:
            return cleaner(*args, **kwargs)
        except ValidationFailed as exc:
            exc.field = f"{self.prefix}{field}"
            self.errors.append(exc)
            return None

    def fail(self, field: str, message: str, code: str) -> None:
        self.errors.append(ValidationFailed(message, code=code, field=f"{self.prefix}{field}"))

    def extend(self, other: Collector) -> None:
        self.errors.extend(other.errors)

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InvalidInput(self.errors)


def _invalid(message: str, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed(message, code=code)


def clean_text(value, *, max_length: int, required: bool = False, label: str = "This field") -> str:
    text = ("" if value is None else str(value)).strip()
    if required and not text:
        raise _invalid(f"{label} is required.", "required")
    if len(text) > max_length:
        raise _invalid(f"{label} has at most {max_length} characters.", "max_length")
    return text


def clean_choice(value, choices: type, *, label: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise _invalid(f"{label} must be one of: {allowed}.", "invalid_choice")
    return str(value)


def clean_email(value) -> str:
    email = clean_text(value, max_length=254, label="E-mail")
    if not email:
        return ""
    try:
        validate_email(email)
    except DjangoValidationError:
        raise _invalid("Enter a valid e-mail address, e.g. anna@example.nl.", "invalid_email") from None
    # Stored lower-case so that look-ups and the case-insensitive unique index agree.
    return email.lower()


def clean_phone(value, region: str = "NL") -> str:
    """E.164 (``+31612345678``); a number without a country code is read as Dutch."""
    text = str(getattr(value, "as_e164", value) or "").strip()
    if not text:
        return ""
    message = "Enter a valid phone number, e.g. 06 12345678 or +32 470 12 34 56."
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise _invalid(message, "invalid_phone") from None
    if not phonenumbers.is_valid_number(parsed):
        raise _invalid(message, "invalid_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def clean_vat_id(value) -> str:
    """An EU VAT id, checked with its country's check digits, compact (``NL000099998B57``)."""
    text = ("" if value is None else str(value)).strip()
    if not text:
        return ""
    try:
        return eu_vat.validate(text)
    except stdnum_errors.InvalidChecksum:
        raise _invalid("The check digits of this VAT id are wrong.", "invalid_vat_id") from None
    except stdnum_errors.InvalidComponent:
        raise _invalid("Start the VAT id with an EU country code, e.g. NL or BE.", "invalid_vat_id") from None
    except stdnum_errors.ValidationError:
        raise _invalid("Not a valid EU VAT id (e.g. NL000099998B57).", "invalid_vat_id") from None


def clean_coc_number(value) -> str:
    """A KvK (Dutch chamber of commerce) number: eight digits; spaces and dots are dropped."""
    text = re.sub(r"[\s.]", "", "" if value is None else str(value))
    if not text:
        return ""
    if not re.fullmatch(r"\d{8}", text):
        raise _invalid("A KvK number has eight digits, e.g. 12345678.", "invalid_coc_number")
    return text


def clean_country(value) -> str:
    code = ("" if value is None else str(value)).strip().upper()
    if code not in COUNTRIES:
        raise _invalid("Use a two-letter country code, e.g. NL, BE or DE.", "invalid_country")
    return code


def clean_postal_code(value, country: str) -> str:
    text = ("" if value is None else str(value)).strip().upper()
    if not text:
        raise _invalid("Postcode is required.", "required")
    if country == "NL":
        try:
            return nl_postcode.validate(text)
        except stdnum_errors.ValidationError:
            message = "A Dutch postcode is four digits and two letters, e.g. 3511 AB."
            raise _invalid(message, "invalid_postal_code") from None
    text = re.sub(r"\s+", " ", text)
    if not _FOREIGN_POSTCODE.match(text):
        raise _invalid("This postcode has characters a postcode cannot have.", "invalid_postal_code")
    return text


def clean_house_number(number, addition, country: str) -> tuple[str, str]:
    """Dutch house numbers are digits with an optional addition: ``12A`` -> ``("12", "A")``."""
    number = ("" if number is None else str(number)).strip()
    addition = ("" if addition is None else str(addition)).strip().upper()
    if country != "NL":
        return clean_text(number, max_length=10, label="House number"), clean_text(addition, max_length=10)
    match = _HOUSE_NUMBER.match(number)
    glued = (match.group(2) or match.group(3) or "").upper() if match else ""
    if not match or (glued and addition):
        message = "A Dutch house number is digits with an optional addition, e.g. 12 or 12A."
        raise _invalid(message, "invalid_house_number")
    if len(addition) > 6:
        raise _invalid("The addition has at most 6 characters.", "max_length")
    return match.group(1), (glued or addition)


def clean_payment_terms(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise _invalid("Payment terms are a whole number of days.", "invalid") from None
    if not 0 <= days <= 365:
        raise _invalid("Payment terms are between 0 and 365 days.", "out_of_range")
    return days


def clean_credit_limit(value) -> Decimal:
    try:
        amount = quantize(Decimal(0) if value in (None, "") else value)
    except (TypeError, ValueError, InvalidOperation):
        raise _invalid("Enter an amount in euros, e.g. 5000.00.", "invalid") from None
    if not Decimal(0) <= amount <= MAX_CREDIT_LIMIT:
        raise _invalid("The credit limit is zero or more.", "out_of_range")
    return amount


def address_clean(
    *,
    street,
    house_number,
    postal_code,
    city,
    country="NL",
    house_number_addition="",
    field_prefix: str = "",
) -> dict[str, str]:
    """A checked, normalized address (postcode ``1234 AB`` in NL), or ``ValidationFailed``
    with fields like ``addresses.0.postal_code`` when ``field_prefix="addresses.0."``."""
    errors = Collector(field_prefix)
    values = address_fields(errors, street, house_number, house_number_addition, postal_code, city, country)
    errors.raise_if_any()
    return values


def address_fields(errors: Collector, street, house_number, addition, postal_code, city, country) -> dict:
    """Clean the address fields into ``errors`` (shared by address_clean and nested addresses)."""
    country = errors.clean("country", clean_country, country or "NL")
    street = errors.clean("street", clean_text, street, max_length=200, required=True, label="Street")
    city = errors.clean("city", clean_text, city, max_length=100, required=True, label="City")
    postal = errors.clean("postal_code", clean_postal_code, postal_code, country) if country else None
    house = errors.clean("house_number", clean_house_number, house_number, addition, country) if country else None
    number, addition = house or ("", "")
    return {
        "street": street,
        "house_number": number,
        "house_number_addition": addition,
        "postal_code": postal,
        "city": city,
        "country": country,
    }


def clean_address_kind(value) -> str:
    return clean_choice(value, AddressKind, label="Address kind")


# --- customer fields -------------------------------------------------------------------------------

_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "kind": lambda v: clean_choice(v, CustomerKind, label="Kind"),
    "name": lambda v: clean_text(v, max_length=200, required=True, label="Name"),
    "company_name": lambda v: clean_text(v, max_length=200, label="Company name"),
    "email": clean_email,
    "phone": clean_phone,
    "vat_id": clean_vat_id,
    "coc_number": clean_coc_number,
    "payment_terms_days": clean_payment_terms,
    "credit_limit": clean_credit_limit,
    "preferred_payment_method": lambda v: clean_choice(v, PaymentMethod, label="Payment method"),
    "language": lambda v: clean_choice(v, Language, label="Language"),
    "notes": lambda v: clean_text(v, max_length=10_000, label="Notes"),
    "external_ref": lambda v: clean_text(v, max_length=100, label="External reference") or None,
}
CUSTOMER_FIELDS = tuple(_CLEANERS)


def clean_customer_fields(errors: Collector, values: dict[str, Any]) -> dict[str, Any]:
    """Clean the given customer fields (any subset of ``CUSTOMER_FIELDS``) into ``errors``."""
    return {field: errors.clean(field, _CLEANERS[field], value) for field, value in values.items()}


def check_customer_rules(errors: Collector, customer: dict[str, Any]) -> None:
    """Rules across fields, on the customer as it will be stored."""
    b2b = customer.get("kind") == CustomerKind.B2B
    if b2b and not customer.get("company_name"):
        errors.fail("company_name", "A business customer needs a company name.", "required")
    if customer.get("preferred_payment_method") == PaymentMethod.ON_ACCOUNT and not b2b:
        errors.fail(
            "preferred_payment_method", "Paying on account is for business customers only.", "on_account_requires_b2b"
        )
