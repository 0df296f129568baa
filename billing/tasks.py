"""Celery entry points of billing: thin, idempotent, ids in, one service step each.

``invoice_pdf_render`` is queued after an invoice commits (and by the batch and the sweep):
it renders and stores the PDF once, then e-mails it once. Running it twice changes nothing.
"""

from __future__ import annotations

from celery import shared_task

MAX_RETRIES = 5


@shared_task(
    name="billing.tasks.invoice_pdf_render", bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES
)
def invoice_pdf_render(self, invoice_id: int, send: bool = True, batch_id: int | None = None) -> str:
    from billing.models import SendOutcome
    from billing.services import delivery

    try:
        delivery.invoice_pdf_render(invoice_id=invoice_id)
        outcome = delivery.invoice_email_send(invoice_id=invoice_id) if send else SendOutcome.SKIPPED
    except Exception as exc:
        if self.request.retries < self.max_retries and not self.request.is_eager:
            raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 600)) from exc
        if batch_id:
            delivery.send_batch_item_finish(
                batch_id=batch_id,
                invoice_id=invoice_id,
                outcome=SendOutcome.FAILED,
                error=f"{type(exc).__name__}: {exc}",
            )
        raise
    if batch_id:
        delivery.send_batch_item_finish(batch_id=batch_id, invoice_id=invoice_id, outcome=outcome)
    return str(outcome)


@shared_task(name="billing.tasks.invoice_deliveries_sweep", ignore_result=True)
def invoice_deliveries_sweep() -> int:
    from billing.services import delivery

    return delivery.invoice_deliveries_sweep()


@shared_task(name="billing.tasks.invoices_mark_overdue", ignore_result=True)
def invoices_mark_overdue() -> int:
    from billing.services import invoices

    return invoices.invoices_mark_overdue()


@shared_task(name="billing.tasks.invoice_reminders_send", ignore_result=True, acks_late=True)
def invoice_reminders_send() -> dict:
    """Nightly: mark overdue invoices and e-mail the reminders due (once per stage)."""
    from billing.services import reminders

    return reminders.invoice_reminders_send()


@shared_task(name="billing.tasks.payment_fetch", acks_late=True, ignore_result=True)
def payment_fetch(provider: str, payment_id: str) -> str:
    """Fetch a payment the provider's webhook named, and record it when paid (idempotent)."""
    from billing.services import psp

    return psp.payment_fetch_run(provider=provider, payment_id=payment_id)


@shared_task(name="billing.tasks.payment_fetches_sweep", ignore_result=True)
def payment_fetches_sweep() -> int:
    from billing.services import psp

    return psp.payment_fetches_sweep()


@shared_task(name="billing.tasks.mollie_settlements_import", ignore_result=True)
def mollie_settlements_import() -> str:
    """Every morning: fetch Mollie's new settlements (idempotent: imported ones are skipped).
    Off while no access token is set; an unreachable Mollie is tried again the next morning."""
    from django.conf import settings

    from billing.services import mollie_settlements

    if not settings.OMS_MOLLIE_SETTLEMENTS.get("access_token"):
        return "off"
    result = mollie_settlements.mollie_settlements_import(user=None)
    return f"{len(result.created)} new, {len(result.waiting)} waiting"


@shared_task(name="billing.tasks.payment_link_create", acks_late=True, ignore_result=True)
def payment_link_create(link_id: int) -> str:
    """Make one payment link at the provider (claimed, idempotent; failures wait for the sweep)."""
    from billing.services import payment_links

    return payment_links.payment_link_create_run(link_id=link_id)


@shared_task(name="billing.tasks.payment_links_sweep", ignore_result=True)
def payment_links_sweep() -> dict:
    """Every minute: links and provider refunds whose back-off ended or whose message was lost."""
    from billing.services import payment_links, provider_refunds

    return {"links": payment_links.payment_links_sweep(), "refunds": provider_refunds.provider_refunds_sweep()}


@shared_task(name="billing.tasks.provider_refund_send", acks_late=True, ignore_result=True)
def provider_refund_send(refund_id: int) -> str:
    """Send one refund through the provider, or ask how it stands (claimed, idempotent)."""
    from billing.services import provider_refunds

    return provider_refunds.provider_refund_run(refund_id=refund_id)


@shared_task(name="billing.tasks.unpaid_orders_chase", ignore_result=True, acks_late=True)
def unpaid_orders_chase() -> dict:
    """Every ten minutes: remind, then cancel, prepaid orders that are not paid (once each), and
    invoice those paid in full whose ``payment.received`` handler never issued the invoice."""
    from billing.services import orders, unpaid

    return {**unpaid.unpaid_orders_chase(), "invoiced": orders.prepaid_orders_invoice_sweep()}
