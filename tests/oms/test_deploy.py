import os
import secrets
import subprocess
import sys
from pathlib import Path

from tests.support.celery_worker import database_url_for_tests

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_settings(db):
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set for Playwright
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "oms.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "oms.example.com",
        "DATABASE_URL": database_url_for_tests(),
        "DEBUG": "false",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="oms.settings.production", DATABASE_URL="postgres://x@127.0.0.1:1/x")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _import_in_a_subprocess(module: str, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG")}
    env.update(DATABASE_URL="postgres://x@127.0.0.1:1/x", **extra)
    code = f"import {module}; from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_wsgi_and_asgi_default_to_the_production_settings():
    for module in ("oms.wsgi", "oms.asgi"):
        refused = _import_in_a_subprocess(module)
        assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr, refused.stderr
        started = _import_in_a_subprocess(module, SECRET_KEY=secrets.token_urlsafe(50))
        assert started.returncode == 0, started.stderr
        assert started.stdout.split() == ["oms.settings.production", "False"]


def test_manage_py_still_defaults_to_the_development_settings():
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG")}
    result = subprocess.run(
        [sys.executable, "manage.py", "diffsettings", "--all"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "SETTINGS_MODULE = 'oms.settings.base'" in result.stdout
