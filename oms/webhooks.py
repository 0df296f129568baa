"""Outbound webhooks (API.md 1.1 "Webhooks"): every domain event the outbox carries, POSTed to
the endpoints that want it, signed per the Standard Webhooks specification (the
``standardwebhooks`` package), retried with back-off for more than a day.

The request that places an order does nothing for webhooks: it writes its outbox rows as
always. The worker that dispatches an outbox batch first fans it out (``fan_out``): one
``INSERT ... SELECT`` makes a delivery row per (event, enabled endpoint that wants the type),
at most one per pair (a unique constraint, so a batch sent twice fans out once), and queues the
deliveries. Fan-out runs before the event's handlers and only for events still pending, so an
event is marked done only after its deliveries exist; the outbox sweep re-sends an event whose
worker died in between.

``deliver`` claims a delivery with one conditional UPDATE (pending, due, endpoint enabled: it
moves ``next_attempt_at`` past the request's time-out, a lease, so a concurrent sweep does not
send it twice), POSTs it with httpx, and records the attempt. A 2xx answer is success; anything
else, a redirect, or no answer within ``OMS_WEBHOOK_TIMEOUT_SECONDS`` is a failure, retried
after ``OMS_WEBHOOK_RETRY_SCHEDULE[n]`` seconds (failed for good when the schedule runs out:
replay it). Retries due within ``OMS_WEBHOOK_COUNTDOWN_MAX_SECONDS`` are queued with a
countdown; later ones, and any lost message, are sent by the beat-driven ``sweep``.

An endpoint whose attempts have failed without a success in between for longer than
``OMS_WEBHOOK_DISABLE_AFTER_HOURS`` is disabled and shows in the exception inbox (rule
``webhooks.endpoint_failing``; retry there enables it again and replays what failed).

Receivers dedupe by ``webhook-id`` (the event id, the same on every retry and replay) and order
by ``sequence`` (rises with every event of the same subject).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import SplitResult, urlsplit

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop
from standardwebhooks.webhooks import Webhook

from oms import exceptions, feed, outbound
from oms.errors import Conflict, MultipleErrors, NotFound, ValidationFailed
from oms.models import (
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
)
from oms.roles import Role
from oms.tasks_registry import enqueue

logger = logging.getLogger(__name__)

API_VERSION = "1.1"
SECRET_PREFIX = "whsec_"
URL_MAX_LENGTH = 500
EXCERPT_LENGTH = 500
ERROR_LENGTH = 300
READ_LIMIT = 4096  # bytes of an answer read at most: the log keeps an excerpt only
# A countdown task may start a little before the moment stored (clocks of two processes).
CLOCK_SLACK = timedelta(seconds=1)
RULE = "webhooks.endpoint_failing"
PENDING, SUCCEEDED, FAILED = (
    WebhookDeliveryStatus.PENDING,
    WebhookDeliveryStatus.SUCCEEDED,
    WebhookDeliveryStatus.FAILED,
)


# --- endpoints ----------------------------------------------------------------------------------


def new_secret() -> str:
    """``whsec_`` and 32 random bytes in base64, as the Standard Webhooks libraries expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _loopback_allowed() -> bool:
    return bool(settings.OMS_WEBHOOKS_ALLOW_LOOPBACK)


def _address_problem(parts: SplitResult) -> tuple[str, str] | None:
    """(code, message) when the URL may not be called now, else None. Resolves the host: every
    address must be public (``oms.outbound``); loopback only while the setting allows it."""
    host = parts.hostname or ""
    loopback_name = host == "localhost" or host.endswith(".localhost")
    if parts.scheme != "https" and not (_loopback_allowed() and (loopback_name or _is_loopback_literal(host))):
        return "https_required", "The URL must use https."
    try:
        addresses = outbound.resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError, ValueError):
        return "unresolvable", f"The host {host} cannot be resolved."
    if _loopback_allowed() and addresses and all(outbound.is_loopback(a) for a in addresses):
        return None
    reason = outbound.first_refusal(addresses)
    if reason:
        return "endpoint_not_allowed", f"The URL may not point into our own network ({reason})."
    return None


def _is_loopback_literal(host: str) -> bool:
    try:
        return outbound.is_loopback(host)
    except ValueError:
        return False


