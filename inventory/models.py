"""Products, warehouses, stock levels, the stock movement ledger and expected receipts.

The database keeps the stock invariants (ARCHITECTURE "Invariants the database itself keeps"):

- ``0 <= reserved <= on_hand`` per stock level (CHECK constraints);
- a ``StockLevel`` row exists for every product x warehouse pair: statement-level triggers
  insert the missing levels in the same statement that inserts products or warehouses, so a
  reservation always locks a row that exists (the "first reservation" race of
  reliability-security.md §1.1 cannot happen), whichever code path created the product;
- ``StockMovement`` is append-only: a trigger refuses UPDATE and DELETE.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import ean

from oms import audit, reference_cache
from oms.models import VatCategory
from oms.money import money_field

# Product inserts and warehouse inserts must see each other: with two triggers that each read the
# other table, a product and a warehouse inserted at the same moment would each miss the other
# (neither sees the other's uncommitted row) and their pair would have no stock level. They meet
# on one transaction-level advisory lock instead: product inserts take it shared (they never wait
# for each other), a warehouse insert takes it exclusively, so it waits for the product inserts in
# flight and keeps new ones waiting until it commits. Its INSERT ... SELECT then runs with a fresh
# snapshot (READ COMMITTED: every statement in the function takes one) that sees those products,
# and a product insert that waited sees the new warehouse. Nothing else takes this lock: unlike
# the SHARE lock on the product table it replaced, product updates (a product PUT) never wait for
# a warehouse being created, nor it for them (they deadlocked).
STOCK_PAIRS_LOCK = "hashtext('inventory.stock_level_pairs')"

# Insert the missing stock levels for new products (one statement per INSERT, not per row).
_LEVELS_FOR_NEW_PRODUCTS = f"""
    PERFORM pg_advisory_xact_lock_shared({STOCK_PAIRS_LOCK});
    INSERT INTO inventory_stocklevel (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity)
    SELECT n.id, w.id, 0, 0, 0, 0 FROM new_products n CROSS JOIN inventory_warehouse w
    ON CONFLICT (product_id, warehouse_id) DO NOTHING;
    RETURN NULL;
"""

# A new warehouse gets a level for every product, set-based, once the product inserts in flight
# have committed (the advisory lock above).
_LEVELS_FOR_NEW_WAREHOUSES = f"""
    PERFORM pg_advisory_xact_lock({STOCK_PAIRS_LOCK});
    INSERT INTO inventory_stocklevel (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity)
    SELECT p.id, n.id, 0, 0, 0, 0 FROM inventory_product p CROSS JOIN new_warehouses n
    ON CONFLICT (product_id, warehouse_id) DO NOTHING;
    RETURN NULL;
