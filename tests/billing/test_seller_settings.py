"""The seller's details printed on every invoice pass the same checks as a customer's
(python-stdnum: the IBAN's mod-97, the btw-id's check digits, KvK's eight digits)."""

from django.conf import settings
from stdnum import iban

from customers.services import clean_coc_number, clean_vat_id


def test_the_configured_seller_iban_vat_id_and_kvk_are_valid():
    seller = settings.OMS_SELLER
    assert iban.validate(seller["iban"]) == seller["iban"].replace(" ", "")
    assert clean_vat_id(seller["vat_id"]) == seller["vat_id"]
    assert clean_coc_number(seller["kvk"]) == seller["kvk"]


def test_iban_checks_catch_a_typo_and_a_missing_digit():
    assert not iban.is_valid("NL91ABNA0417164301")
    assert not iban.is_valid("NL91ABNA041716430")
    assert iban.is_valid("DE89 3704 0044 0532 0130 00")
