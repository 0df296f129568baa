"""Suppliers and their products (supplier SKU, cost, minimum order quantity, pack size, lead
time, preferred supplier)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.nl import postcode as nl_postcode

from oms import audit
from oms.errors import Conflict, MultipleErrors, OmsError, ValidationFailed
from oms.money import quantize, to_decimal
from purchasing.models import Supplier, SupplierProduct
from purchasing.services._common import constraint_name
from purchasing.services.reorder import reorder_requests_assign_suppliers

PHONE_RE = re.compile(r"^[0-9+()./\- ]{4,40}$")
MAX_COST = Decimal("9999999999.99")
SUPPLIER_FIELDS = (
    "name",
    "contact_name",
    "email",
    "phone",
    "address",
    "postal_code",
    "city",
    "country",
    "vat_id",
    "payment_terms_days",
    "lead_time_days",
    "active",
    "notes",
)


def _text(value, field: str, max_length: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed("This field is required.", code="required", field=field)
    if len(text) > max_length:
        raise ValidationFailed(f"At most {max_length} characters.", code="too_long", field=field)
    return text


def _days(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 365:
        raise ValidationFailed("A whole number of days from 0 to 365.", code="invalid_days", field=field)
    return value


def _email(value) -> str:
    email = (value or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError as exc:
            raise ValidationFailed("Not a valid e-mail address.", code="invalid_email", field="email") from exc
    return email


EU_VAT_PREFIXES = {code.upper() for code in eu_vat.MEMBER_STATES} | {"EL", "XI"}


def _vat_id(value, country: str) -> str:
    """EU VAT ids (by prefix, or a bare number of a supplier in the EU) are checked with their
    check digits; other countries' tax numbers are kept as typed, without separators."""
    compact = re.sub(r"[\s.\-/]", "", value or "").upper()
    if not compact:
        return ""
    if not compact[:2].isalpha() and country in EU_VAT_PREFIXES:
        compact = country + compact
    if compact[:2] in EU_VAT_PREFIXES:
        try:
            return eu_vat.validate(compact)
        except stdnum_errors.ValidationError as exc:
            raise ValidationFailed(
                "Not a valid EU VAT id (country code and check digits).", code="invalid_vat_id", field="vat_id"
            ) from exc
    return _text(compact, "vat_id", 20)


def _clean_supplier(values: dict) -> dict:
    errors: list[OmsError] = []
    cleaned: dict = {}
    country = (values.get("country") or "NL").strip().upper()
    checks = {
        "name": lambda v: _text(v, "name", 200, required=True),
        "contact_name": lambda v: _text(v, "contact_name", 200),
        "email": _email,
        "phone": _phone,
        "address": lambda v: _text(v, "address", 200),
        "postal_code": lambda v: _postal_code(v, country),
        "city": lambda v: _text(v, "city", 100),
        "country": _country,
        "vat_id": lambda v: _vat_id(v, country),
        "payment_terms_days": lambda v: _days(v, "payment_terms_days"),
        "lead_time_days": lambda v: _days(v, "lead_time_days"),
        "active": bool,
        "notes": lambda v: _text(v, "notes", 2000),
    }
    for field, check in checks.items():
        if field in values:
            try:
                cleaned[field] = check(values[field])
            except OmsError as exc:
                errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    return cleaned


def _phone(value) -> str:
    phone = (value or "").strip()
    if phone and not PHONE_RE.match(phone):
        raise ValidationFailed("Digits, spaces and + ( ) - . / only.", code="invalid_phone", field="phone")
    return phone


