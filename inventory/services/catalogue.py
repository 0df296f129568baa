"""Products, warehouses and the reorder settings of a stock level."""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.nl import postcode as nl_postcode

from inventory.models import Product, StockLevel, Warehouse
from inventory.selectors import derived_consumer_price
from inventory.services._common import whole_number
from oms import audit
from oms.errors import Conflict, NotFound, ValidationFailed
from oms.models import VatCategory
from oms.money import quantize, to_decimal

SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
WAREHOUSE_CODE_RE = re.compile(r"^[A-Z0-9]{2,10}$")
MAX_PRICE = Decimal("9999999999.99")


# --- products -----------------------------------------------------------------------------------


def product_upsert(
    *,
    sku: str,
    name: str,
    list_price,
    vat_category: str,
    weight_grams: int = 0,
    barcode: str | None = None,
    description: str = "",
    active: bool = True,
    consumer_price=None,
    user=None,
) -> tuple[Product, bool]:
    """Create the product with this SKU or replace its fields; returns ``(product, created)``.

    A new product gets a stock level (all zero) in every warehouse, inserted by a database
    trigger in the same statement. Locks the existing product row (FOR NO KEY UPDATE: it never
    changes the id, so the stock levels a new warehouse inserts, whose foreign keys take KEY
    SHARE on every product, need not wait for it). Publishes
    nothing. ``consumer_price`` is the shelf price incl. VAT; None (or empty) derives it from the
    list price and today's VAT rate of the category (``inventory.selectors.derived_consumer_price``).
    Raises ``ValidationFailed`` (field ``sku``, ``name``, ``list_price``, ``consumer_price``,
    ``vat_category``, ``weight_grams``, ``barcode``) and ``Conflict`` ``duplicate_barcode``.
    Not durable: imports and demo loaders call it inside their own transactions.
    """
    sku = _clean_sku(sku)
    values = _clean_product_values(name, list_price, vat_category, weight_grams, barcode, description, active)
    values["consumer_price"] = (
        derived_consumer_price(values["list_price"], values["vat_category"])
        if consumer_price in (None, "")
        else _clean_price(consumer_price, "consumer_price")
    )
    with transaction.atomic(), audit.context(user=getattr(user, "pk", None)):
        product = Product.objects.select_for_update(no_key=True).filter(sku=sku).first()
        _ensure_barcode_free(values["barcode"], sku)
        if product is None:
            product = _product_create(sku, values)
            if product is not None:
                return product, True
            product = Product.objects.select_for_update(no_key=True).get(sku=sku)  # created concurrently
        changed = [field for field, value in values.items() if getattr(product, field) != value]
        for field in changed:
            setattr(product, field, values[field])
        if changed:
            product.save(update_fields=[*changed, "updated_at"])
        return product, False


def _product_create(sku: str, values: dict) -> Product | None:
    """Insert the product; None when a concurrent request inserted the same SKU first."""
    try:
        with transaction.atomic():
            return Product.objects.create(sku=sku, **values)
    except IntegrityError as exc:
        if _constraint(exc) == "inventory_product_barcode_key":
            raise _barcode_taken(values["barcode"]) from exc
        if _constraint(exc) == "inventory_product_sku_key":
            return None
        raise


