"""Demo data for inventory: the real UCI Online Retail catalogue (inventory/data/README.md) in
two warehouses, Amsterdam and Rotterdam, with stock, reorder points and a movement history
simulated from each product's sales. Idempotent: does nothing when the catalogue is loaded."""

from __future__ import annotations

import csv
import math
import random
import zlib
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from stdnum import ean

from inventory.models import MovementKind, Product, StockLevel, StockMovement
from inventory.selectors import derived_consumer_price
from inventory.services import warehouse_upsert
from inventory.services._common import values_sql
from oms.money import quantize

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "uci_products.csv"
GBP_TO_EUR = Decimal("1.15")  # fixed demo rate, about the 2011 average (see data/README.md)
SMALL = 200
WAREHOUSES = [
    # code, name, street, number, postcode, city, cut-off, share of demand
    ("AMS", "Amsterdam", "Cruquiusweg", "110", "1019 AK", "Amsterdam", time(15, 0), 0.6),
    ("RTM", "Rotterdam", "Waalhaven Zuidzijde", "21", "3089 JH", "Rotterdam", time(14, 0), 0.4),
]


def title_case(text: str) -> str:
    return " ".join(word[:1].upper() + word[1:].lower() for word in text.split())


class Command(BaseCommand):
    help = "Load the UCI Online Retail catalogue with stock in Amsterdam and Rotterdam."

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true", help=f"only the first {SMALL} products")

    def handle(self, *args, small: bool = False, **options):
        rows = list(csv.DictReader(CATALOGUE.open(encoding="utf-8")))
        rows = rows[:SMALL] if small else rows
        if Product.objects.filter(sku=rows[0]["sku"]).exists():
            self.stdout.write("inventory demo data already loaded")
            return
        rng = random.Random(2011)
        with transaction.atomic():
            warehouses = [self._warehouse(spec) for spec in WAREHOUSES]
            products = Product.objects.bulk_create([self._product(i, row) for i, row in enumerate(rows)])
            levels, movements = self._stock(products, rows, warehouses, rng)
            self._save_levels(levels)
            StockMovement.objects.bulk_create(movements, batch_size=5000)
        self.stdout.write(
            f"inventory: {len(products)} products, {len(warehouses)} warehouses, {len(movements)} movements"
        )

    def _warehouse(self, spec):
        code, name, street, number, postcode, city, cutoff, _share = spec
        warehouse, _ = warehouse_upsert(
            code=code,
            name=name,
            street=street,
            house_number=number,
            postal_code=postcode,
            city=city,
            cutoff_time=cutoff,
        )
        return warehouse

    def _product(self, index: int, row: dict) -> Product:
        digest = zlib.crc32(row["sku"].encode())
        barcode = f"200{index:09d}"
        list_price = quantize(Decimal(row["unit_price_gbp"]) * GBP_TO_EUR)
        return Product(
            sku=row["sku"],
            name=title_case(row["description"])[:200],
            description=(
                f"UCI Online Retail stock code {row['sku']}: {int(row['units_sold']):,} units sold "
                "from December 2010 to December 2011."
            ),
            list_price=list_price,
            consumer_price=derived_consumer_price(list_price, "high"),
            vat_category="high",
            weight_grams=50 + digest % 1950,
            barcode=barcode + ean.calc_check_digit(barcode),
            active=True,
        )

    def _stock(self, products, rows, warehouses, rng):
        """On-hand, reserved-free levels and a ledger that adds up: an opening receipt about two
        months ago, a few shipments, sometimes a count correction."""
        by_pair = {(lv.product_id, lv.warehouse_id): lv for lv in StockLevel.objects.filter(product__in=products)}
        user = get_user_model().objects.filter(username="warehouse").first()
        now = timezone.now()
        levels, movements = [], []
        for product, row in zip(products, rows, strict=True):
            weekly = int(row["units_sold"]) / 52
            for warehouse, spec in zip(warehouses, WAREHOUSES, strict=True):
                demand = weekly * spec[-1]
                level = by_pair[(product.pk, warehouse.pk)]
                level.reorder_point = max(1, math.ceil(2 * demand)) if demand >= 0.25 else 0
                level.reorder_quantity = max(6, math.ceil(4 * demand))
                level.on_hand = self._on_hand(rng, demand, level.reorder_point)
                movements.extend(self._history(rng, level, product, warehouse, user, now))
                levels.append(level)
        return levels, movements

    def _on_hand(self, rng, demand: float, reorder_point: int) -> int:
        roll = rng.random()
        if roll < 0.05:
            return 0  # out of stock
        if roll < 0.15 and reorder_point > 1:
            return rng.randint(1, reorder_point - 1)  # below the reorder point
        return max(1, round(demand * rng.uniform(2.5, 8))) if demand >= 0.25 else rng.randint(0, 12)

    def _history(self, rng, level, product, warehouse, user, now) -> list[StockMovement]:
        issues = [rng.randint(1, max(1, level.reorder_quantity // 2)) for _ in range(rng.randint(0, 3))]
        correction = rng.choice([0, 0, 0, 0, -1, 1, 2])
        if correction > level.on_hand or not level.on_hand:
            correction = 0
        opening = level.on_hand + sum(issues) - correction
        if opening <= 0:
            issues, correction, opening = [], 0, level.on_hand
        moves = [(MovementKind.RECEIPT, opening, "PO-DEMO opening stock", "")] if opening else []
        moves += [(MovementKind.ISSUE, -q, f"SH-DEMO-{rng.randint(1, 99999):05d}", "") for q in issues]
        if correction:
            moves.append((MovementKind.COUNT, correction, "cycle count", ""))
        start = now - timedelta(days=60)
        result, on_hand = [], 0
        for step, (kind, quantity, reference, reason) in enumerate(moves):
            on_hand += quantity
            when = start + timedelta(days=step * 12 + rng.randint(0, 10), hours=rng.randint(7, 17))
            result.append(
                StockMovement(
                    product=product,
                    warehouse=warehouse,
                    kind=kind,
                    quantity=quantity,
                    on_hand_after=on_hand,
                    reference=reference,
                    reason=reason,
                    user=user,
                    created_at=min(when, now),
                )
            )
        return result

    def _save_levels(self, levels: list[StockLevel]) -> None:
        for start in range(0, len(levels), 2000):
            chunk = levels[start : start + 2000]
            values, params = values_sql(
                [(lv.pk, lv.on_hand, lv.reorder_point, lv.reorder_quantity) for lv in chunk],
                ("bigint", "integer", "integer", "integer"),
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE inventory_stocklevel sl SET on_hand = v.on_hand, reorder_point = v.rp, "
                    f"reorder_quantity = v.rq FROM {values} AS v(id, on_hand, rp, rq) WHERE sl.id = v.id",
                    params,
                )
