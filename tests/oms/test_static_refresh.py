"""Issue 14 §4: with the production settings a ``collectstatic`` takes effect without restarting
the web server: pages link the new hashed names and WhiteNoise serves the new files. A real
gunicorn on a free port, real collectstatic runs, a settings module whose static sources are a
temporary directory in front of the project's own."""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.celery_worker import database_url_for_tests

ROOT = Path(__file__).resolve().parents[2]

SETTINGS = """
from oms.settings.production import *  # noqa
STATIC_ROOT = {root!r}
STATICFILES_DIRS = [{source!r}, {project!r}]
STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.fixture
def production_env(tmp_path, db):
    source, root = tmp_path / "src", tmp_path / "staticfiles"
    (source / "css").mkdir(parents=True)
    (tmp_path / "static_refresh_settings.py").write_text(
        SETTINGS.format(root=str(root), source=str(source), project=str(ROOT / "static"))
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE",)}
    env.update(
        DJANGO_SETTINGS_MODULE="static_refresh_settings",
        PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url_for_tests(),
        DEBUG="false",
    )
    return source, env


def _collectstatic(env) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def _css_url(base: str) -> str:
    status, page = _get(f"{base}/accounts/login/")
    assert status == 200, page
    return re.search(r'href="(/static/css/oms\.[0-9a-f]+\.css)"', page).group(1)


@pytest.mark.slow
def test_collectstatic_takes_effect_without_a_restart(production_env):
    # given a production server started after a collectstatic
    source, env = production_env
    (source / "css" / "oms.css").write_text("body { color: red; }\n")
    _collectstatic(env)
    port = _free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "oms.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                _get(f"{base}/health/")
                break
            except OSError:
                time.sleep(0.2)
        first = _css_url(base)
        assert _get(base + first) == (200, "body { color: red; }\n")
        # when the stylesheet changes and collectstatic runs again, with the server left running
        (source / "css" / "oms.css").write_text("body { color: blue; }\n")
        _collectstatic(env)
        time.sleep(1.1)  # the manifest is looked at once a second at most
        # then pages link the new file, and it is served
        second = _css_url(base)
        assert second != first
        assert _get(base + second) == (200, "body { color: blue; }\n")
        # and the old one still is, for pages open in a browser
        assert _get(base + first)[0] == 200
    finally:
        server.terminate()
        server.wait(10)
