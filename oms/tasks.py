"""Thin Celery entry points for the outbox and the worker heartbeat."""

import socket

from celery import shared_task
from django.utils import timezone


@shared_task(name="oms.tasks.outbox_dispatch", acks_late=True, ignore_result=True)
def outbox_dispatch(event_ids: int | list[int]) -> list[str]:
    """Dispatch one event or the batch of one transaction (in publishing order)."""
    from oms import events

    return [events.dispatch(event_id) for event_id in ([event_ids] if isinstance(event_ids, int) else event_ids)]


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
