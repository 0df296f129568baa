"""``Idempotency-Key`` for API writes (API.md "Conventions").

The first request with a key claims it by inserting a record (a unique constraint on user and
key decides who is first, even under concurrency); its answer is stored when it finishes. A
repeat with the same body replays the stored answer with ``Idempotent-Replayed: true``; a
different body gets 422 ``idempotency_key_reused``. A repeat that arrives while the first is
still running waits briefly for it, then gets 409. Malformed requests (400) and server errors
(5xx) are not stored, so a corrected retry with the same key is processed.

``idempotent_with_effect`` is the same contract for a view whose service writes the answer in
the transaction of its effect (``complete_within`` from the service's ``before_commit``, as
order placement does). There the record is inserted once, complete, at the end of that
transaction: the unique index makes a concurrent repeat wait for the first to commit, after
which the repeat's own transaction is rolled back and it replays the first answer. Claiming
first cost a transaction of its own and a second write of the record on every keyed order
(measured with bench/order_intake.py); the price is that a repeat does
the work before it finds it was done already, and only a repeat, which is rare.
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import OperationalError, connection
from django.utils import timezone
from rest_framework.response import Response

from oms.api import json_body, problem_response
from oms.models import IdempotencyRecord
from oms.sql import execute_prepared

HEADER = "Idempotency-Key"
LOCK_NOT_AVAILABLE = "55P03"
WAIT_SECONDS = 10.0
# A claimed key whose request never finished (a crashed process) may be taken over after this.
STALE_AFTER = timedelta(minutes=5)


def idempotent(view_method):
    """Decorate a DRF view's ``post``/``put`` method."""

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        if not _valid_key(key):
            return _invalid_key()
        fingerprint = _fingerprint(request)
        record, claimed = _claim(request.user, key, request, fingerprint)
        if not claimed:
            return _answer_repeat(record, fingerprint)
        request._idempotency_record = record  # for complete_within
        try:
            try:
                response = view_method(self, request, *args, **kwargs)
            except Exception as exc:
                # Business errors become their problem+json answer here, so it is stored too;
                # anything unexpected is re-raised by DRF and releases the key below.
                response = self.handle_exception(exc)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if record.status_code != response.status_code:  # not yet stored by complete_within
            _store(record, response)
        return response

    return wrapper


class KeyTaken(Exception):
    """Another request with this key committed first: raised inside the effect's transaction,
    which it rolls back."""


class KeyBusy(Exception):
    """A request with this key has held it longer than our lock timeout: still running."""


class _Pending:
    """The record a keyed request will insert with its answer (``idempotent_with_effect``)."""

    def __init__(self, user_id: int, key: str, request, fingerprint: str) -> None:
        self.user_id, self.key, self.fingerprint = user_id, key, fingerprint
        self.method, self.path = request.method, request.path[:500]
        self.stored = False


def idempotent_with_effect(view_method):
    """Decorate a DRF view's ``post`` whose service calls ``complete_within`` in its
    transaction (see the module docstring)."""

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        if not _valid_key(key):
            return _invalid_key()
        fingerprint = _fingerprint(request)
        pending = request._idempotency_pending = _Pending(request.user.pk, key, request, fingerprint)
        try:
            try:
                response = view_method(self, request, *args, **kwargs)
            except (KeyTaken, KeyBusy):
                raise
            except Exception as exc:
                response = self.handle_exception(exc)  # as in ``idempotent``
        except KeyTaken:
            return _replay(pending)
        except KeyBusy:
            return _in_progress()
        if pending.stored or response.status_code == 401:
            # a 401 is about the credentials, not the key: nothing to store, nor to replay to them
            return response
        # No effect: a refusal. An earlier request with this key may have succeeded, though,
        # and its answer is the one to give.
        if response.status_code == 400 or response.status_code >= 500:
            earlier = _stored_record(pending)
            return response if earlier is None else _answer_repeat(earlier, fingerprint)
        try:
            stored = _insert_answer(pending, response.status_code, _answer_json(getattr(response, "data", None)))
        except KeyBusy:
            return _in_progress()
        return response if stored else _replay(pending)

    return wrapper


@contextmanager
def _busy_after_lock_timeout():
    # The unique index makes us wait for a concurrent holder of the key; past the connection's
    # lock_timeout that request is still running, which is a 409, not a server error.
    try:
        yield
    except OperationalError as exc:
        if getattr(exc.__cause__, "pgcode", None) != LOCK_NOT_AVAILABLE:
            raise
        raise KeyBusy from exc


def _stored_record(pending: _Pending) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(user_id=pending.user_id, key=pending.key).first()


def _replay(pending: _Pending) -> Response:
    """The answer to a request whose key another request took first."""
    record = _stored_record(pending)
    if record is None:  # pruned or released in the meantime
        return _failed_first()
    return _answer_repeat(record, pending.fingerprint)


def _answer_json(body, rendered: bytes | None = None) -> str:
    """The stored form of an answer: the view's own rendering when it has one."""
    return rendered.decode() if rendered is not None else json.dumps(body, default=str)


