"""Demo data for purchasing: the 29 suppliers of Microsoft's Northwind sample database
(purchasing/data/README.md, Ms-PL) selling the demo catalogue, the reorder queue filled by the
scan, and a few purchase orders in every state (draft, sent, partially received, received).

Idempotent: does nothing when the Northwind suppliers are loaded. Run after ``demo_inventory``
(``load_demo_data`` keeps that order)."""

from __future__ import annotations

import csv
import re
import zlib
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils.text import slugify

from inventory.models import Product
from oms.money import quantize
from purchasing.models import ReorderRequest, RequestStatus, Supplier, SupplierProduct
from purchasing.services import (
    goods_receipt_post,
    purchase_order_send,
    purchase_orders_create_from_requests,
    reorder_requests_assign_suppliers,
    reorder_scan,
    supplier_save,
)

DATA = Path(__file__).resolve().parents[2] / "data"
COUNTRIES = {
    "UK": "GB", "USA": "US", "Japan": "JP", "Spain": "ES", "Australia": "AU", "Sweden": "SE",
    "Brazil": "BR", "Germany": "DE", "Italy": "IT", "Norway": "NO", "France": "FR", "Singapore": "SG",
    "Denmark": "DK", "Netherlands": "NL", "Finland": "FI", "Canada": "CA",
}  # fmt: skip
# Days from order to our door in Amsterdam or Rotterdam, by how far away the supplier is.
LEAD_TIMES = {"NL": 2, "DE": 3, "DK": 4, "FR": 4, "GB": 5, "IT": 5, "ES": 5, "SE": 5, "NO": 6, "FI": 6}
OVERSEAS_LEAD_TIME = 21
PAYMENT_TERMS = (14, 30, 30, 60)
PACK_RE = re.compile(r"^(\d+)\s*(?:-|boxes|bags|pkgs|pies|pieces|gift)")


def pack_size(quantity_per_unit: str) -> int:
    """``24 - 12 oz bottles`` -> 24; ``1 kg pkg.`` (a weight, not a count) -> 1; at most 48."""
    match = PACK_RE.match(quantity_per_unit.strip())
    return min(int(match.group(1)), 48) if match else 1


def _postal_code(row: dict, country: str) -> str:
    # Northwind's one Dutch supplier has the placeholder postcode "9999 ZZ"; Zaandam's is 1506.
    return "1506 AB" if country == "NL" else row["postal_code"]


