"""Deliver once: the one way OMS sends something that must go out exactly once and must not be
lost (a customer e-mail, an invoice, a purchase order to a supplier, a carrier hand-off).

A ``Delivery`` row per ``(kind, key)`` is written in the transaction of the event it is about
(``deliver``); after commit the kind's task is queued by name. A try:

1. ``claim``: one conditional UPDATE (``pending``, or ``claimed`` whose ``claimed_until`` has
   passed: its worker died) that counts the attempt, so a task delivered twice, or the sweep
   and a retry at once, do the work once;
2. the caller does the work outside any transaction;
3. ``succeed`` records ``sent``; ``fail`` gives the claim back with the next try's due time
   (doubling back-off) or, after the kind's last try (or at once for a refusal), ``dead``.
   Both are conditional on the claim, so a try that lost its claim changes nothing.

``sweep`` (beat) queues the rows that are due but whose task was lost; ``retry`` (the *Retry*
buttons) gives a row a fresh set of tries. Dead rows show in the exception inbox under the
rule ``<kind>.dead`` unless the kind's app lists them under a rule of its own.

Kinds are registered by the app that owns them (``register`` from ``AppConfig.ready()``).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from oms.models import Delivery, DeliveryState
from oms.roles import Role
from oms.tasks_registry import enqueue

logger = logging.getLogger(__name__)

# A try due a moment from now may run: a task's countdown and the due time are taken apart.
DUE_SLACK = timedelta(seconds=1)


@dataclass(frozen=True)
class Kind:
    code: str  # "billing.invoice_email"
    task: str  # the Celery task (by name) that makes one try; called with the key
    label: str  # "Invoice e-mail" (the exception inbox)
    max_attempts: int | Callable[[], int] = 8  # a callable reads a setting at the time
    claim_timeout: timedelta = timedelta(minutes=15)
    first_retry_seconds: float | Callable[[], float] = 30.0
    max_retry_seconds: float = 900.0
    sweep_grace: timedelta = timedelta(minutes=5)  # a fresh row is left to its own task
    role: str = Role.CUSTOMER_SERVICE  # who sees it in the exception inbox
    url: Callable[[str], str] | None = None  # the subject's page, from the key
    inbox_label: str = ""  # the exception inbox's rule (wrap in gettext_noop)
    own_rule: bool = False  # the app lists its dead rows in a rule of its own


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add (or replace, on autoreload) a kind and, unless it has its own, its inbox rule."""
    KINDS[kind.code] = kind
    if not kind.own_rule:
        _register_rule(kind)
    return kind


@dataclass(frozen=True)
class Claim:
    """A try in progress: ``token`` is the claim's expiry, which the closing UPDATE matches."""

    delivery_id: int
    kind: str
    key: str
    attempts: int
    token: datetime
    started_at: datetime


@dataclass(frozen=True)
class Failure:
    final: bool  # dead now
    retry_in: float | None  # seconds until the next try (None when final)
    recorded: bool  # False: the claim was lost meanwhile, nothing changed


_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("oms_deliver_once_paused", default=False)


