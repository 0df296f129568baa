"""Exception-inbox rule owned by ``purchasing`` (registered from ``PurchasingConfig.ready``):
purchase orders past their expected date and not fully received."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from oms import exceptions
from oms.roles import Role
from purchasing.models import RECEIVABLE, PurchaseOrder


def _overdue_receipts() -> list[exceptions.Finding]:
    before = timezone.localdate() - timedelta(days=settings.OMS_EXCEPTION_PO_OVERDUE_DAYS)
    rows = (
        PurchaseOrder.objects.filter(status__in=RECEIVABLE, expected_date__lt=before)
        .order_by("expected_date", "id")
        .values("id", "number", "status", "expected_date", "supplier__name")[: exceptions.rule_limit()]
    )
    return [
        exceptions.Finding(
            subject=f"purchase_order:{row['id']}",
            title=(
                f"{row['number']} from {row['supplier__name']} expected {row['expected_date']:%d-%m-%Y}, "
                f"{'partly received' if row['status'] == 'partially_received' else 'not received'}"
            ),
            url=reverse("purchasing:po_detail", kwargs={"number": row["number"]}),
            detail={"status": row["status"]},
            occurrence=row["expected_date"].isoformat(),
        )
        for row in rows
    ]


def register() -> None:
    exceptions.register(
        exceptions.Rule(
            code="purchasing.receipt_overdue",
            label=gettext_noop("Purchase orders overdue"),
            role=Role.PURCHASING,
            find=_overdue_receipts,
        )
    )
