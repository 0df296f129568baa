"""Thin Celery entry points for the outbox and the worker heartbeat."""

import socket

from celery import shared_task
from django.utils import timezone


@shared_task(name="oms.tasks.outbox_dispatch", acks_late=True, ignore_result=True)
def outbox_dispatch(event_ids: int | list[int]) -> list[str]:
    """Dispatch one event or the batch of one transaction (in publishing order). The batch is
    first fanned out to the webhook endpoints (one statement): before the handlers mark the
    events done, so an event whose worker dies in between is sent again by the sweep."""
    from oms import events, webhooks

    ids = [event_ids] if isinstance(event_ids, int) else event_ids
    webhooks.fan_out(ids)
    return [events.dispatch(event_id) for event_id in ids]


@shared_task(name="oms.tasks.webhook_deliver", acks_late=True, ignore_result=True)
def webhook_deliver(delivery_ids: list[int]) -> list[str]:
    """POST each webhook delivery that is due (``oms.webhooks``)."""
    from oms import webhooks

    return webhooks.deliver_many(delivery_ids)


@shared_task(name="oms.tasks.webhooks_sweep", ignore_result=True)
def webhooks_sweep() -> int:
    """Queue the webhook deliveries whose retry is due."""
    from oms import webhooks

    return webhooks.sweep()


@shared_task(name="oms.tasks.outbox_sweep", ignore_result=True)
def outbox_sweep() -> int:
    from oms import events

    return events.sweep()


@shared_task(name="oms.tasks.outbox_prune", ignore_result=True)
def outbox_prune() -> int:
    from oms import events

    return events.prune()


@shared_task(name="oms.tasks.worker_heartbeat", bind=True, ignore_result=True)
def worker_heartbeat(self) -> None:
    from oms.models import WorkerHeartbeat

    name = getattr(self.request, "hostname", None) or socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(worker=name, defaults={"seen_at": timezone.now()})


@shared_task(name="oms.tasks.exceptions_refresh", ignore_result=True)
def exceptions_refresh() -> dict:
    """Every few minutes: sync the exception inbox with the rules."""
    from oms import exceptions

    result = exceptions.refresh_exceptions()
    return {"opened": result.opened, "touched": result.touched, "closed": result.closed}


@shared_task(name="oms.tasks.notification_send", bind=True, acks_late=True, ignore_result=True, max_retries=5)
def notification_send(self, notification_id: int) -> str:
    """Send one customer e-mail, once; retried with back-off when the mail server fails."""
    from oms import notify

    try:
        return notify.notification_send(notification_id=notification_id)
    except Exception as exc:
        if self.request.retries < self.max_retries and not self.request.is_eager:
            raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 900)) from exc
        raise


@shared_task(name="oms.tasks.notifications_sweep", ignore_result=True)
def notifications_sweep() -> int:
    from oms import notify

    return notify.notifications_sweep()
