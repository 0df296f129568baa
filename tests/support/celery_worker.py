"""A real Celery worker in a subprocess, on Redis (or the file-system broker of the quick start),
against the test database.

Each test run uses its own queue name, so a developer's running worker on the same Redis never
steals the test's tasks.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from oms.broker import flush_hand_offs
from oms.celery import app as celery_app
from tests.support.services import redis_url

ROOT = Path(__file__).resolve().parents[2]


def database_url_for_tests() -> str:
    s = connection.settings_dict
    host = s["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        host = quote(host, safe="")
    auth = s["USER"] + (f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{host}:{s.get('PORT') or 5432}/{s['NAME']}"


def filesystem_options(folder: Path) -> dict:
    """The file-system transport's options for a broker in ``folder`` (as oms.settings.base sets
    them for ``var/broker``)."""
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "polling_interval": 0.1,
    }


@contextlib.contextmanager
def use_broker(url: str, queue: str, transport_options: dict | None = None):
    """Make this process publish to a real broker (instead of running tasks inline)."""
    conf = celery_app.conf
    keys = ("broker_url", "task_always_eager", "task_default_queue", "broker_transport_options")
    saved = {k: conf.get(k) for k in keys}
    conf.update(broker_url=url, task_always_eager=False, task_default_queue=queue)
    if transport_options is not None:
        conf.update(broker_transport_options=transport_options)
    _reset_pools()
    try:
        yield
    finally:
        flush_hand_offs()  # what the block committed reaches its broker before the block ends
        conf.update(saved)
        _reset_pools()


def _reset_pools() -> None:
    # kombu keeps one pool per broker URL in a global registry; dropping the app's references
    # makes the next publish look up the pool for the new URL (closing would poison the registry).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


class Worker:
    """``broker`` is a Redis URL, or a folder (a ``Path``) for the file-system transport."""

    def __init__(self, queue: str, broker: str | Path, *, threads: int = 0, warm_up: bool = False) -> None:
        """``threads``: a pool of that many threads instead of the solo pool (work that waits on
        the network, such as webhook deliveries). ``warm_up``: load the PDF engine at start as
        production does (``OMS_PDF_WARM_UP``); off by default, since it delays every test
        worker's start and only its own test looks at it."""
        self.queue, self.broker, self.threads, self.warm_up = queue, broker, threads, warm_up
        self.proc: subprocess.Popen | None = None
        self.log: list[str] = []

    def start(self, timeout: float = 45) -> Worker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "oms.settings.base",
            "DEBUG": "false",
            "DATABASE_URL": database_url_for_tests(),
            "CONN_MAX_AGE": "0",
            "LOG_LEVEL": "INFO",
            "OMS_PDF_WARM_UP": "true" if self.warm_up else "false",
        }
        env.pop("OMS_TASKS_INLINE", None)
        if isinstance(self.broker, Path):
            env.pop("REDIS_URL", None)
            env["OMS_BROKER_DIR"] = str(self.broker)
        else:
            env["REDIS_URL"] = self.broker
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "oms",
            "worker",
            *(["--pool=threads", f"--concurrency={self.threads}"] if self.threads else ["--pool=solo"]),
            "-Q",
            self.queue,
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{self.queue}@test",
            "--loglevel=INFO",
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        ready = threading.Event()
        threading.Thread(target=self._read, args=(ready,), daemon=True).start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError("Celery worker did not start:\n" + "".join(self.log[-40:]))
        return self

    def _read(self, ready: threading.Event) -> None:
        assert self.proc and self.proc.stdout
        for line in self.proc.stdout:
            self.log.append(line)
            if " ready." in line:
                ready.set()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def new_queue() -> str:
    return f"oms-test-{uuid.uuid4().hex[:8]}"


def wait_until(predicate, timeout: float = 30, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()


def default_broker() -> str:
    return redis_url()
