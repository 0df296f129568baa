"""Exception-inbox rules owned by ``billing`` (registered from ``BillingConfig.ready``): prepaid
orders still unpaid some hours after placing, and invoices whose PDF or e-mail has not gone out
some minutes after issue (retry: queue the render and e-mail again)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from billing import selectors
from billing.models import PREPAID_METHODS
from oms import exceptions
from oms.money import format_eur
from oms.roles import Role
from orders import selectors as orders_selectors


def _prepaid_unpaid() -> list[exceptions.Finding]:
    rows = orders_selectors.open_orders_unpaid(
        payment_methods=PREPAID_METHODS,
        placed_before=exceptions.hours_ago("OMS_EXCEPTION_UNPAID_HOURS"),
        limit=exceptions.rule_limit(),
    )
    return [
        exceptions.Finding(
            subject=f"order:{row['id']}",
            title=(
                f"{row['number']} ({row['payment_method']}) unpaid: "
                f"{format_eur(row['gross_amount'] - row['amount_paid'])} open"
            ),
            url=reverse("orders:detail", kwargs={"number": row["number"]}),
            detail={"method": row["payment_method"], "paid": str(row["amount_paid"])},
        )
        for row in rows
    ]


def _undelivered_invoices() -> list[exceptions.Finding]:
    """Unsent invoices past the grace minutes: without a PDF, or with an address to mail to.
    The partial index on unsent invoices keeps it small however long the invoice book grows."""
    rows = selectors.invoices_undelivered(
        issued_before=timezone.now() - timedelta(minutes=settings.OMS_EXCEPTION_INVOICE_UNSENT_MINUTES),
        mailing=_auto_send(),
        limit=exceptions.rule_limit(),
    )
    return [
        exceptions.Finding(
            subject=f"invoice:{row['id']}",
            title=f"Invoice {row['number']} {'has no PDF' if not row['pdf'] else 'not e-mailed'} yet",
            url=reverse("billing:invoice_detail", kwargs={"number": row["number"]}),
            detail={"email": row["buyer_email"]},
        )
        for row in rows
    ]


def _provider_refunds_failed() -> list[exceptions.Finding]:
    """Refunds the provider refused, or that it has not carried out within a day: the customer
    is owed money that has not left (accounting pays it another way, or asks the provider)."""
    rows = selectors.provider_refunds_troubled(
        created_before=timezone.now() - timedelta(hours=24), limit=exceptions.rule_limit()
    )
    return [
        exceptions.Finding(
            subject=f"provider_refund:{row['id']}",
            title=(
                f"Refund {row['refund__reference']} of {format_eur(row['amount'])} "
                f"({row['provider']} {row['provider_payment_id']}): {row['status']}"
            ),
            url=reverse("orders:detail", kwargs={"number": row["refund__order__number"]})
            if row["refund__order__number"]
            else "",
            detail={"error": row["error"]},
            occurrence=row["status"],
        )
        for row in rows
    ]


def _auto_send() -> bool:
    return getattr(settings, "OMS_INVOICE_AUTO_SEND", True)


def _retry_invoice(subject: str, user) -> str:
    from billing.services import delivery

    delivery.invoice_delivery_retry(invoice_id=exceptions.subject_id(subject))
    return "Invoice PDF and e-mail queued again."


def register() -> None:
    exceptions.register(
        exceptions.Rule(
            code="billing.prepaid_unpaid",
            label=gettext_noop("Prepaid orders not paid"),
            role=Role.ACCOUNTING,
            find=_prepaid_unpaid,
        )
    )
    exceptions.register(
        exceptions.Rule(
            code="billing.provider_refund_failed",
            label=gettext_noop("Refunds the payment provider did not carry out"),
            role=Role.ACCOUNTING,
            find=_provider_refunds_failed,
        )
    )
    exceptions.register(
        exceptions.Rule(
            code="billing.invoice_unsent",
            label=gettext_noop("Invoices not sent"),
            role=Role.ACCOUNTING,
            find=_undelivered_invoices,
            retry=_retry_invoice,
        )
    )
