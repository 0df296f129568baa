"""customers services: every change to customers and addresses goes through these functions.

Other apps import from here: ``from customers.services import customer_find_or_create_b2c``.
"""

from customers.services.addresses import ADDRESS_FIELDS, address_add, address_set_default, address_update
from customers.services.customers import (
    UPDATABLE_FIELDS,
    customer_create,
    customer_find_or_create_b2c,
    customer_set_credit_hold,
    customer_update,
)
from customers.services.ibans import customer_iban_add, validate_iban
from customers.services.validation import (
    InvalidInput,
    address_clean,
    clean_coc_number,
    clean_email,
    clean_phone,
    clean_postal_code,
    clean_vat_id,
)

__all__ = [
    "ADDRESS_FIELDS",
    "UPDATABLE_FIELDS",
    "InvalidInput",
    "address_add",
    "address_clean",
    "address_set_default",
    "address_update",
    "clean_coc_number",
    "clean_email",
    "clean_phone",
    "clean_postal_code",
    "clean_vat_id",
    "customer_create",
    "customer_find_or_create_b2c",
    "customer_iban_add",
    "customer_set_credit_hold",
    "customer_update",
    "validate_iban",
]