"""


def validate_ean13(value: str) -> None:
    from django.core.exceptions import ValidationError

    if not (len(value) == 13 and ean.is_valid(value)):
        raise ValidationError("Not a valid EAN-13 barcode (13 digits with a correct check digit).", code="invalid")


@audit.track()
class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    list_price = money_field(help_text="EUR excluding VAT")
    # The shelf price consumers pay (issue 15): set on its own, not derived at sale time, so the
    # shelf label and the till agree to the cent. Empty only for products written outside the
    # catalogue service (imports of older files, fixtures): then list price plus VAT, rounded.
    consumer_price = money_field(null=True, blank=True, help_text="EUR including VAT, the shelf price")
    vat_category = models.CharField(max_length=10, choices=VatCategory.choices, default=VatCategory.HIGH)
    weight_grams = models.PositiveIntegerField(default=0)
    barcode = models.CharField(max_length=13, unique=True, null=True, blank=True, validators=[validate_ean13])
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(
                condition=Q(consumer_price__isnull=True) | Q(consumer_price__gte=0),
                name="product_consumer_price_not_negative",
            ),
            models.CheckConstraint(condition=Q(vat_category__in=VatCategory.values), name="product_vat_category_valid"),
            models.CheckConstraint(condition=~Q(sku=""), name="product_sku_not_empty"),
        ]
        indexes = [models.Index(fields=["name"], name="product_name_order")]  # the stock list sorted by name
        # Search as you type uses two expression indexes made in migration 0001 with SQL (Django
        # needs django.contrib.postgres installed to render OpClass): (UPPER(sku) COLLATE "C"),
        # the SKU key lists sort by and whose prefix search is an index range, and a trigram GIN
        # index on UPPER(name) for ``name__icontains``.
        triggers = [
            pgtrigger.Trigger(
                name="product_stock_levels",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                referencing=pgtrigger.Referencing(new="new_products"),
                func=_LEVELS_FOR_NEW_PRODUCTS,
            )
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


@audit.track()
class Warehouse(models.Model):
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100)
    street = models.CharField(max_length=100, blank=True)
    house_number = models.CharField(max_length=20, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="NL")
    cutoff_time = models.TimeField(null=True, blank=True, help_text="Orders placed before this ship the same day")
    priority = models.PositiveIntegerField(default=100, help_text="Lower ships first")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "code"]
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="warehouse_code_not_empty")]
        triggers = [
            pgtrigger.Trigger(
                name="warehouse_stock_levels",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                referencing=pgtrigger.Referencing(new="new_warehouses"),
                func=_LEVELS_FOR_NEW_WAREHOUSES,
            ),
            # the delivery quote caches the active warehouses per process (oms.reference_cache)
            reference_cache.stamp_trigger(),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def effective_cutoff(self):
        return self.cutoff_time or settings.OMS_DEFAULT_CUTOFF


class StockLevel(models.Model):
    # No single-column FK indexes: the unique (product, warehouse) and the (warehouse, product)
    # index serve those lookups, and no index covers on_hand or reserved, so a reservation's
    # UPDATE stays a HOT update that touches no index at all.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels", db_index=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels", db_index=False)
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    reorder_point = models.IntegerField(default=0, help_text="Reorder when available + incoming falls below this")
    reorder_quantity = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stock_level_once_per_pair"),
            # the target of orders' allocation key: (stock level, its warehouse) in one check
            models.UniqueConstraint(fields=["id", "warehouse"], name="stock_level_with_warehouse"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"),
            models.CheckConstraint(condition=Q(reorder_point__gte=0), name="stock_reorder_point_not_negative"),
            models.CheckConstraint(condition=Q(reorder_quantity__gte=0), name="stock_reorder_qty_not_negative"),
        ]
        indexes = [models.Index(fields=["warehouse", "product"], name="stock_level_by_warehouse")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.on_hand} on hand, {self.reserved} reserved"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return self.available < self.reorder_point


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ISSUE = "issue", _("Issue")
    ADJUSTMENT = "adjustment", _("Adjustment")
    COUNT = "count", _("Count")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    RETURN = "return", _("Return")


class AdjustmentReason(models.TextChoices):
    COUNT = "count", _("Count")
    DAMAGE = "damage", _("Damage")
    CORRECTION = "correction", _("Correction")
    INITIAL = "initial", _("Initial stock")


class StockMovement(models.Model):
    """One change of on-hand stock. Append-only: the sum of a level's movements is its on-hand."""

    # Indexed through (product, -id) and (warehouse, product) below.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", db_index=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=20, choices=MovementKind.choices)
    quantity = models.IntegerField(help_text="Signed: positive adds stock")
    on_hand_after = models.IntegerField()
    reference = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=20, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MovementKind.values), name="movement_kind_valid"),
            models.CheckConstraint(condition=Q(on_hand_after__gte=0), name="movement_on_hand_not_negative"),
            # Only a count may record "no difference"; every other movement moves stock.
            models.CheckConstraint(condition=~Q(quantity=0) | Q(kind="count"), name="movement_quantity_not_zero"),
        ]
        indexes = [
            models.Index(fields=["product", "-id"], name="movement_by_product"),
            models.Index(fields=["warehouse", "product"], name="movement_by_level"),
        ]
        triggers = [pgtrigger.Protect(name="movement_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} of {self.product_id}@{self.warehouse_id}"


class ExpectedReceipt(models.Model):
    """Incoming supply recorded by purchasing (a sent purchase order line), so that promise
    dates and the stock screen see it without inventory importing purchasing."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="expected_receipts", db_index=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="expected_receipts")
    quantity = models.PositiveIntegerField()
    expected_date = models.DateField()
    reference = models.CharField(max_length=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reference", "product", "warehouse"], name="expected_receipt_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="expected_receipt_quantity_positive"),
        ]
        indexes = [models.Index(fields=["product", "expected_date"], name="expected_receipt_by_product")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}@{self.warehouse_id} on {self.expected_date} ({self.reference})"


class ImportKind(models.TextChoices):
    PRODUCTS = "products", _("Products")
    STOCK_COUNTS = "stock_counts", _("Stock counts")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Refused")


class ImportJob(models.Model):
    """An uploaded CSV/XLSX file, processed row by row by a worker: every row is its own
    transaction, so good rows are kept and bad rows are listed with the reason."""

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    file_name = models.CharField(max_length=200)
    # The uploaded file until the worker has read it (then emptied): the request never parses it.
    content = models.BinaryField(default=b"", editable=False)
    rows = models.JSONField(default=list)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    ok_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="import_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=ImportKind.values), name="import_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} import {self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.total_rows:  # the worker is still reading the file, or it was refused
            return 100 if self.finished else 0
        return int(100 * self.processed_rows / self.total_rows)

    @property
    def error_count(self) -> int:
        return len(self.errors)

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