def clean_url(url) -> str:
    """The endpoint URL, checked; raises ``ValidationFailed`` on ``url`` (``required``,
    ``invalid``, ``https_required``, ``unresolvable``, ``endpoint_not_allowed``)."""
    url = url.strip() if isinstance(url, str) else ""
    if not url:
        raise ValidationFailed("Give the URL to send events to.", code="required", field="url")
    if len(url) > URL_MAX_LENGTH or any(ord(c) < 33 for c in url):
        raise ValidationFailed(
            f"Enter a URL of at most {URL_MAX_LENGTH} characters without spaces.", code="invalid", field="url"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValidationFailed("Enter a valid https:// URL.", code="invalid", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("Enter a valid https:// URL.", code="invalid", field="url")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed(
            "Leave the user name and password out of the URL: the signature proves the sender.",
            code="invalid",
            field="url",
        )
    problem = _address_problem(parts)
    if problem:
        raise ValidationFailed(problem[1], code=problem[0], field="url")
    return url


def event_catalogue() -> list[str]:
    return feed.event_types()


def clean_event_types(types) -> list[str]:
    """The types wanted, checked against the catalogue, sorted, without repeats; empty: all."""
    if types is None:
        return []
    if isinstance(types, str) or not isinstance(types, Iterable):
        raise ValidationFailed("Give a list of event types.", code="invalid", field="event_types")
    given = [t.strip() if isinstance(t, str) else t for t in types]
    unknown = sorted(str(t) for t in given if t not in event_catalogue())
    if unknown:
        raise ValidationFailed(
            f"Unknown event type(s): {', '.join(unknown)}.", code="unknown_event_type", field="event_types"
        )
    return sorted(set(given))


def _clean_description(text) -> str:
    text = text.strip() if isinstance(text, str) else ""
    if len(text) > 200 or "\x00" in text:
        raise ValidationFailed("At most 200 characters.", code="invalid", field="description")
    return text


def _clean(**fields) -> dict:
    """Every given field checked, all errors at once."""
    cleaners = {"url": clean_url, "event_types": clean_event_types, "description": _clean_description}
    cleaned, errors = {}, []
    for name, value in fields.items():
        try:
            cleaned[name] = cleaners[name](value) if name in cleaners else bool(value)
        except ValidationFailed as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    return cleaned


def endpoint_create(
    *, url: str, event_types=None, description: str = "", enabled: bool = True, user=None
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it and its secret (shown to the caller this once). Raises
    ``ValidationFailed``. Locks nothing."""
    cleaned = _clean(url=url, event_types=event_types, description=description, enabled=enabled)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        **cleaned,
        secret=secret,
        created_by=user if user is not None and user.is_authenticated else None,
        disabled_at=None if cleaned["enabled"] else timezone.now(),
        disabled_reason="" if cleaned["enabled"] else "manual",
    )
    return endpoint, secret


def endpoint_get(endpoint_id) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.objects.get(pk=int(endpoint_id))
    except (WebhookEndpoint.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(f"No webhook endpoint {endpoint_id}.") from None


def endpoint_update(*, endpoint_id: int, **changes) -> WebhookEndpoint:
    """Change ``url``, ``event_types``, ``description`` and/or ``enabled``. Enabling clears the
    failure clock (deliveries still pending go out with the next sweep); disabling keeps them.
    Raises ``ValidationFailed``, ``NotFound``. Locks the endpoint's row."""
    cleaned = _clean(**{k: v for k, v in changes.items() if k in ("url", "event_types", "description", "enabled")})
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_get(endpoint_id).pk).first()
        if endpoint is None:
            raise NotFound(f"No webhook endpoint {endpoint_id}.")
        if "enabled" in cleaned and cleaned["enabled"] != endpoint.enabled:
            endpoint.failing_since = None
            endpoint.disabled_at = None if cleaned["enabled"] else timezone.now()
            endpoint.disabled_reason = "" if cleaned["enabled"] else "manual"
        for name, value in cleaned.items():
            setattr(endpoint, name, value)
        endpoint.save()
        if endpoint.enabled:
            transaction.on_commit(partial(_queue_due, endpoint.pk))
    return endpoint


def endpoint_delete(*, endpoint_id: int) -> None:
    """Delete an endpoint with its deliveries and their log. Raises ``NotFound``."""
    deleted, _ = WebhookEndpoint.objects.filter(pk=endpoint_get(endpoint_id).pk).delete()
    if not deleted:
        raise NotFound(f"No webhook endpoint {endpoint_id}.")


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    """Every endpoint with its counts of deliveries pending and failed (the screen's list)."""
    return WebhookEndpoint.objects.annotate(
        pending_count=Count("deliveries", filter=Q(deliveries__status=PENDING)),
        failed_count=Count("deliveries", filter=Q(deliveries__status=FAILED)),
    ).order_by("id")


def deliveries(endpoint_id: int, status: str = "") -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first, with their event (the delivery log)."""
    rows = WebhookDelivery.objects.filter(endpoint_id=endpoint_id).select_related("event")
    if status in WebhookDeliveryStatus.values:
        rows = rows.filter(status=status)
    return rows.order_by("-id")


def attempts_by_delivery(delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    """The attempts of these deliveries, newest first, in one query."""
    result: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    for attempt in WebhookAttempt.objects.filter(delivery_id__in=delivery_ids).order_by("-id"):
        result[attempt.delivery_id].append(attempt)
    return result


# --- fan-out ------------------------------------------------------------------------------------

_FAN_OUT = """
INSERT INTO oms_webhookdelivery
    (endpoint_id, event_id, status, attempts, next_attempt_at, last_status_code, last_error, created_at)
SELECT w.id, e.id, %s, 0, now(), NULL, '', now()
  FROM oms_outboxevent e
  JOIN oms_webhookendpoint w
    ON w.enabled
   AND (cardinality(w.event_types) = 0 OR e.name = ANY(w.event_types))
 WHERE e.id = ANY(%s) AND e.status = 'pending' AND NOT (e.name = ANY(%s))
 ORDER BY e.id, w.id
ON CONFLICT (endpoint_id, event_id) DO NOTHING
RETURNING id
"""


def fan_out(event_ids: list[int]) -> list[int]:
    """Make the deliveries of these events (one statement, set-based) and queue them; returns
    the new deliveries' ids in event order. Only events still pending (a new endpoint gets the
    events from now on, not the outbox's history). Safe to repeat."""
    with connection.cursor() as cursor:
        cursor.execute(_FAN_OUT, [PENDING, list(event_ids), sorted(feed.INTERNAL_EVENTS)])
        ids = sorted(row[0] for row in cursor.fetchall())
    if ids:
        if connection.in_atomic_block:
            transaction.on_commit(partial(queue, ids))
        else:
            queue(ids)
    return ids


# Deliveries per task: even when every one of them waits out the time-out, a task ends well
# within the task time limit (CELERY_TASK_SOFT_TIME_LIMIT).
TASK_CHUNK = 10


def queue(delivery_ids: list[int], countdown: float | None = None) -> None:
    """Hand deliveries to workers, ``TASK_CHUNK`` a task; never raises (the sweep sends what is
    not handed over)."""
    ids = list(delivery_ids)
    for start in range(0, len(ids), TASK_CHUNK):
        if not enqueue(
            "oms.tasks.webhook_deliver", [ids[start : start + TASK_CHUNK]], countdown=countdown, retry=False
        ):
            return


def _queue_due(endpoint_id: int) -> None:
    now = timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=PENDING, next_attempt_at__lte=now)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    if ids:
        queue(ids)


# --- delivery -----------------------------------------------------------------------------------


def timeout_seconds() -> float:
    return float(settings.OMS_WEBHOOK_TIMEOUT_SECONDS)


def retry_delay(failed_attempts: int) -> timedelta | None:
    """The wait after the ``failed_attempts``-th failed attempt, or None: the schedule ran out."""
    schedule = settings.OMS_WEBHOOK_RETRY_SCHEDULE
    if failed_attempts > len(schedule):
        return None
    return timedelta(seconds=float(schedule[failed_attempts - 1]))


def payload(event: OutboxEvent) -> dict:
    """The body of a delivery: the event as the feed lists it (``oms.feed.event_body``) with
    the contract version."""
    return {"api_version": API_VERSION, **feed.event_body(feed.from_outbox(event))}


def signed_request(endpoint: WebhookEndpoint, event: OutboxEvent, now: datetime | None = None) -> tuple[bytes, dict]:
    """The body and the Standard Webhooks headers of one attempt."""
    body = json.dumps(payload(event), cls=DjangoJSONEncoder, separators=(",", ":"))
    sent_at = (now or datetime.now(UTC)).astimezone(UTC)
    message_id = str(event.id)
    headers = {
        "content-type": "application/json",
        "user-agent": f"OMS-Webhooks/{API_VERSION}",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(message_id, sent_at, body),
    }
    return body.encode(), headers


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    status_code: int | None = None
    latency_ms: int = 0
    excerpt: str = ""
    error: str = ""


_clients: dict[int, httpx.Client] = {}


def _client() -> httpx.Client:
    """One client per process (its connections are kept for the next delivery); redirects are
    not followed (a 3xx is a failure: the endpoint's URL is what was checked)."""
    client = _clients.get(os.getpid())
    if client is None:
        client = _clients[os.getpid()] = httpx.Client(follow_redirects=False, trust_env=False)
    return client


def _timeout() -> httpx.Timeout:
    limit = timeout_seconds()
    return httpx.Timeout(limit, connect=min(limit, 5.0))


def post(endpoint: WebhookEndpoint, event: OutboxEvent) -> Outcome:
    """Send one attempt (after checking the URL's addresses again: a name may resolve elsewhere
    since it was saved). Never raises."""
    parts = urlsplit(endpoint.url)
    problem = _address_problem(parts)
    if problem:
        return Outcome(False, error=f"Not sent: {problem[1]}"[:ERROR_LENGTH])
    body, headers = signed_request(endpoint, event)
    started = time.monotonic()
    try:
        with _client().stream("POST", endpoint.url, content=body, headers=headers, timeout=_timeout()) as response:
            received = b""
            for chunk in response.iter_bytes():
                received += chunk
                if len(received) >= READ_LIMIT:
                    break
            latency = _ms(started)
            return Outcome(
                200 <= response.status_code < 300,
                status_code=response.status_code,
                latency_ms=latency,
                excerpt=received[:READ_LIMIT].decode("utf-8", "replace")[:EXCERPT_LENGTH],
                error="" if response.status_code < 300 else f"HTTP {response.status_code}",
            )
    except httpx.TimeoutException:
        return Outcome(False, latency_ms=_ms(started), error=f"No answer within {timeout_seconds():g} s")
    except httpx.HTTPError as exc:
        return Outcome(False, latency_ms=_ms(started), error=f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH])


