"""Customers and their addresses (layer 1).

Numbers (``C-000001``) come from a PostgreSQL sequence; every change goes through
``customers.services`` and is recorded by the audit trail (``oms.audit.track``).
``PaymentMethod`` lives here so that orders and billing use the same choices.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from oms import audit
from oms.money import money_field

NUMBER_SEQUENCE = "customers_customer_number"
NUMBER_PREFIX = "C"


class CustomerKind(models.TextChoices):
    B2C = "b2c", _("Consumer (B2C)")
    B2B = "b2b", _("Business (B2B)")


class PaymentMethod(models.TextChoices):
    IDEAL = "ideal", _("iDEAL")
    CARD = "card", _("Card")
    PIN = "pin", _("PIN (debit card)")
    CASH = "cash", _("Cash")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    KLARNA = "klarna", _("Klarna")
    RIVERTY = "riverty", _("Riverty (AfterPay)")
    ON_ACCOUNT = "on_account", _("On account")


class Language(models.TextChoices):
    NL = "nl", "Nederlands"
    EN = "en", "English"


class AddressKind(models.TextChoices):
    BILLING = "billing", _("Billing")
    SHIPPING = "shipping", pgettext_lazy("address kind", "Shipping")


# search_document and updated_at change on every write; leaving them out of the audit trail keeps
# the history to changes a person made (and a search-only refresh writes no audit row at all).
@audit.track(exclude=["search_document", "updated_at"])
class Customer(models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    kind = models.CharField(max_length=3, choices=CustomerKind.choices, default=CustomerKind.B2C)
    name = models.CharField(max_length=200)
    company_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = PhoneNumberField(blank=True, region="NL")
    vat_id = models.CharField("VAT id", max_length=20, blank=True)
    coc_number = models.CharField("KvK number", max_length=8, blank=True)
    preferred_payment_method = models.CharField(
        max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.IDEAL
    )
    payment_terms_days = models.PositiveSmallIntegerField(default=14)
    credit_limit = money_field(default=Decimal("0.00"))
    credit_hold = models.BooleanField(default=False)
    credit_hold_reason = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.NL)
    notes = models.TextField(blank=True)
    external_ref = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # Lower-cased, accent-folded text of number, names, e-mail, phone, VAT/KvK and postcodes,
    # kept by the services; one trigram index on it serves search as you type.
    search_document = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Case-insensitive and only among customers that have an e-mail: find-or-create by
            # e-mail relies on it to stay at one customer under concurrency.
            models.UniqueConstraint(Lower("email"), name="customer_email_unique_ci", condition=~Q(email="")),
            models.CheckConstraint(condition=Q(kind__in=CustomerKind.values), name="customer_kind_valid"),
            models.CheckConstraint(
                condition=Q(preferred_payment_method__in=PaymentMethod.values), name="customer_payment_method_valid"
            ),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="customer_language_valid"),
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="customer_credit_limit_not_negative"),
            models.CheckConstraint(condition=Q(payment_terms_days__lte=365), name="customer_payment_terms_range"),
            models.CheckConstraint(
                condition=Q(kind=CustomerKind.B2C) | ~Q(company_name=""), name="customer_b2b_has_company"
            ),
            models.CheckConstraint(
                condition=~Q(preferred_payment_method=PaymentMethod.ON_ACCOUNT) | Q(kind=CustomerKind.B2B),
                name="customer_on_account_is_b2b",
            ),
            models.CheckConstraint(
                condition=Q(coc_number="") | Q(coc_number__regex=r"^[0-9]{8}$"), name="customer_coc_number_format"
            ),
        ]
        indexes = [
            GinIndex(fields=["search_document"], opclasses=["gin_trgm_ops"], name="customer_search_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.kind == CustomerKind.B2B and self.company_name:
            return f"{self.company_name} ({self.name})" if self.name else self.company_name
        return self.name

    @property
    def is_b2b(self) -> bool:
        return self.kind == CustomerKind.B2B


@audit.track()
class Address(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=10, choices=AddressKind.choices)
    street = models.CharField(max_length=200)
    house_number = models.CharField(max_length=10, blank=True)
    house_number_addition = models.CharField(max_length=10, blank=True)
    postal_code = models.CharField(max_length=12)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, default="NL")
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"], condition=Q(is_default=True), name="address_one_default_per_kind"
            ),
            models.CheckConstraint(condition=Q(kind__in=AddressKind.values), name="address_kind_valid"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="address_country_iso2"),
        ]
        indexes = [models.Index(fields=["customer", "kind"], name="address_customer_kind_idx")]

    def __str__(self) -> str:
        return self.one_line

    @property
    def house(self) -> str:
        """``12A`` for a letter addition, ``12-2`` for anything else (PostNL style)."""
        addition = self.house_number_addition
        if not addition:
            return self.house_number
        return f"{self.house_number}{addition}" if addition.isalpha() else f"{self.house_number}-{addition}"

    @property
    def one_line(self) -> str:
        street = f"{self.street} {self.house}".strip()
        country = "" if self.country == "NL" else f", {self.country}"
        return f"{street}, {self.postal_code} {self.city}{country}"

    def as_snapshot(self) -> dict[str, str]:
        """The address as plain values, for documents that keep a copy (orders, invoices)."""
        return {
            "street": self.street,
            "house_number": self.house_number,
            "house_number_addition": self.house_number_addition,
            "postal_code": self.postal_code,
            "city": self.city,
            "country": self.country,
        }


class IbanSource(models.TextChoices):
    MANUAL = "manual", _("Entered")
    BANK_STATEMENT = "bank_statement", _("Learned from a bank statement")


class CustomerIban(models.Model):
    """A bank account (IBAN, compact and upper case) a customer pays from. Bank statement
    matching looks customers up by it; a line matched to a customer teaches its IBAN here. One
    IBAN may belong to more than one customer (a couple, a bookkeeper): matching then trusts it
    only when it names one customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ibans")
    iban = models.CharField("IBAN", max_length=34)
    source = models.CharField(max_length=20, choices=IbanSource.choices, default=IbanSource.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "iban"], name="customer_iban_once"),
            models.CheckConstraint(condition=Q(iban__regex=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"), name="iban_compact"),
            models.CheckConstraint(condition=Q(source__in=IbanSource.values), name="customer_iban_source_valid"),
        ]
        indexes = [models.Index(fields=["iban"], name="customer_iban_lookup")]

    def __str__(self) -> str:
        return self.iban
