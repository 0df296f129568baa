"""The event feed (API.md 1.1 "Event feed"): the outbox read as a durable, ordered,
cursor-paginated list for systems that pull (an ERP), kept for ``OMS_EVENT_FEED_RETENTION_DAYS``.

Why not ``WHERE id > cursor``: ids are drawn when a transaction inserts its event, not when it
commits. Transaction A draws id 10, transaction B draws 11 and commits first; a reader sees 11,
moves its cursor past it, and never sees 10 when A commits a moment later.

What we do instead: every outbox row carries the id of the transaction that inserted it
(``feed_txid``, filled by the database's column default ``txid_current()``, migration
``oms.0007``; the write path in ``oms.events`` is unchanged and the ORM does not map the
column). The feed is ordered by ``(feed_txid, id)`` and hands out only events whose transaction
is older than the oldest transaction of this database still running when the reading
statement took its snapshot (``txid_current_snapshot``: its list of running transactions, and
its ``xmax`` when none runs). Every transaction below that horizon has ended, so its events are
all visible and final; every event not yet visible belongs to a transaction at or above the
horizon and therefore sorts after any cursor handed out so far. A reader that follows
``next_cursor`` sees each committed event exactly once.

The price: an event shows up in the feed once every transaction of this database that started
before its own has ended, so a long-running writing transaction holds the feed back (never loses
events). A transaction of another database that ends while the statement runs may count as ours
for that statement, so a page can come back shorter than a moment before (never past an event):
readers keep polling with ``next_cursor``. Read the feed from the primary, not a replica.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from oms.errors import ValidationFailed

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# Events for the system's own bookkeeping, not for integrations.
INTERNAL_EVENTS = frozenset({"oms.ping", "orders.backorders_pending"})
START = (-1, 0)


@dataclass(frozen=True)
class FeedEvent:
    id: int
    type: str
    created_at: datetime
    data: dict
    position: tuple[int, int]  # (feed_txid, id)

    @property
    def cursor(self) -> str:
        return encode_cursor(self.position)


@dataclass(frozen=True)
class FeedPage:
    events: list[FeedEvent]
    next_cursor: str | None
    full: bool  # the page is full: there may be more right now


def event_types() -> list[str]:
    """The catalogue of event types for integrations (the feed's and the webhooks')."""
    from oms.events import HANDLERS

    return sorted(name for name in HANDLERS if name not in INTERNAL_EVENTS)


def event_body(event: FeedEvent) -> dict:
    """An event as the feed lists it and, with ``api_version``, as a webhook carries it
    (``oms.webhooks``): one builder, so both say the same."""
    return {
        "id": str(event.id),
        "type": event.type,
        "created_at": timezone.localtime(event.created_at).isoformat(),
        # Rises with each event of the same subject: the id is drawn from the database's sequence
        # in the publishing transaction, and the events of one order are published under its
        # row lock, so a later event of an order always has a higher id. Not dense.
        "sequence": event.id,
        "data": event.data,
    }


def from_outbox(event) -> FeedEvent:
    """An ``OutboxEvent`` row as a feed event (for building its body)."""
    return FeedEvent(
        id=event.id, type=event.name, created_at=event.created_at, data=event.payload, position=(0, event.id)
    )


def encode_cursor(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}.{position[1]}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """The position a cursor stands for; raises ``ValidationFailed`` ``invalid_cursor``."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        txid, event_id = (int(part) for part in text.split("."))
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise ValidationFailed("Not a cursor of this feed.", code="invalid_cursor", field="after") from exc
    if txid < 0 or event_id < 0:
        raise ValidationFailed("Not a cursor of this feed.", code="invalid_cursor", field="after")
    return txid, event_id


def retention() -> timedelta:
    return timedelta(days=settings.OMS_EVENT_FEED_RETENTION_DAYS)


# The horizon: the oldest transaction that was running when this statement's snapshot was taken
# (else the snapshot's xmax), leaving out transactions that pg_stat_activity shows connected to
# another database of the cluster (they cannot write our outbox, and a test or report there must
# not hold our feed back). A running transaction that cannot be placed counts as ours.
_QUERY = """
WITH snap AS MATERIALIZED (SELECT txid_current_snapshot() AS s),
horizon AS (
    SELECT LEAST(
        txid_snapshot_xmax(s),
        (SELECT min(x) FROM txid_snapshot_xip(s) AS x
          WHERE NOT EXISTS (
              SELECT 1 FROM pg_stat_activity a
               WHERE a.backend_xid = (x %% 4294967296)::text::xid
                 AND a.datname IS DISTINCT FROM current_database()))
    ) AS txid
    FROM snap
)
SELECT e.id, e.name, e.payload, e.created_at, e.feed_txid
  FROM oms_outboxevent e, horizon
 WHERE e.feed_txid < horizon.txid
   AND (e.feed_txid, e.id) > (%s, %s)
   AND e.created_at >= %s
   AND NOT (e.name = ANY(%s))
   {types}
 ORDER BY e.feed_txid, e.id
 LIMIT %s
"""


def feed_page(*, after: str | None = None, types: Iterable[str] | None = None, limit: int = DEFAULT_LIMIT) -> FeedPage:
    """The events after ``after`` (a cursor; None: from the oldest retained event), oldest first,
    of the given ``types`` (None: all), at most ``limit``. One statement, so the horizon and the
    rows come from one snapshot. Locks nothing. Raises ``ValidationFailed`` (``after``, ``limit``)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit is 1 to {MAX_LIMIT}.", code="invalid", field="limit")
    position = decode_cursor(after) if after else START
    wanted = sorted(set(types or ()))
    params: list = [position[0], position[1], timezone.now() - retention(), sorted(INTERNAL_EVENTS)]
    if wanted:
        params.append(wanted)
    params.append(limit)
    sql = _QUERY.format(types="AND e.name = ANY(%s)" if wanted else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    events = [
        FeedEvent(
            id=row[0],
            type=row[1],
            created_at=row[3],
            data=row[2] if isinstance(row[2], dict) else json.loads(row[2]),
            position=(row[4], row[0]),
        )
        for row in rows
    ]
    next_cursor = events[-1].cursor if events else after
    return FeedPage(events=events, next_cursor=next_cursor, full=len(events) == limit)
