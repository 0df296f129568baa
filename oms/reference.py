"""Reference rows every installation needs: the role groups and the dated VAT rates.

Migration 0002 writes them on install; ``ensure_reference_data`` puts them back where a test
database was flushed (transactional tests empty every table)."""

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group

from oms.models import VatRate
from oms.roles import Role

VAT_RATES = [
    ("high", Decimal("21.00"), date(2012, 10, 1)),
    ("low", Decimal("6.00"), date(2001, 1, 1)),
    ("low", Decimal("9.00"), date(2019, 1, 1)),
    ("zero", Decimal("0.00"), date(2001, 1, 1)),
]


def ensure_reference_data() -> None:
    if Group.objects.filter(name__in=Role.values).count() < len(Role.values):
        for role in Role.values:
            Group.objects.get_or_create(name=role)
    if not VatRate.objects.exists():
        VatRate.objects.bulk_create(
            [VatRate(category=c, rate=r, valid_from=d) for c, r, d in VAT_RATES], ignore_conflicts=True
        )