def _ms(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


def deliver(delivery_id: int) -> tuple[str, timedelta | None]:
    """Send one delivery if it is pending, due and its endpoint enabled; returns its new status
    (``skipped`` when another worker has it or it is not due) and the wait before its retry."""
    now = timezone.now()
    lease = now + timedelta(seconds=timeout_seconds() + 60)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + CLOCK_SLACK)
    claimed = WebhookDelivery.objects.filter(due, pk=delivery_id, status=PENDING, endpoint__enabled=True).update(
        next_attempt_at=lease
    )
    if not claimed:
        return "skipped", None
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    attempted_at = timezone.now()
    outcome = post(delivery.endpoint, delivery.event)
    return _record(delivery, outcome, attempted_at, lease)


def _record(delivery: WebhookDelivery, outcome: Outcome, attempted_at, lease) -> tuple[str, timedelta | None]:
    now = timezone.now()
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, next_attempt_at=lease)  # not replayed meanwhile
    endpoint = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=attempted_at,
            succeeded=outcome.succeeded,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error[:ERROR_LENGTH],
        )
        if outcome.succeeded:
            mine.update(
                status=SUCCEEDED,
                delivered_at=now,
                next_attempt_at=None,
                last_status_code=outcome.status_code,
                last_error="",
            )
            endpoint.filter(failing_since__isnull=False).update(failing_since=None)
            return SUCCEEDED, None
        attempts = delivery.attempts + 1
        delay = retry_delay(attempts)
        mine.update(
            status=PENDING if delay is not None else FAILED,
            attempts=attempts,
            next_attempt_at=now + delay if delay is not None else None,
            last_status_code=outcome.status_code,
            last_error=outcome.error[:ERROR_LENGTH],
        )
        endpoint.filter(failing_since__isnull=True).update(failing_since=attempted_at)
        limit = now - timedelta(hours=settings.OMS_WEBHOOK_DISABLE_AFTER_HOURS)
        if endpoint.filter(enabled=True, failing_since__lt=limit).update(
            enabled=False, disabled_at=now, disabled_reason="failing"
        ):
            logger.warning("webhooks: endpoint %s disabled: failing since before %s", delivery.endpoint_id, limit)
            transaction.on_commit(partial(exceptions.refresh_exceptions, only=[RULE]))
    return (PENDING if delay is not None else FAILED), delay


