"""/health/: ok, degraded (broker or worker missing; orders still accepted), down (database)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from oms.models import WorkerHeartbeat
from tests.support.services import redis_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_inline_mode_without_broker_is_ok(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["broker"]["mode"] == "inline"
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.redis
def test_redis_and_fresh_worker_heartbeat_is_ok(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url()
    WorkerHeartbeat.objects.create(worker="celery@web1", seen_at=timezone.now())
    body = client.get("/health/").json()
    assert body["status"] == "ok", body
    assert body["checks"]["worker"]["ok"] is True


@pytest.mark.redis
def test_missing_worker_is_degraded_but_200(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url()
    WorkerHeartbeat.objects.create(worker="celery@web1", seen_at=timezone.now() - timedelta(minutes=10))
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["worker"]["ok"] is False


def test_unreachable_broker_is_degraded_but_200(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    WorkerHeartbeat.objects.create(worker="celery@web1", seen_at=timezone.now())
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False


def test_filesystem_broker_is_ok_while_its_folder_is_writable(client, settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_out": str(tmp_path / "queue")}
    WorkerHeartbeat.objects.create(worker="celery@web1", seen_at=timezone.now())
    body = client.get("/health/").json()
    assert body["checks"]["broker"] == {"ok": False, "mode": "filesystem", "error": "not writable"}
    (tmp_path / "queue").mkdir()
    body = client.get("/health/").json()
    assert body["status"] == "ok" and body["checks"]["broker"] == {"ok": True, "mode": "filesystem"}


def test_database_down_is_503(client):
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="/nonexistent-socket-dir", PORT="5432")
    try:
        response = client.get("/health/")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response["Retry-After"]