@contextmanager
def paused() -> Iterator[None]:
    """Write deliveries without queueing them (bulk loads such as the demo data)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def is_paused() -> bool:
    return _paused.get()


def deliver(kind: str, key: str | int, *, due_at: datetime | None = None, queue: bool = True) -> Delivery | None:
    """Write the delivery in the caller's transaction and queue its task after commit (unless
    paused or ``queue`` is False). Once per key: a second call changes nothing and returns None."""
    key = str(key)
    delivery = Delivery(kind=kind, key=key, next_attempt_at=due_at or timezone.now())
    if not _insert_once(delivery):
        return None
    if queue and not _paused.get():
        transaction.on_commit(partial(queue_try, kind, key))
    return delivery


def deliver_new(kind: str, keys: list[str | int]) -> None:
    """``deliver`` for many keys that have no delivery yet (a caller that just made their
    subjects): one INSERT, each queued after commit. A key that has one already is an
    ``IntegrityError`` (the caller's transaction rolls back and its retry finds the subjects)."""
    keys = [str(key) for key in keys]
    if not keys:
        return
    now = timezone.now()
    Delivery.objects.bulk_create([Delivery(kind=kind, key=key, next_attempt_at=now) for key in keys])
    if not _paused.get():
        for key in keys:
            transaction.on_commit(partial(queue_try, kind, key))


def _insert_once(delivery: Delivery) -> bool:
    """Insert the row unless its kind and key have one (one statement, no savepoint: the unique
    constraint decides). True when this call inserted it (``delivery`` then has its id)."""
    fields = [f for f in Delivery._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(delivery, True), connection) for f in fields]
    sql = (
        f"INSERT INTO {Delivery._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
        "ON CONFLICT (kind, key) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    delivery.pk = row[0]
    delivery._state.adding, delivery._state.db = False, connection.alias
    return True


def queue_try(kind: str, key: str | int, countdown: float | None = None) -> bool:
    """Queue the kind's task for ``key``; never raises (the sweep picks up what was not queued)."""
    return enqueue(KINDS[kind].task, [str(key)], countdown=countdown)


def claim(kind: str, key: str | int, *, due_only: bool = False, create: bool = True) -> Claim | None:
    """Claim a try (see the module docstring); None when sent, dead, or another try runs.

    ``due_only``: only when the next try is due (a task that arrived early waits for the sweep).
    ``create``: a subject without a row yet gets one first (an invoice issued before it had one).
    """
    key = str(key)
    if create:
        Delivery.objects.get_or_create(kind=kind, key=key)
    now = timezone.now()
    pending = Q(state=DeliveryState.PENDING)
    if due_only:
        pending &= Q(next_attempt_at__lte=now + DUE_SLACK)
    expired = Q(state=DeliveryState.CLAIMED, claimed_until__lt=now)
    token = now + KINDS[kind].claim_timeout
    updated = Delivery.objects.filter(pending | expired, kind=kind, key=key).update(
        state=DeliveryState.CLAIMED, claimed_until=token, attempts=F("attempts") + 1
    )
    if not updated:
        return None
    delivery_id, attempts = Delivery.objects.filter(kind=kind, key=key).values_list("id", "attempts").get()
    return Claim(delivery_id, kind, key, attempts, token, now)


@contextmanager
def attempt(claim: Claim, on_error: Callable[[str], None] | None = None) -> Iterator[None]:
    """The claimed try's work: when it raises, the failure is recorded (``fail``, then
    ``on_error(error)`` for the app's own row) and the exception goes on (the task retries)."""
    try:
        yield
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        fail(claim, error)
        if on_error is not None:
            on_error(error)
        raise


def succeed(claim: Claim, result: dict | None = None) -> bool:
    """Record the try as sent; False when it had lost its claim (nothing changed)."""
    return bool(
        Delivery.objects.filter(pk=claim.delivery_id, state=DeliveryState.CLAIMED, claimed_until=claim.token).update(
            state=DeliveryState.SENT, sent_at=timezone.now(), claimed_until=None, last_error="", result=result or {}
        )
    )


def _setting(value):
    return value() if callable(value) else value


def backoff_seconds(kind: Kind, attempts: int) -> float:
    """Doubling from the kind's first wait after each failed try, up to its longest."""
    return min(_setting(kind.first_retry_seconds) * 2 ** max(attempts - 1, 0), kind.max_retry_seconds)


def fail(claim: Claim, error: str | BaseException, *, final: bool = False) -> Failure:
    """Give the claim back with the next try's due time, or give up (``dead``) after the kind's
    last try or at once when ``final`` (the other side refused for good)."""
    kind = KINDS[claim.kind]
    if isinstance(error, BaseException):
        error = f"{type(error).__name__}: {error}"
    final = final or claim.attempts >= _setting(kind.max_attempts)
    wait = None if final else backoff_seconds(kind, claim.attempts)
    now = timezone.now()
    recorded = Delivery.objects.filter(
        pk=claim.delivery_id, state=DeliveryState.CLAIMED, claimed_until=claim.token
    ).update(
        state=DeliveryState.DEAD if final else DeliveryState.PENDING,
        claimed_until=None,
        last_error=error[:500],
        next_attempt_at=now if final else now + timedelta(seconds=wait),
    )
    if final and recorded and not kind.own_rule:
        transaction.on_commit(partial(_open_inbox_item, rule_code(kind)))
    return Failure(final=final, retry_in=wait, recorded=bool(recorded))


def _open_inbox_item(code: str) -> None:
    """Show a row that died in the exception inbox now rather than at the next refresh."""
    from oms import exceptions

    try:
        exceptions.refresh_exceptions(only=[code])
    except Exception:  # the periodic refresh opens it later
        logger.exception("deliver_once: could not refresh the exception inbox")


def retry(kind: str, key: str | int, *, due_at: datetime | None = None, queue: bool = True) -> bool:
    """A fresh set of tries (the *Retry* buttons), the first due at once, queued after commit
    (unless ``queue`` is False: the caller queues it). False when the row is sent, being sent,
    or missing."""
    key = str(key)
    updated = Delivery.objects.filter(kind=kind, key=key, state__in=[DeliveryState.PENDING, DeliveryState.DEAD]).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=due_at or timezone.now(), last_error=""
    )
    if updated and queue:
        transaction.on_commit(partial(queue_try, kind, key))
    return bool(updated)


