"""Handlers owned by ``oms`` itself. ``oms.ping`` lets operators (and the tests) check the
whole path publish -> broker -> worker -> handler without touching business data."""

from django.utils import timezone

from oms.models import WorkerHeartbeat


def record_ping(event) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker=f"ping:{event.payload.get('tag', '')}", defaults={"seen_at": timezone.now()}
    )
