"""Pick lists: a batch of orders the warehouse picks in one walk, the units sorted by SKU.

A pick list is a snapshot of what was reserved for its orders in its warehouse when it was made;
the orders moved to ``picking`` in the same transaction (orders' ``order_start_picking``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from inventory.models import Product, Warehouse
from orders.models import Order, OrderLine

PICK_LIST_NUMBER_SEQUENCE = "shipping_pick_list_number"


class PickList(models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", db_index=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The printed list, rendered by a worker (``picking.pick_list_pdf_render``), and the stamp of
    # the content it shows: served only while the stamp still matches the pick list.
    pdf = models.FileField(upload_to="shipping/pick_lists/%Y/%m/", blank=True, max_length=200)
    pdf_stamp = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["warehouse", "-id"], name="pick_list_warehouse_idx")]

    def __str__(self) -> str:
        return self.number


class PickListLine(models.Model):
    pick_list = models.ForeignKey(PickList, on_delete=models.CASCADE, related_name="lines")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", db_index=False)
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["pick_list", "sku", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pick_list", "order_line"], name="pick_list_line_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="pick_list_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.pick_list_id}: {self.quantity} x {self.sku}"
