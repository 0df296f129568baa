"""Use cases on a customer's addresses: add, correct, make default.

Every one of them locks the customer row first, so that two changes to one customer's defaults
apply one after the other; the partial unique index (one default per customer and kind) is the
backstop. The old default is cleared before the new one is set because that index is checked
row by row, not at commit.
"""

from __future__ import annotations

from django.db import transaction

from customers.models import Address, Customer
from customers.services.customers import acting, lock_customer, refresh_search_document
from customers.services.validation import Collector, address_fields, clean_address_kind
from oms.errors import NotFound

ADDRESS_FIELDS = ("street", "house_number", "house_number_addition", "postal_code", "city", "country")


def address_add(
    *,
    customer: Customer,
    kind: str,
    street: str,
    house_number: str,
    postal_code: str,
    city: str,
    country: str = "NL",
    house_number_addition: str = "",
    is_default: bool = False,
    user,
) -> Address:
    """Add a billing or shipping address. It becomes the default of its kind when asked, or when
    the customer has no default of that kind yet.

    Locks the customer row. Publishes no event. Raises ``ValidationFailed`` (``kind``,
    ``postal_code``, ``house_number``, ...), ``NotFound``.
    """
    errors = Collector()
    kind = errors.clean("kind", clean_address_kind, kind)
    values = address_fields(errors, street, house_number, house_number_addition, postal_code, city, country)
    errors.raise_if_any()
    with transaction.atomic(durable=True), acting(user):
        locked = lock_customer(customer.pk)
        current = Address.objects.filter(customer=locked, kind=kind, is_default=True)
        make_default = is_default or not current.exists()
        if make_default:
            current.update(is_default=False)
        address = Address.objects.create(customer=locked, kind=kind, is_default=make_default, **values)
        refresh_search_document(locked)
    return address


def address_update(*, address: Address, user, **fields) -> Address:
    """Correct an address (any of ``ADDRESS_FIELDS``); the whole address is checked again.

    Locks the customer row. Publishes no event. Raises ``ValidationFailed``, ``NotFound``;
    ``TypeError`` for a field that cannot be changed (the kind and default have their own ways).
    """
    unknown = set(fields) - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"address_update cannot change {sorted(unknown)}")
    merged = {field: fields.get(field, getattr(address, field)) for field in ADDRESS_FIELDS}
    errors = Collector()
    values = address_fields(
        errors,
        merged["street"],
        merged["house_number"],
        merged["house_number_addition"],
        merged["postal_code"],
        merged["city"],
        merged["country"],
    )
    errors.raise_if_any()
    with transaction.atomic(durable=True), acting(user):
        locked_customer = lock_customer(address.customer_id)
        stored = _get(address.pk)
        changed = [field for field, value in values.items() if getattr(stored, field) != value]
        for field in changed:
            setattr(stored, field, values[field])
        if changed:
            stored.save(update_fields=changed)
            refresh_search_document(locked_customer)
    return stored


def address_set_default(*, address: Address, user) -> Address:
    """Make this address the default of its kind (the previous default stays, as a non-default).

    Locks the customer row. Publishes no event. Raises ``NotFound``.
    """
    with transaction.atomic(durable=True), acting(user):
        lock_customer(address.customer_id)
        stored = _get(address.pk)
        if not stored.is_default:
            Address.objects.filter(customer_id=stored.customer_id, kind=stored.kind, is_default=True).update(
                is_default=False
            )
            stored.is_default = True
            stored.save(update_fields=["is_default"])
    return stored


def _get(address_id: int) -> Address:
    address = Address.objects.filter(pk=address_id).first()
    if address is None:
        raise NotFound(f"No address with id {address_id}.", field="address")
    return address
