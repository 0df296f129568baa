"""The transactional outbox (ARCHITECTURE "Events and workers").

``publish`` writes the event row in the caller's transaction. After commit the event id is
handed to Celery (with Redis as the broker, by this process's hand-off thread a moment later:
``oms.broker``); when the broker is unreachable the hand-off fails fast and the beat-scheduled
``sweep`` sends it later. ``dispatch`` runs every registered handler of the event, each inside
its own transaction together with a ``HandlerRun`` row whose unique constraint makes the handler
take effect at most once per event, even when the event is delivered twice at the same time.
After ``OMS_OUTBOX_MAX_ATTEMPTS`` failed dispatches the event is parked as dead (admin: retry).

Handlers take the event (``event.id``, ``event.name``, ``event.payload``) and run inside the
dispatch transaction, so they call non-durable services and queue I/O with ``on_commit``.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from oms.models import HandlerRun, OutboxEvent, OutboxStatus
from oms.sql import execute_prepared, saved_instance

logger = logging.getLogger(__name__)

# Who handles what: the one table of subscriptions, by dotted path so that `oms` imports no app.
# Each later app adds its rows here in the change that adds the handler.
HANDLERS: dict[str, list[str]] = {
    "order.placed": [
        "purchasing.events.on_order_placed",
        "billing.events.order_placed",
        "orders.notifications.on_order_placed",
    ],
    "order.allocated": [],
    "order.backordered": ["purchasing.events.on_order_backordered", "orders.notifications.on_order_backordered"],
    "order.cancelled": [
        "orders.events.stock_released",
        "billing.events.order_cancelled",
        "shipping.events.order_cancelled",
    ],
    "order.held": [],
    "order.picking_started": [],
    "order.partially_shipped": [],
    "order.shipped": [],
    "order.delivered": [],
    "order.completed": [],
    "order.changed": ["orders.events.stock_released"],
    "order.returned": [],
    "orders.backorders_pending": ["orders.events.backorders_pending"],
    "stock.low": ["purchasing.events.on_stock_low"],
    "stock.received": ["orders.events.stock_received"],
    "stock.expected_changed": ["orders.events.promises_refresh"],
    "shipment.handed_off": ["billing.events.shipment_handed_off"],
    "shipment.delivered": [],
    "shipment.failed": [],
    "return.received": ["billing.events.return_received"],
    "invoice.issued": [],
    "payment.received": ["billing.events.payment_received"],
    "oms.ping": ["oms.handlers.record_ping"],
}


def handlers_for(name: str) -> list[str]:
    return list(HANDLERS.get(name, ()))


def publish(name: str, payload: dict) -> OutboxEvent:
    """Record an event in the current transaction; it is sent to Celery after commit.

    Payloads carry ids and small scalars only (amounts as strings). All events of one
    transaction go to the broker in one message after commit (one round trip, not one each).
    """
    return publish_many([(name, payload)])[0]


def publish_many(events: list[tuple[str, dict]]) -> list[OutboxEvent]:
    """``publish`` for several events of one use case in one statement (an order placed and
    allocated): one round trip to the database instead of one per event, ids in the given order."""
    if not events:
        return []
    names = [name for name, _ in events]
    payloads = [json.dumps(payload) for _, payload in events]
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            "oms_outbox_publish",
            outbox_insert("$2::text[]", "$3::text[]", source="", status="$1"),
            [OutboxStatus.PENDING, names, payloads],
        )
        rows = sorted(cursor.fetchall())  # ids rise with the insert order (one sequence)
    return published(
        [event_id for event_id, _, _ in rows], rows[0][1], rows[0][2], [payload for _, payload in events], names
    )


def outbox_insert(names: str, payloads: str, *, source: str, status: str = f"'{OutboxStatus.PENDING}'") -> str:
    """An ``INSERT`` of one pending event per element of the SQL text array ``names``, with the
    payload of the same position in ``payloads`` (a text array of JSON objects), ``RETURNING id,
    created_at, txid_current()``. ``source`` is a relation the arrays' expressions may read (the
    order writer's ``o``, whose id its payloads carry), or empty.

    For a writer that records a use case in one statement (a data-modifying CTE, as an order
    placement): its events then cost no round trip of their own. It hands what the CTE returned
    to ``published``, which sends them after commit as ``publish`` does."""
    source = f"{source}, " if source else ""
    return (
        "INSERT INTO oms_outboxevent (name, payload, status, attempts, last_error, created_at) "
        f"SELECT e.name, e.payload::jsonb, {status}, 0, '', now() "
        f"FROM {source}unnest({names}, {payloads}) WITH ORDINALITY AS e(name, payload, n) ORDER BY e.n "
        "RETURNING id, created_at, txid_current()"
    )


def published(ids: list[int], created_at, txid: int, payloads: list[dict], names: list[str]) -> list[OutboxEvent]:
    """The events an ``outbox_insert`` wrote (``ids`` ascending, in ``names``' order; one
    ``created_at`` and ``txid``: one transaction's), queued for the broker after commit."""
    if connection.in_atomic_block:
        _batch_for(txid).extend(ids)
    else:  # autocommit: the rows are committed already
        hand_off(list(ids))
    return [
        _written(event_id, name, payload, created_at)
        for event_id, name, payload in zip(ids, names, payloads, strict=True)
    ]


def _written(event_id: int, name: str, payload: dict, created_at) -> OutboxEvent:
    # the rows as written, built as the ORM builds rows it reads, without reading them back (oms.sql)
    return saved_instance(
        OutboxEvent,
        {
            "id": event_id,
            "name": name,
            "payload": payload,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "last_error": "",
            "created_at": created_at,
            "next_attempt_at": None,
            "handled_at": None,
        },
    )


class _Batch(list):
    def __init__(self, txid: int, path: tuple) -> None:
        super().__init__()
        self.txid, self.path = txid, path


_local = threading.local()


def _batch_for(txid: int) -> _Batch:
    """The batch of event ids to hand off when the current transaction commits.

    A batch is reused while we are in the same transaction and still inside the savepoint it
    was opened in (its on-commit callback lives as long as that savepoint); otherwise a new
    batch registers its own callback. A rolled-back savepoint drops its callback together with
    its event rows, which is exactly right.
    """
    path = tuple(connection.savepoint_ids)
    batch = getattr(_local, "batch", None)
    if batch is not None and batch.txid == txid and path[: len(batch.path)] == batch.path:
        return batch
    batch = _local.batch = _Batch(txid, path)
    transaction.on_commit(partial(_flush, batch))
    return batch


def _flush(batch: _Batch) -> None:
    if getattr(_local, "batch", None) is batch:
        _local.batch = None
    if batch:
        hand_off(list(batch))


def hand_off(event_ids: list[int]) -> None:
    """Events just committed: to this process's hand-off thread when the broker is Redis (it
    pushes them a moment later, off the request's path: ``oms.broker``), else sent now."""
    from oms.broker import queue_outbox_batch

    if not queue_outbox_batch(event_ids):
        send(event_ids)


def send(event_ids: int | list[int]) -> bool:
    """Hand events to Celery; never raises, because the sweep will retry what fails here."""
    from oms.broker import send_outbox_batch

    try:
        send_outbox_batch(event_ids)
    except Exception as exc:  # broker down or frozen: the sweep picks the events up later
        logger.warning("outbox: could not hand events %s to the broker: %s", event_ids, exc)
        return False
    return True


def dispatch(event_id: int) -> str:
    """Run the handlers of one event that have not yet run; returns the event's new status."""
    event = OutboxEvent.objects.filter(pk=event_id).first()
    if event is None or event.status != OutboxStatus.PENDING:
        return event.status if event else "missing"
    errors = [err for path in handlers_for(event.name) if (err := _run_handler(event, path))]
    return _record_outcome(event.pk, errors)


def _run_handler(event: OutboxEvent, path: str) -> str | None:
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    # A concurrent dispatch of the same event waits here on the unique index
                    # until the first commits, then skips: the handler's effect happens once.
                    HandlerRun.objects.create(event=event, handler=path)
            except IntegrityError:
                return None
            import_string(path)(event)
    except Exception as exc:
        logger.exception("outbox: handler %s failed for event %s", path, event.pk)
        return f"{path}: {type(exc).__name__}: {exc}"
    return None


def _record_outcome(event_id: int, errors: list[str]) -> str:
    with transaction.atomic():
        event = OutboxEvent.objects.select_for_update().get(pk=event_id)
        if event.status != OutboxStatus.PENDING:
            return event.status
        now = timezone.now()
        if not errors:
            event.status, event.handled_at, event.last_error = OutboxStatus.DONE, now, ""
            event.save(update_fields=["status", "handled_at", "last_error"])
            return event.status
        event.attempts += 1
        event.last_error = "\n".join(errors)[:4000]
        if event.attempts >= settings.OMS_OUTBOX_MAX_ATTEMPTS:
            event.status = OutboxStatus.DEAD
            logger.error("outbox: event %s (%s) is dead after %s attempts", event.pk, event.name, event.attempts)
        else:
            event.next_attempt_at = now + _backoff(event.attempts)
        event.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        return event.status


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def due_event_ids(limit: int = 500) -> list[int]:
    """Pending events old enough that their on-commit hand-off should have happened."""
    now = timezone.now()
    grace = now - timedelta(seconds=settings.OMS_OUTBOX_SWEEP_GRACE_SECONDS)
    return list(
        OutboxEvent.objects.filter(status=OutboxStatus.PENDING, created_at__lte=grace)
        .exclude(next_attempt_at__gt=now)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def sweep(*, inline: bool = False, limit: int = 500, chunk: int = 50) -> int:
    """Re-send (or, with ``inline``, dispatch here) every due pending event. Returns the count."""
    ids = due_event_ids(limit)
    if inline:
        for event_id in ids:
            dispatch(event_id)
        return len(ids)
    for start in range(0, len(ids), chunk):
        if not send(ids[start : start + chunk]):
            break  # the broker is down: stop trying until the next sweep
    return len(ids)


def retry_dead(event_ids: list[int]) -> int:
    """Give dead events a fresh set of attempts (the admin's retry action)."""
    with transaction.atomic():
        count = OutboxEvent.objects.filter(pk__in=event_ids, status=OutboxStatus.DEAD).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=None
        )
        transaction.on_commit(partial(send, sorted(event_ids)))
    return count


def prune(keep_days: int | None = None) -> int:
    # The event feed (oms.feed) serves events for its own retention: keep them at least that long.
    days = max(keep_days or settings.OMS_OUTBOX_KEEP_DAYS, settings.OMS_EVENT_FEED_RETENTION_DAYS)
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = OutboxEvent.objects.filter(status=OutboxStatus.DONE, handled_at__lt=cutoff).delete()
    return deleted


def outbox_lag_seconds() -> float:
    """Age of the oldest pending event (0 when nothing waits)."""
    oldest = (
        OutboxEvent.objects.filter(status=OutboxStatus.PENDING).order_by("id").values_list("created_at", flat=True)
    ).first()
    return (timezone.now() - oldest).total_seconds() if oldest else 0.0
