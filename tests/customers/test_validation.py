"""The input rules on their own (no database): what is accepted, how it is normalized, and the
code and message a wrong value gets."""

import pytest

from customers.services import (
    address_clean,
    clean_coc_number,
    clean_email,
    clean_phone,
    clean_postal_code,
    clean_vat_id,
)
from customers.services.validation import InvalidInput, clean_house_number
from oms.errors import ValidationFailed


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("3511 AB", "3511 AB"), ("3511ab", "3511 AB"), (" 1012  lg ", "1012 LG"), ("9999ZZ", "9999 ZZ")],
)
def test_clean_postal_code_normalizes_dutch_postcodes(raw, stored):
    assert clean_postal_code(raw, "NL") == stored


@pytest.mark.parametrize("raw", ["3511", "0511 AB", "3511 SS", "3511 SA", "35111 AB", "AB 3511", "3511-AB1"])
def test_clean_postal_code_refuses_what_is_no_dutch_postcode(raw):
    with pytest.raises(ValidationFailed) as caught:
        clean_postal_code(raw, "NL")
    assert caught.value.code == "invalid_postal_code"
    assert "3511 AB" in caught.value.message


def test_clean_postal_code_accepts_foreign_formats_outside_nl():
    assert clean_postal_code("10115", "DE") == "10115"
    assert clean_postal_code("d02 x285", "IE") == "D02 X285"
    with pytest.raises(ValidationFailed):
        clean_postal_code("<script>", "DE")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("NL000099998B57", "NL000099998B57"),
        ("nl 0000.99998.b57", "NL000099998B57"),
        ("BE 0403.170.701", "BE0403170701"),
        ("DE136695976", "DE136695976"),
        ("NL002455799B11", "NL002455799B11"),  # the btw-id of a sole trader since 2020 (mod 97, not the 11-test)
        ("BE0403019261", "BE0403019261"),
        ("", ""),
    ],
)
def test_clean_vat_id_checks_and_compacts(raw, stored):
    assert clean_vat_id(raw) == stored


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("NL000099998B58", "check digits"),
        ("NL002455799B12", "check digits"),
        ("BE0403019262", "check digits"),
        ("DE136695977", "check digits"),
        ("XX123456789", "EU country code"),
        ("NL12", "Not a valid EU VAT id"),
        ("12345678", "EU country code"),
    ],
)
def test_clean_vat_id_explains_what_is_wrong(raw, message):
    with pytest.raises(ValidationFailed) as caught:
        clean_vat_id(raw)
    assert caught.value.code == "invalid_vat_id"
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("raw", "stored"), [("12345678", "12345678"), ("1234 5678", "12345678"), ("12.34.56.78", "12345678")]
)
def test_clean_coc_number_keeps_eight_digits(raw, stored):
    assert clean_coc_number(raw) == stored


@pytest.mark.parametrize("raw", ["1234567", "123456789", "1234567A", "KVK12345678"])
def test_clean_coc_number_refuses_other_lengths(raw):
    with pytest.raises(ValidationFailed) as caught:
        clean_coc_number(raw)
    assert caught.value.code == "invalid_coc_number"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("06 12345678", "+31612345678"),
        ("06-1234 5678", "+31612345678"),
        ("020 123 4567", "+31201234567"),
        ("+32 470 12 34 56", "+32470123456"),
        ("0049 151 23456789", "+4915123456789"),
        ("", ""),
    ],
)
def test_clean_phone_reads_dutch_numbers_without_country_code(raw, stored):
    assert clean_phone(raw) == stored


@pytest.mark.parametrize("raw", ["12345", "06 1234", "phone me", "+31 6 1234567890", "0900"])
def test_clean_phone_refuses_numbers_that_cannot_exist(raw):
    with pytest.raises(ValidationFailed) as caught:
        clean_phone(raw)
    assert caught.value.code == "invalid_phone"


def test_clean_email_lowercases_and_checks():
    assert clean_email(" Anna@Example.NL ") == "anna@example.nl"
    with pytest.raises(ValidationFailed) as caught:
        clean_email("anna@")
    assert caught.value.code == "invalid_email"


@pytest.mark.parametrize(
    ("number", "addition", "stored"),
    [
        ("12", "", ("12", "")),
        ("12A", "", ("12", "A")),
        ("12 a", "", ("12", "A")),
        ("12-3", "", ("12", "3")),
        ("12/ii", "", ("12", "II")),
        ("7", "bis", ("7", "BIS")),
    ],
)
def test_clean_house_number_splits_the_addition(number, addition, stored):
    assert clean_house_number(number, addition, "NL") == stored


@pytest.mark.parametrize(("number", "addition"), [("", ""), ("A12", ""), ("12A", "B"), ("123456", "")])
def test_clean_house_number_refuses_non_dutch_numbers(number, addition):
    with pytest.raises(ValidationFailed) as caught:
        clean_house_number(number, addition, "NL")
    assert caught.value.code == "invalid_house_number"


def test_address_clean_reports_every_wrong_field_with_its_path():
    with pytest.raises(InvalidInput) as caught:
        address_clean(street="", house_number="x", postal_code="12", city="Utrecht", field_prefix="addresses.0.")
    fields = {(e.field, e.code) for e in caught.value.errors}
    assert fields == {
        ("addresses.0.street", "required"),
        ("addresses.0.postal_code", "invalid_postal_code"),
        ("addresses.0.house_number", "invalid_house_number"),
    }
    assert isinstance(caught.value, ValidationFailed)


def test_address_clean_normalizes_a_dutch_address():
    assert address_clean(
        street=" Oudegracht ", house_number="12a", postal_code="3511ab", city="Utrecht", country="nl"
    ) == {
        "street": "Oudegracht",
        "house_number": "12",
        "house_number_addition": "A",
        "postal_code": "3511 AB",
        "city": "Utrecht",
        "country": "NL",
    }


def test_address_clean_refuses_an_unknown_country():
    with pytest.raises(ValidationFailed) as caught:
        address_clean(street="Main St", house_number="1", postal_code="12345", city="X", country="XX")
    assert (caught.value.field, caught.value.code) == ("country", "invalid_country")
