"""Use cases on the customer record: create, update, find-or-create by e-mail, credit hold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from customers.models import (
    NUMBER_PREFIX,
    NUMBER_SEQUENCE,
    Address,
    AddressKind,
    Customer,
    CustomerKind,
    PaymentMethod,
)
from customers.search import build_search_document
from customers.services.validation import (
    CUSTOMER_FIELDS,
    Collector,
    address_fields,
    check_customer_rules,
    clean_address_kind,
    clean_customer_fields,
    clean_email,
    clean_text,
)
from oms import audit
from oms.errors import Conflict, NotFound, ValidationFailed
from oms.numbering import format_number, next_value

EMAIL_CONSTRAINT = "customer_email_unique_ci"
EXTERNAL_REF_CONSTRAINT = "customers_customer_external_ref_key"
UPDATABLE_FIELDS = frozenset(CUSTOMER_FIELDS)


@contextmanager
def acting(user, **extra):
    """Label the audit rows written inside with the acting user (API calls authenticate inside
    DRF, after the history middleware has run, so the middleware alone would record nobody)."""
    who = {"user": user.pk, "username": user.get_username()} if user is not None else {"username": "system"}
    with audit.context(**who, **extra):
        yield


def customer_create(
    *,
    kind: str,
    name: str,
    email: str = "",
    phone: str = "",
    company_name: str = "",
    vat_id: str = "",
    coc_number: str = "",
    payment_terms_days: int = 14,
    credit_limit: Decimal | str = Decimal("0.00"),
    preferred_payment_method: str = PaymentMethod.IDEAL,
    language: str = "nl",
    notes: str = "",
    external_ref: str | None = None,
    addresses: Iterable[Mapping[str, Any]] = (),
    user,
) -> Customer:
    """Create a customer with a new number (``C-000001``) and its addresses.

    Each address is a mapping with ``kind`` (billing/shipping), ``street``, ``house_number``,
    ``postal_code``, ``city`` and optionally ``house_number_addition``, ``country`` (``NL``) and
    ``is_default``; the first address of a kind is its default unless another says so.
    Locks nothing (the number comes from a sequence). Publishes no event.
    Raises ``ValidationFailed`` (fields such as ``vat_id`` or ``addresses.0.postal_code``) and
    ``Conflict`` ``duplicate_email`` / ``duplicate_external_ref``.
    """
    values = dict(
        kind=kind,
        name=name,
        company_name=company_name,
        email=email,
        phone=phone,
        vat_id=vat_id,
        coc_number=coc_number,
        payment_terms_days=payment_terms_days,
        credit_limit=credit_limit,
        preferred_payment_method=preferred_payment_method,
        language=language,
        notes=notes,
        external_ref=external_ref,
    )
    fields, address_rows = _clean_new_customer(values, list(addresses))
    with transaction.atomic(durable=True), acting(user):
        customer = _insert(fields, [row["postal_code"] for row in address_rows])
        Address.objects.bulk_create([Address(customer=customer, **row) for row in address_rows])
    return customer


def _clean_new_customer(values: dict, addresses: list) -> tuple[dict, list[dict]]:
    errors = Collector()
    fields = clean_customer_fields(errors, values)
    check_customer_rules(errors, fields)
    rows = [_clean_nested_address(errors, index, address) for index, address in enumerate(addresses)]
    _mark_defaults(errors, rows)
    errors.raise_if_any()
    return fields, rows


def _clean_nested_address(errors: Collector, index: int, address: Mapping[str, Any]) -> dict:
    nested = Collector(f"addresses.{index}.")
    kind = nested.clean("kind", clean_address_kind, address.get("kind"))
    row = address_fields(
        nested,
        address.get("street"),
        address.get("house_number"),
        address.get("house_number_addition", ""),
        address.get("postal_code"),
        address.get("city"),
        address.get("country") or "NL",
    )
    errors.extend(nested)
    return {"kind": kind, **row, "is_default": bool(address.get("is_default", False))}


def _mark_defaults(errors: Collector, rows: list[dict]) -> None:
    """One default per kind: the one marked, else the first of that kind."""
    for kind in AddressKind.values:
        of_kind = [(i, row) for i, row in enumerate(rows) if row["kind"] == kind]
        marked = [i for i, row in of_kind if row["is_default"]]
        if len(marked) > 1:
            errors.fail(f"addresses.{marked[1]}.is_default", f"Only one {kind} address can be the default.", "invalid")
        elif of_kind and not marked:
            of_kind[0][1]["is_default"] = True


def _insert(fields: dict, postcodes: list[str]) -> Customer:
    customer = Customer(number=format_number(NUMBER_PREFIX, next_value(NUMBER_SEQUENCE)), **fields)
    customer.search_document = search_document_for(customer, postcodes)
    try:
        with transaction.atomic():
            customer.save(force_insert=True)
    except IntegrityError as exc:
        duplicate = _duplicate(exc, fields)
        if duplicate is None:
            raise
        raise duplicate from exc
    return customer


def search_document_for(customer: Customer, postcodes: Iterable[str]) -> str:
    return build_search_document(
        number=customer.number,
        name=customer.name,
        company_name=customer.company_name,
        email=customer.email,
        phone=customer.phone,
        vat_id=customer.vat_id,
        coc_number=customer.coc_number,
        postcodes=postcodes,
    )


def refresh_search_document(customer: Customer) -> None:
    postcodes = Address.objects.filter(customer_id=customer.pk).values_list("postal_code", flat=True)
    document = search_document_for(customer, list(postcodes))
    Customer.objects.filter(pk=customer.pk).update(search_document=document)
    customer.search_document = document


def _constraint_of(exc: IntegrityError) -> str:
    return getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""


def _duplicate(exc: IntegrityError, fields: dict) -> Conflict | None:
    constraint = _constraint_of(exc)
    if constraint == EMAIL_CONSTRAINT:
        existing = _by_email(fields["email"])
        number = existing.number if existing else ""
        return Conflict(
            f"Customer {number} already has this e-mail address.", code="duplicate_email", field="email", number=number
        )
    if constraint == EXTERNAL_REF_CONSTRAINT:
        existing = Customer.objects.filter(external_ref=fields["external_ref"]).values_list("number", flat=True).first()
        return Conflict(
            f"Customer {existing} already has this external reference.",
            code="duplicate_external_ref",
            field="external_ref",
            number=existing or "",
        )
    return None


def _by_email(email: str) -> Customer | None:
    # Lower(email) = the unique index's expression, so this is an index look-up.
    return Customer.objects.alias(email_ci=Lower("email")).filter(email_ci=email.lower()).first() if email else None


def customer_update(*, customer: Customer, user, **fields) -> Customer:
    """Change profile or credit-term fields (any of ``UPDATABLE_FIELDS``); returns the stored row.

    Locks the customer row (``SELECT ... FOR UPDATE``) so that concurrent edits apply one after
    the other. Only the fields given are checked, then the rules across fields on the result.
    Publishes no event. Raises ``ValidationFailed``, ``Conflict`` (``duplicate_email``,
    ``duplicate_external_ref``), ``NotFound``; ``TypeError`` for a field that cannot be updated.
    """
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"customer_update cannot change {sorted(unknown)}")
    errors = Collector()
    cleaned = clean_customer_fields(errors, fields)
    errors.raise_if_any()
    with transaction.atomic(durable=True), acting(user):
        locked = lock_customer(customer.pk)
        changed = [field for field, value in cleaned.items() if _stored(locked, field) != value]
        for field in changed:
            setattr(locked, field, cleaned[field])
        check_customer_rules(errors, {f: _stored(locked, f) for f in UPDATABLE_FIELDS})
        errors.raise_if_any()
        if changed:
            postcodes = Address.objects.filter(customer_id=locked.pk).values_list("postal_code", flat=True)
            locked.search_document = search_document_for(locked, list(postcodes))
            _save(locked, [*changed, "search_document", "updated_at"], cleaned)
    return locked


def _stored(customer: Customer, field: str):
    value = getattr(customer, field)
    if field == "phone":
        return value.as_e164 if value else ""
    return value


def _save(customer: Customer, update_fields: list[str], fields: dict) -> None:
    try:
        with transaction.atomic():
            customer.save(update_fields=update_fields)
    except IntegrityError as exc:
        duplicate = _duplicate(exc, fields)
        if duplicate is None:
            raise
        raise duplicate from exc


def lock_customer(customer_id: int) -> Customer:
    """The customer row, locked for the rest of the transaction (``NotFound`` if gone)."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"No customer with id {customer_id}.", field="customer")
    return customer