class Command(BaseCommand):
    help = "Load the Northwind suppliers, their prices for the demo catalogue, reorder requests and purchase orders."

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true", help="(the catalogue decides the size)")

    def handle(self, *args, small: bool = False, **options):
        rows = list(csv.DictReader((DATA / "northwind_suppliers.csv").open(encoding="utf-8")))
        if Supplier.objects.filter(name=rows[0]["company_name"]).exists():
            self.stdout.write("purchasing demo data already loaded")
            return
        products = list(Product.objects.filter(active=True).order_by("id"))
        if not products:
            self.stdout.write("purchasing: no catalogue to buy for; run demo_inventory first")
            return
        suppliers = {int(row["supplier_id"]): self._supplier(row) for row in rows}
        offers = self._offers(products, suppliers)
        reorder_requests_assign_suppliers()  # requests raised by demo orders before suppliers existed
        raised = reorder_scan()
        orders = self._purchase_orders()
        self.stdout.write(
            f"purchasing: {len(suppliers)} suppliers, {offers} supplier products, "
            f"{raised} reorder requests, {orders} purchase orders"
        )

    def _supplier(self, row: dict) -> Supplier:
        country = COUNTRIES.get(row["country"], "NL")
        digest = zlib.crc32(row["company_name"].encode())
        return supplier_save(
            user=None,
            name=row["company_name"],
            contact_name=row["contact_name"],
            email=f"orders@{slugify(row['company_name'])[:40]}.example",
            phone=re.sub(r"[^0-9+()./\- ]", "", row["phone"]).strip(),
            address=row["address"],
            postal_code=_postal_code(row, country),
            city=row["city"],
            country=country,
            payment_terms_days=PAYMENT_TERMS[digest % len(PAYMENT_TERMS)],
            lead_time_days=LEAD_TIMES.get(country, OVERSEAS_LEAD_TIME),
            notes=f"Northwind supplier {row['supplier_id']}; {row['contact_title']}.",
        )

    def _offers(self, products: list[Product], by_northwind_id: dict[int, Supplier]) -> int:
        """Every product gets a preferred supplier and a third of them a second, cheaper or
        dearer one; pack sizes come from what that supplier packs in Northwind."""
        packs = defaultdict(list)
        for row in csv.DictReader((DATA / "northwind_products.csv").open(encoding="utf-8")):
            packs[int(row["supplier_id"])].append(pack_size(row["quantity_per_unit"]))
        ids = sorted(by_northwind_id)
        offers = []
        for product in products:
            digest = zlib.crc32(product.sku.encode())
            first = ids[digest % len(ids)]
            offers.append(self._offer(product, by_northwind_id[first], packs[first], digest, preferred=True))
            second = ids[(digest // len(ids)) % len(ids)]
            if digest % 3 == 0 and second != first:
                offers.append(
                    self._offer(product, by_northwind_id[second], packs[second], digest >> 8, preferred=False)
                )
        SupplierProduct.objects.bulk_create(offers, batch_size=2000)
        return len(offers)

    def _offer(self, product: Product, supplier: Supplier, packs: list[int], digest: int, *, preferred: bool):
        pack = packs[digest % len(packs)] if packs else 1
        pack = pack if product.list_price < 20 else 1  # big-ticket items come one by one
        factor = Decimal(45 + digest % 21) / 100  # cost is 45-65 % of our list price
        return SupplierProduct(
            supplier=supplier,
            product=product,
            supplier_sku=f"{re.sub('[^A-Z]', '', supplier.name.upper())[:4]}-{product.sku}",
            unit_cost=max(quantize(product.list_price * factor), Decimal("0.01")),
            min_order_quantity=pack * (2 if digest % 5 == 0 else 1),
            pack_size=pack,
            lead_time_days=None if digest % 4 else supplier.lead_time_days + 2,
            preferred=preferred,
        )

    def _purchase_orders(self) -> int:
        """Four suppliers' open requests become purchase orders: one stays a draft, one is sent,
        one is partly received and one received in full."""
        users = {u.username: u for u in get_user_model().objects.filter(username__in=["purchasing", "warehouse"])}
        buyer, clerk = users.get("purchasing"), users.get("warehouse")
        by_supplier = defaultdict(list)
        for request in ReorderRequest.objects.filter(status=RequestStatus.OPEN, supplier__isnull=False).order_by(
            "supplier__name", "id"
        ):
            by_supplier[(request.supplier_id, request.warehouse_id)].append(request.pk)
        groups, seen = [], set()
        for (supplier_id, _), ids in sorted(by_supplier.items()):
            if len(ids) >= 2 and supplier_id not in seen and len(groups) < 4:
                groups.append(ids[:6])
                seen.add(supplier_id)
        # Demo suppliers have made-up addresses: keep their e-mails in this process (when tasks
        # run inline, the console backend would print every PDF).
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for step, ids in enumerate(groups):
                (po,) = purchase_orders_create_from_requests(request_ids=ids, user=buyer)
                if step == 0:
                    continue
                purchase_order_send(purchase_order_id=po.pk, user=buyer)
                lines = list(po.lines.order_by("line_no"))
                if step == 2:
                    goods_receipt_post(
                        purchase_order_id=po.pk,
                        quantities={lines[0].pk: max(lines[0].quantity_ordered // 2, 1)},
                        user=clerk,
                    )
                elif step == 3:
                    goods_receipt_post(
                        purchase_order_id=po.pk, quantities={ln.pk: ln.quantity_ordered for ln in lines}, user=clerk
                    )
        return len(groups)