def deliver_many(delivery_ids: list[int]) -> list[str]:
    """Deliver each (in the given order, so the events of one batch go out in their order) and
    queue the retries due soon with a countdown (the sweep sends the later ones)."""
    results = []
    soon: dict[float, list[int]] = {}
    for delivery_id in delivery_ids:
        status, delay = deliver(delivery_id)
        results.append(status)
        if delay is not None and delay.total_seconds() <= settings.OMS_WEBHOOK_COUNTDOWN_MAX_SECONDS:
            soon.setdefault(delay.total_seconds(), []).append(delivery_id)
    from oms.celery import app

    if not app.conf.task_always_eager:  # inline tasks would run the retry at once
        for seconds, ids in soon.items():
            queue(ids, countdown=seconds)
    return results


def due_delivery_ids(limit: int = 500) -> list[int]:
    now = timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=PENDING, next_attempt_at__lte=now, endpoint__enabled=True)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def sweep(*, limit: int = 500) -> int:
    """Queue every due delivery of an enabled endpoint (beat, every ``webhooks-sweep``)."""
    ids = due_delivery_ids(limit)
    queue(ids)
    return len(ids)


# --- replay -------------------------------------------------------------------------------------


def replay(*, delivery_id: int, endpoint_id: int | None = None) -> WebhookDelivery:
    """Send a delivery again, whatever its status, with a fresh retry schedule (the same
    ``webhook-id``: a receiver that has it already ignores it). Raises ``NotFound``,
    ``Conflict`` ``endpoint_disabled``."""
    rows = WebhookDelivery.objects.filter(pk=delivery_id)
    if endpoint_id is not None:
        rows = rows.filter(endpoint_id=endpoint_id)
    delivery = rows.select_related("endpoint").first()
    if delivery is None:
        raise NotFound(f"No delivery {delivery_id}.")
    if not delivery.endpoint.enabled:
        raise Conflict("Enable the endpoint first.", code="endpoint_disabled")
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        transaction.on_commit(partial(queue, [delivery.pk]))
    delivery.refresh_from_db()
    return delivery