def customer_find_or_create_b2c(*, email: str, name: str, phone: str = "", user) -> tuple[Customer, bool]:
    """The customer with this e-mail (any case), or a new B2C customer; returns ``(customer, created)``.

    Safe under concurrency: two calls with the same e-mail make one customer, because the
    insert runs in a savepoint and the case-insensitive unique index makes the second wait for
    the first and fail, after which it reads the winner. Not durable: orders call it inside
    order placement. Locks nothing else. Publishes no event. Raises ``ValidationFailed``
    (``email`` missing or invalid; ``name``/``phone`` when a customer must be created).
    """
    errors = Collector()
    email = errors.clean("email", clean_email, email)
    errors.raise_if_any()
    if not email:
        raise ValidationFailed("E-mail is required.", code="required", field="email")
    existing = _by_email(email)
    if existing is not None:
        return existing, False
    fields = clean_customer_fields(errors, {"kind": CustomerKind.B2C, "name": name, "email": email, "phone": phone})
    errors.raise_if_any()
    with transaction.atomic(), acting(user):
        try:
            return _insert(fields, []), True
        except Conflict as exc:
            if exc.code != "duplicate_email":
                raise
    return _by_email(email), False


def customer_set_credit_hold(*, customer: Customer, hold: bool, reason: str, user) -> Customer:
    """Put a customer on credit hold (orders then refuse new orders) or lift the hold.

    A hold needs a reason; the reason of a hold or a lift is kept in the audit trail's context.
    Locks the customer row. Not durable, so billing's overdue handling may call it inside its
    own transaction. Publishes no event. Raises ``ValidationFailed`` (``reason``), ``NotFound``.
    """
    reason = clean_text(reason, max_length=300, label="Reason")
    if hold and not reason:
        raise ValidationFailed("Say why the customer goes on credit hold.", code="required", field="reason")
    with transaction.atomic(), acting(user, reason=reason):
        locked = lock_customer(customer.pk)
        new_reason = reason if hold else ""
        if (locked.credit_hold, locked.credit_hold_reason) != (hold, new_reason):
            locked.credit_hold, locked.credit_hold_reason = hold, new_reason
            locked.save(update_fields=["credit_hold", "credit_hold_reason", "updated_at"])
    return locked