def _country(value) -> str:
    country = (value or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ValidationFailed("Country is a two-letter code like NL.", code="invalid_country", field="country")
    return country


def _postal_code(value, country: str) -> str:
    code = _text(value, "postal_code", 20)
    if code and country == "NL":
        try:
            return nl_postcode.validate(code)
        except stdnum_errors.ValidationError as exc:
            raise ValidationFailed(
                "A Dutch postcode looks like 1234 AB.", code="invalid_postal_code", field="postal_code"
            ) from exc
    return code


def supplier_save(*, user, supplier_id: int | None = None, **values) -> Supplier:
    """Create a supplier (``supplier_id`` None) or change the given fields of one.

    Fields: name, contact_name, email, phone, address, postal_code, city, country, vat_id
    (EU ids checked), payment_terms_days, lead_time_days, active, notes. Locks the supplier
    FOR UPDATE when changing it. Publishes nothing. Raises ``ValidationFailed`` (per field,
    several at once as ``MultipleErrors``) and ``Conflict`` ``duplicate_supplier`` (name).
    """
    unknown = set(values) - set(SUPPLIER_FIELDS)
    if unknown:
        raise ValidationFailed(f"Unknown supplier fields: {', '.join(sorted(unknown))}.", code="unknown_field")
    if supplier_id is None:
        values.setdefault("name", "")
    cleaned = _clean_supplier(values)
    try:
        with transaction.atomic(), audit.context(user=getattr(user, "pk", None)):
            if supplier_id is None:
                return Supplier.objects.create(**cleaned)
            supplier = Supplier.objects.select_for_update().filter(pk=supplier_id).first()
            if supplier is None:
                raise ValidationFailed("No such supplier.", code="unknown_supplier", field="supplier")
            changed = [f for f, v in cleaned.items() if getattr(supplier, f) != v]
            for field in changed:
                setattr(supplier, field, cleaned[field])
            if changed:
                supplier.save(update_fields=[*changed, "updated_at"])
            return supplier
    except IntegrityError as exc:
        if constraint_name(exc) == "purchasing_supplier_name_key":
            raise Conflict("A supplier with this name exists.", code="duplicate_supplier", field="name") from exc
        raise


def supplier_product_save(
    *,
    supplier_id: int,
    product_id: int,
    unit_cost,
    user,
    supplier_sku: str = "",
    min_order_quantity: int = 1,
    pack_size: int = 1,
    lead_time_days: int | None = None,
    preferred: bool = False,
) -> SupplierProduct:
    """Set how a supplier sells a product (created or replaced). Marking it preferred takes
    the mark from the product's other supplier in the same transaction. Open reorder requests
    for the product that had no supplier get this one (``reorder_requests_assign_suppliers``).

    Locks the product's supplier products FOR UPDATE (id order), so two people choosing a
    preferred supplier at once end with one. Publishes nothing. Raises ``ValidationFailed``
    (``unit_cost``, ``min_order_quantity``, ``pack_size``, ``lead_time_days``,
    ``supplier_sku``) and ``Conflict`` ``preferred_taken`` if the partial unique index refuses.
    """
    values = {
        "unit_cost": _cost(unit_cost),
        "supplier_sku": _text(supplier_sku, "supplier_sku", 64),
        "min_order_quantity": _count(min_order_quantity, "min_order_quantity"),
        "pack_size": _count(pack_size, "pack_size"),
        "lead_time_days": None if lead_time_days in (None, "") else _days(lead_time_days, "lead_time_days"),
        "preferred": bool(preferred),
    }
    try:
        with transaction.atomic(), audit.context(user=getattr(user, "pk", None)):
            siblings = list(SupplierProduct.objects.select_for_update().filter(product_id=product_id).order_by("id"))
            if values["preferred"]:
                ids = [sp.pk for sp in siblings if sp.preferred and sp.supplier_id != supplier_id]
                SupplierProduct.objects.filter(pk__in=ids).update(preferred=False)
            offer, _ = SupplierProduct.objects.update_or_create(
                supplier_id=supplier_id, product_id=product_id, defaults=values
            )
            reorder_requests_assign_suppliers(product_ids=[product_id])
            return offer
    except IntegrityError as exc:
        if constraint_name(exc) == "supplier_product_one_preferred":
            raise Conflict(
                "Another supplier was just made preferred for this product; reload and try again.",
                code="preferred_taken",
                field="preferred",
            ) from exc
        raise


def supplier_product_remove(*, supplier_product_id: int, user) -> None:
    """Stop buying a product from a supplier (purchase orders keep their own snapshot)."""
    with transaction.atomic(), audit.context(user=getattr(user, "pk", None)):
        SupplierProduct.objects.filter(pk=supplier_product_id).delete()


def _cost(value) -> Decimal:
    try:
        cost = quantize(to_decimal(value))
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ValidationFailed("A cost like 12.50.", code="invalid_cost", field="unit_cost") from exc
    if not Decimal(0) <= cost <= MAX_COST:
        raise ValidationFailed("The cost must be 0 or more.", code="invalid_cost", field="unit_cost")
    return cost


def _count(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
        raise ValidationFailed("A whole number of 1 or more.", code="invalid_quantity", field=field)
    return value
