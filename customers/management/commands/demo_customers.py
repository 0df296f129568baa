"""One demo customer per UCI Online Retail CustomerID (data/online-retail/README.md).

Names, addresses, phones and VAT ids are made up by ``customers.demo`` from a seed per
CustomerID, so a customer looks the same on every machine and every run. Idempotent: customers
whose ``external_ref`` (``uci:<CustomerID>``) exists are skipped. Rows are written with
``bulk_create`` (the values are valid by construction; tests check the generator against the
services' rules), numbers come from the customer sequence in one round trip.
"""

from __future__ import annotations

import csv
import gzip
import random
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from customers import demo
from customers.models import NUMBER_PREFIX, NUMBER_SEQUENCE, Address, Customer
from customers.services.customers import search_document_for
from oms import audit
from oms.numbering import format_number, next_values

DATA_FILE = Path(settings.BASE_DIR) / "data" / "online-retail" / "online_retail.csv.gz"
SMALL_COUNT = 300
# The demo business is Dutch, so the shop's home market (the UK) becomes the Netherlands.
COUNTRIES = {
    "United Kingdom": "NL",
    "Unspecified": "NL",
    "Netherlands": "NL",
    "Germany": "DE",
    "France": "FR",
    "Spain": "ES",
    "Belgium": "BE",
    "Switzerland": "CH",
    "Portugal": "PT",
    "Italy": "IT",
    "Finland": "FI",
    "Austria": "AT",
    "Norway": "NO",
    "Channel Islands": "JE",
    "Japan": "JP",
    "Sweden": "SE",
    "Australia": "AU",
    "Denmark": "DK",
    "Poland": "PL",
    "Cyprus": "CY",
    "Israel": "IL",
    "Greece": "GR",
    "Canada": "CA",
    "USA": "US",
    "EIRE": "IE",
    "United Arab Emirates": "AE",
    "Bahrain": "BH",
    "Malta": "MT",
    "Lithuania": "LT",
    "Iceland": "IS",
    "Singapore": "SG",
    "Lebanon": "LB",
    "Saudi Arabia": "SA",
    "Czech Republic": "CZ",
    "Brazil": "BR",
    "European Community": "BE",
    "RSA": "ZA",
}


def read_customers(path: Path = DATA_FILE) -> dict[int, str]:
    """CustomerID -> ISO country, in order of first appearance (the file is chronological)."""
    customers: dict[int, str] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            raw = row["CustomerID"]
            if raw:
                customers.setdefault(int(float(raw)), COUNTRIES.get(row["Country"], "NL"))
    return customers


def build(customer_id: int, country: str, number: str) -> tuple[Customer, list[Address]]:
    made = demo.customer(random.Random(customer_id), country=country, serial=customer_id)
    customer = Customer(number=number, external_ref=f"uci:{customer_id}", **made.fields)
    customer.search_document = search_document_for(customer, [a["postal_code"] for a in made.addresses])
    addresses = [Address(customer=customer, is_default=True, **values) for values in made.addresses]
    return customer, addresses


class Command(BaseCommand):
    help = "Create one customer per UCI Online Retail CustomerID (skips those already there)."

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true", help=f"only the first {SMALL_COUNT} customers")

    def handle(self, *args, small=False, **options):
        started = time.monotonic()
        wanted = list(read_customers().items())[: SMALL_COUNT if small else None]
        existing = set(
            Customer.objects.filter(external_ref__in=[f"uci:{cid}" for cid, _ in wanted]).values_list(
                "external_ref", flat=True
            )
        )
        todo = [(cid, country) for cid, country in wanted if f"uci:{cid}" not in existing]
        if todo:
            self._create(todo)
        self.stdout.write(
            f"customers: {len(todo)} created, {len(existing)} already there ({time.monotonic() - started:.1f} s)"
        )

    def _create(self, todo: list[tuple[int, str]]) -> None:
        with transaction.atomic(), audit.context(command="demo_customers"):
            numbers = next_values(NUMBER_SEQUENCE, len(todo))
            built = [
                build(cid, country, format_number(NUMBER_PREFIX, n))
                for (cid, country), n in zip(todo, numbers, strict=True)
            ]
            Customer.objects.bulk_create([customer for customer, _ in built], batch_size=1000)
            # The addresses take their customer_id from the customers saved just above.
            Address.objects.bulk_create([a for _, rows in built for a in rows], batch_size=2000)