def replay_failed(*, endpoint_id: int) -> int:
    """Send every delivery of the endpoint that failed for good again; returns how many. Raises
    ``NotFound``, ``Conflict`` ``endpoint_disabled``."""
    endpoint = endpoint_get(endpoint_id)
    if not endpoint.enabled:
        raise Conflict("Enable the endpoint first.", code="endpoint_disabled")
    with transaction.atomic():
        count = WebhookDelivery.objects.filter(endpoint_id=endpoint.pk, status=FAILED).update(
            status=PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        transaction.on_commit(partial(_queue_due, endpoint.pk))
    return count


# --- the exception inbox ------------------------------------------------------------------------


def _disabled_endpoints() -> list[exceptions.Finding]:
    rows = WebhookEndpoint.objects.filter(enabled=False, disabled_reason="failing").order_by("id")[
        : exceptions.rule_limit()
    ]
    return [
        exceptions.Finding(
            subject=f"webhook_endpoint:{endpoint.pk}",
            title=f"Webhook endpoint {endpoint.url} was disabled: its deliveries kept failing",
            url=reverse("webhooks:detail", args=[endpoint.pk]),
            detail={
                "url": endpoint.url,
                "failing_since": endpoint.failing_since.isoformat() if endpoint.failing_since else "",
            },
            occurrence=_iso(endpoint.disabled_at),
        )
        for endpoint in rows
    ]


def _iso(moment) -> str:
    return moment.isoformat() if moment else ""


def _enable_and_replay(subject: str, user) -> str:
    endpoint_id = exceptions.subject_id(subject)
    endpoint_update(endpoint_id=endpoint_id, enabled=True)
    count = replay_failed(endpoint_id=endpoint_id)
    return f"Endpoint enabled; {count} failed deliveries queued again."


def register_inbox_rule() -> None:
    exceptions.register(
        exceptions.Rule(
            code=RULE,
            label=gettext_noop("Webhook endpoints disabled after failing"),
            role=Role.MANAGER,
            find=_disabled_endpoints,
            retry=_enable_and_replay,
            retry_label=gettext_noop("Enable and replay"),
        )
    )
