"""Customers ready to invoice and invoices issued through the services (an issued invoice only
exists together with its journal entry, so there is no row-level invoice factory)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.services import invoice_issue
from customers.models import AddressKind
from tests.factories.customers import AddressFactory, CustomerFactory

LINES = [
    {"description": "Mok rood", "sku": "MUG-RED", "quantity": 2, "unit_price": "8.26", "vat_category": "high"},
    {"description": "Koffiebonen 1 kg", "sku": "COF-1KG", "quantity": 1, "unit_price": "14.50", "vat_category": "low"},
]


def b2c_customer(**fields):
    customer = CustomerFactory(**fields)
    AddressFactory(
        customer=customer,
        kind=AddressKind.BILLING,
        street="Oudegracht",
        house_number="12",
        postal_code="3511 AB",
        city="Utrecht",
    )
    return customer


def b2b_customer(*, country: str = "NL", vat_id: str = "NL000099998B57", **fields):
    customer = CustomerFactory(b2b=True, vat_id=vat_id, **fields)
    postal = {"NL": "1012 LG", "DE": "10115", "BE": "1000", "US": "10001"}.get(country, "12345")
    AddressFactory(
        customer=customer,
        kind=AddressKind.BILLING,
        street="Handelsweg",
        house_number="7",
        postal_code=postal,
        city="Stad",
        country=country,
    )
    return customer


def issue(customer=None, lines=None, *, supply_date: date | None = None, user=None, **kwargs):
    return invoice_issue(
        customer=customer or b2c_customer(),
        lines=LINES if lines is None else lines,
        supply_date=supply_date or date.today(),
        user=user,
        **kwargs,
    )


def line(quantity=1, unit_price="10.00", category="high", discount="0.00", **extra) -> dict:
    return {
        "description": extra.pop("description", "Artikel"),
        "quantity": quantity,
        "unit_price": Decimal(unit_price),
        "vat_category": category,
        "discount": Decimal(discount),
        **extra,
    }
