"""Health checks behind ``/health/``: database, broker, worker heartbeat, outbox lag."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from oms.events import outbox_lag_seconds
from oms.models import OutboxEvent, OutboxStatus, WorkerHeartbeat

OK, DEGRADED, DOWN = "ok", "degraded", "down"


def check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        connection.close_if_unusable_or_obsolete()
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def inline_mode() -> bool:
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def check_broker() -> dict:
    if inline_mode():
        return {"ok": True, "mode": "inline"}
    if settings.CELERY_BROKER_URL.startswith("filesystem:"):
        return _check_broker_folder()
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
    except Exception as exc:  # any failure to reach the broker makes us degraded, not down
        return {"ok": False, "mode": "redis", "error": type(exc).__name__}
    return {"ok": True, "mode": "redis"}


def _check_broker_folder() -> dict:
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_out"])
    ok = folder.is_dir() and os.access(folder, os.W_OK)
    return {"ok": ok, "mode": "filesystem"} if ok else {"ok": False, "mode": "filesystem", "error": "not writable"}


def check_worker() -> dict:
    if inline_mode():
        return {"ok": True, "mode": "inline", "last_heartbeat": None}
    last = (
        WorkerHeartbeat.objects.exclude(worker__startswith="ping:")
        .order_by("-seen_at")
        .values_list("seen_at", flat=True)
        .first()
    )
    if last is None:
        return {"ok": False, "last_heartbeat": None}
    age = (timezone.now() - last).total_seconds()
    return {
        "ok": age <= settings.OMS_HEALTH_HEARTBEAT_MAX_AGE,
        "last_heartbeat": last.isoformat(),
        "age_seconds": round(age),
    }


def check_outbox() -> dict:
    lag = outbox_lag_seconds()
    pending = OutboxEvent.objects.filter(status=OutboxStatus.PENDING).count()
    dead = OutboxEvent.objects.filter(status=OutboxStatus.DEAD).count()
    return {
        "ok": lag <= settings.OMS_HEALTH_OUTBOX_LAG_WARN and dead == 0,
        "pending": pending,
        "dead": dead,
        "lag_seconds": round(lag, 1),
    }


def report() -> tuple[str, dict]:
    database = check_database()
    if not database["ok"]:
        return DOWN, {"database": database}
    checks = {
        "database": database,
        "broker": check_broker(),
        "worker": check_worker(),
        "outbox": check_outbox(),
    }
    status = OK if all(check["ok"] for check in checks.values()) else DEGRADED
    return status, checks