def _insert_answer(pending: _Pending, status_code: int, text: str) -> bool:
    """Insert the complete record; False when the key is taken (after waiting for a concurrent
    holder of it to finish, as the unique index makes us)."""
    now = timezone.now()
    with connection.cursor() as cursor, _busy_after_lock_timeout():
        execute_prepared(
            cursor,
            "oms_idempotency_record",
            "INSERT INTO oms_idempotencyrecord "
            "(user_id, key, method, path, fingerprint, created_at, status_code, body, completed_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            [
                pending.user_id,
                pending.key,
                pending.method,
                pending.path,
                pending.fingerprint,
                now,
                status_code,
                text,
            ],
        )
        pending.stored = cursor.fetchone() is not None
    return pending.stored


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and all(32 <= ord(ch) < 127 for ch in key)


def _fingerprint(request) -> str:
    raw = request._request.body or b""
    try:
        canonical = json.dumps(json_body(request._request), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), canonical):
        digest.update(part + b"\0")
    return digest.hexdigest()


def _claim(user, key: str, request, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    # One autocommitted statement (every API write with a key pays for this claim); a
    # concurrent claim of the same key makes it return no row, as the unique constraint decides.
    # Its commit does not wait for the disk (synchronous_commit off for this transaction only):
    # the request's own commit later flushes the log up to and past the claim, and a claim lost
    # in a crash before that is a claim whose request never took effect, so a retry is right.
    record = IdempotencyRecord(
        user_id=user.pk, key=key, method=request.method, path=request.path[:500], fingerprint=fingerprint
    )
    record.created_at = timezone.now()
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            "oms_idempotency_claim",
            "INSERT INTO oms_idempotencyrecord (user_id, key, method, path, fingerprint, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            [record.user_id, key, record.method, record.path, fingerprint, record.created_at],
            # only when the claim is a transaction of its own, never someone else's
            before="" if connection.in_atomic_block else "SELECT set_config('synchronous_commit', 'off', true); ",
        )
        row = cursor.fetchone()
    if row is not None:
        record.pk = row[0]
        return record, True
    record = IdempotencyRecord.objects.get(user=user, key=key)
    if record.completed_at is None and record.created_at < timezone.now() - STALE_AFTER:
        taken = IdempotencyRecord.objects.filter(
            pk=record.pk, completed_at__isnull=True, created_at=record.created_at
        ).update(created_at=timezone.now(), fingerprint=fingerprint)
        if taken:
            record.refresh_from_db()
            return record, True
    return record, False


def _answer_repeat(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        return _reused()
    deadline = time.monotonic() + WAIT_SECONDS
    while record.completed_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
        record = IdempotencyRecord.objects.filter(pk=record.pk).first()
        if record is None:  # the first attempt failed and released the key
            return _failed_first()
    if record.completed_at is None:
        return _in_progress()
    body = None if record.body is None else json.loads(record.body)
    response = Response(body, status=record.status_code)
    if record.status_code >= 400:
        response.content_type = "application/problem+json"
    response["Idempotent-Replayed"] = "true"
    return response


def _key_problem(status: int, title: str, code: str, message: str, **headers: str) -> Response:
    return problem_response(status, title, [{"field": HEADER, "code": code, "message": message}], **headers)


def _in_progress() -> Response:
    return _key_problem(
        409,
        "Conflict with the current state.",
        "idempotency_request_in_progress",
        "A request with this key is still being processed.",
        Retry_After="1",
    )


def _failed_first() -> Response:
    return _key_problem(
        409,
        "Conflict with the current state.",
        "idempotency_request_failed",
        "The first request with this key failed; send it again.",
    )


def _invalid_key() -> Response:
    return _key_problem(
        400,
        "Invalid input.",
        "invalid_idempotency_key",
        "Idempotency-Key must be 1 to 255 printable ASCII characters.",
    )


def _reused() -> Response:
    return _key_problem(
        422,
        "Idempotency key reused.",
        "idempotency_key_reused",
        "This Idempotency-Key was used with a different request body.",
    )


def complete_within(request, status_code: int, body: dict, rendered: bytes | None = None) -> None:
    """Store the answer to a keyed request in the transaction that is open now: the service's,
    which then commits the answer together with its effect (``order_place(before_commit=...)``).

    Otherwise the answer is stored after the service has committed, and a process that dies in
    between leaves a claimed key without an answer, which a retry takes over once it is stale
    and does the work a second time. It also saves the commit of a transaction of its own. The
    view must answer with ``status_code`` and ``body`` (``rendered``: its JSON, when the view
    rendered it already); a request without a key is left alone.
    Under ``idempotent_with_effect`` this inserts the record, and raises ``KeyTaken`` (rolling
    the effect back) when another request with the key has committed first.
    """
    pending = getattr(request, "_idempotency_pending", None)
    text = _answer_json(body, rendered)
    if pending is not None:  # idempotent_with_effect
        if not _insert_answer(pending, status_code, text):
            raise KeyTaken(pending.key)
        return
    record = getattr(request, "_idempotency_record", None)
    if record is None:
        return
    _write_answer(record, status_code, text)
    record.status_code = status_code


def _store(record: IdempotencyRecord, response) -> None:
    if response.status_code == 400 or response.status_code >= 500:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    _write_answer(record, response.status_code, _answer_json(getattr(response, "data", None)))


def _write_answer(record: IdempotencyRecord, status_code: int, text: str) -> None:
    with connection.cursor() as cursor:  # written out, as the claim: on every keyed API write
        execute_prepared(
            cursor,
            "oms_idempotency_store",
            "UPDATE oms_idempotencyrecord SET status_code = $1, body = $2, completed_at = $3 WHERE id = $4",
            [status_code, text, timezone.now(), record.pk],
        )


def prune() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.OMS_IDEMPOTENCY_KEEP_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