def withdraw(kind: str, keys) -> int:
    """Drop the unsent deliveries of ``keys``: nothing will send them (demo data). Returns how many."""
    return (
        Delivery.objects.filter(kind=kind, key__in=[str(k) for k in keys]).exclude(state=DeliveryState.SENT).delete()[0]
    )


def state_of(kind: str, key: str | int) -> Delivery | None:
    return Delivery.objects.filter(kind=kind, key=str(key)).first()


def live_claims(kind: str, keys: list) -> set[str]:
    """Those of ``keys`` with a try running now (claimed, claim not expired)."""
    return set(
        Delivery.objects.filter(
            kind=kind, key__in=[str(k) for k in keys], state=DeliveryState.CLAIMED, claimed_until__gte=timezone.now()
        ).values_list("key", flat=True)
    )


def due_keys(kind: str, *, limit: int = 200) -> list[str]:
    """Keys of ``kind`` whose try is due (past the kind's grace) or whose claim expired."""
    now = timezone.now()
    spec = KINDS[kind]
    due = Q(state=DeliveryState.PENDING, next_attempt_at__lte=now - spec.sweep_grace) | Q(
        state=DeliveryState.CLAIMED, claimed_until__lt=now
    )
    return list(
        Delivery.objects.filter(due, kind=kind).order_by("next_attempt_at", "id").values_list("key", flat=True)[:limit]
    )


def sweep(kind: str, *, limit: int = 200) -> int:
    """Queue the due tries of ``kind`` whose task was lost (broker down at commit, worker
    killed). Beat runs it. Returns how many were found; stops queueing when the broker is down."""
    keys = due_keys(kind, limit=limit)
    for key in keys:
        if not queue_try(kind, key):
            break
    return len(keys)


# --- exception inbox rule -----------------------------------------------------------------------


def rule_code(kind: Kind) -> str:
    return f"{kind.code}.dead"


def _register_rule(kind: Kind) -> None:
    """The kind's exception-inbox rule: its dead deliveries, with *Retry*."""
    from oms.exceptions import Rule
    from oms.exceptions import register as register_rule

    register_rule(
        Rule(
            code=rule_code(kind),
            label=kind.inbox_label,
            role=kind.role,
            find=partial(_dead_deliveries, kind),
            retry=_retry_dead,
        )
    )


def _dead_deliveries(kind: Kind):
    from oms.exceptions import Finding, rule_limit

    rows = (
        Delivery.objects.filter(state=DeliveryState.DEAD, kind=kind.code)
        .order_by("id")
        .values("id", "key", "attempts", "last_error")[: rule_limit()]
    )
    return [
        Finding(
            subject=f"delivery:{row['id']}",
            title=f"{kind.label} {row['key']} not sent after {row['attempts']} tries",
            url=kind.url(row["key"]) if kind.url else "",
            detail={"error": row["last_error"][:300]},
            occurrence=row["last_error"][:100],
        )
        for row in rows
    ]


def _retry_dead(subject: str, user) -> str:
    from oms.errors import Conflict
    from oms.exceptions import subject_id

    row = Delivery.objects.filter(pk=subject_id(subject)).values_list("kind", "key").first()
    if row is None or not retry(*row):
        raise Conflict("It has been sent or is being sent.", code="not_retryable")
    return "Queued again."