def _constraint(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _ensure_barcode_free(barcode: str | None, sku: str) -> None:
    if barcode and Product.objects.filter(barcode=barcode).exclude(sku=sku).exists():
        raise _barcode_taken(barcode)


def _barcode_taken(barcode: str) -> Conflict:
    return Conflict(f"Barcode {barcode} belongs to another product.", code="duplicate_barcode", field="barcode")


def _clean_sku(sku) -> str:
    sku = (sku or "").strip() if isinstance(sku, str) else ""
    if not SKU_RE.match(sku):
        raise ValidationFailed(
            "A SKU is 1 to 64 letters, digits, dots, dashes or underscores.", code="invalid_sku", field="sku"
        )
    return sku


def _clean_product_values(name, list_price, vat_category, weight_grams, barcode, description, active) -> dict:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationFailed("A name of 1 to 200 characters is required.", code="invalid_name", field="name")
    if vat_category not in VatCategory.values:
        raise ValidationFailed(
            "VAT category must be high, low or zero.", code="invalid_vat_category", field="vat_category"
        )
    return {
        "name": name,
        "list_price": _clean_price(list_price),
        "vat_category": vat_category,
        "weight_grams": whole_number(weight_grams, "weight_grams", minimum=0),
        "barcode": clean_barcode(barcode),
        "description": (description or "").strip(),
        "active": bool(active),
    }


def _clean_price(value, field: str = "list_price") -> Decimal:
    try:
        price = to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Price must be an amount like 12.50.", code="invalid_price", field=field) from exc
    if not price.is_finite() or price < 0 or price > MAX_PRICE or price != price.quantize(Decimal("0.01")):
        raise ValidationFailed(
            "Price must be zero or more, with at most two decimals.", code="invalid_price", field=field
        )
    return quantize(price)


def clean_barcode(barcode) -> str | None:
    """An EAN-13 with a correct check digit, or None for no barcode."""
    if barcode is None or (isinstance(barcode, str) and not barcode.strip()):
        return None
    barcode = str(barcode).strip()
    try:
        if len(barcode) != 13:
            raise StdnumError()
        return ean.validate(barcode)
    except StdnumError as exc:
        raise ValidationFailed(
            "Not a valid EAN-13 barcode (13 digits with a correct check digit).",
            code="invalid_barcode",
            field="barcode",
        ) from exc


# --- warehouses ---------------------------------------------------------------------------------


def warehouse_upsert(
    *,
    code: str,
    name: str,
    street: str = "",
    house_number: str = "",
    postal_code: str = "",
    city: str = "",
    country: str = "NL",
    cutoff_time: time | str | None = None,
    user=None,
    priority: int | None = None,
    active: bool | None = None,
) -> tuple[Warehouse, bool]:
    """Create the warehouse with this code or replace its address and cut-off; ``(warehouse, created)``.

    ``priority`` and ``active`` keep their current value when None (a new warehouse goes last
    and is active). A new warehouse gets a stock level for every product, inserted by a
    database trigger that first waits for product inserts in flight (an advisory lock, see
    ``inventory.models``; product updates never wait), so a product created at the same moment
    is not missed. Locks the existing warehouse row. Publishes nothing.
    Raises ``ValidationFailed`` (``code``, ``name``, ``postal_code``, ``country``, ``cutoff_time``).
    """
    code = (code or "").strip().upper()
    if not WAREHOUSE_CODE_RE.match(code):
        raise ValidationFailed("A warehouse code is 2 to 10 letters or digits.", code="invalid_code", field="code")
    values = _clean_warehouse_values(name, street, house_number, postal_code, city, country, cutoff_time)
    if priority is not None:
        values["priority"] = whole_number(priority, "priority", minimum=0)
    if active is not None:
        values["active"] = bool(active)
    with transaction.atomic(), audit.context(user=getattr(user, "pk", None)):
        warehouse = Warehouse.objects.select_for_update().filter(code=code).first()
        if warehouse is None:
            values.setdefault("priority", (Warehouse.objects.aggregate(m=Max("priority"))["m"] or 0) + 10)
            return Warehouse.objects.create(code=code, **values), True
        changed = [field for field, value in values.items() if getattr(warehouse, field) != value]
        for field in changed:
            setattr(warehouse, field, values[field])
        if changed:
            warehouse.save(update_fields=changed)
        return warehouse, False


def _clean_warehouse_values(name, street, house_number, postal_code, city, country, cutoff_time) -> dict:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("A name of 1 to 100 characters is required.", code="invalid_name", field="name")
    country = (country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ValidationFailed("Country is a two-letter code like NL.", code="invalid_country", field="country")
    postal_code = (postal_code or "").strip()
    if postal_code and country == "NL":
        try:
            postal_code = nl_postcode.validate(postal_code)
        except StdnumError as exc:
            raise ValidationFailed(
                "A Dutch postcode looks like 1234 AB.", code="invalid_postal_code", field="postal_code"
            ) from exc
    return {
        "name": name,
        "street": (street or "").strip()[:100],
        "house_number": (house_number or "").strip()[:20],
        "postal_code": postal_code[:20],
        "city": (city or "").strip()[:100],
        "country": country,
        "cutoff_time": _clean_cutoff(cutoff_time),
    }


def _clean_cutoff(value) -> time | None:
    if value is None or value == "":
        return None
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(str(value), fmt).time()
        except ValueError:
            continue
    raise ValidationFailed("Cut-off time looks like 15:00.", code="invalid_time", field="cutoff_time")


# --- reorder settings ---------------------------------------------------------------------------


def stock_level_configure(*, stock_level_id: int, reorder_point: int, reorder_quantity: int, user=None) -> StockLevel:
    """Set a level's reorder point and reorder quantity. One conditional UPDATE; publishes
    nothing (the reorder scan picks a level that is now below its point up). Raises
    ``NotFound`` and ``ValidationFailed`` (``reorder_point``, ``reorder_quantity``)."""
    reorder_point = whole_number(reorder_point, "reorder_point", minimum=0)
    reorder_quantity = whole_number(reorder_quantity, "reorder_quantity", minimum=0)
    with transaction.atomic():
        updated = StockLevel.objects.filter(pk=stock_level_id).update(
            reorder_point=reorder_point, reorder_quantity=reorder_quantity
        )
        if not updated:
            raise NotFound("No such stock level.", field="stock_level_id")
        return StockLevel.objects.select_related("product", "warehouse").get(pk=stock_level_id)
