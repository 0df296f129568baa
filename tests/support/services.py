"""Which outside services the tests can reach, and what to do when one is missing.

A test marked ``redis``, ``worker`` or ``browser`` skips with the reason when the service is
missing, except under ``OMS_REQUIRE_SERVICES=1`` (CI), where it fails instead.
"""

import os
import shutil
import socket
from functools import cache
from urllib.parse import urlparse

import pytest

CHROMIUM = os.environ.get("OMS_CHROMIUM", "/usr/bin/chromium")


def redis_url() -> str:
    """``REDIS_URL`` (else database 0 on the local Redis); under pytest-xdist each worker process
    (``gw0``, ``gw1``, ...) takes the database that many places further, so two processes never
    share a database (they already share no queue names), as each has its own test database."""
    url = urlparse(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url.geturl()
    database = int(url.path.strip("/") or 0) + int(worker[2:])
    return url._replace(path=f"/{database % 16}").geturl()


@cache
def redis_available() -> str | None:
    """None when Redis answers PING, else the reason it does not."""
    url = urlparse(redis_url())
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(16).startswith(b"+PONG"):
                return f"Redis at {url.hostname}:{url.port} did not answer PING"
    except OSError as exc:
        return f"Redis not reachable at {url.hostname}:{url.port or 6379} ({exc})"
    return None


@cache
def chromium_available() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"Chromium not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def require(reason: str | None) -> None:
    if reason is None:
        return
    if os.environ.get("OMS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)
