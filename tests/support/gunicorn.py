"""A real gunicorn in a subprocess, against the test database, on a free local port.

The test binds the listening socket itself (port 0) and hands it to gunicorn (``fd://``), so
the port is known before gunicorn starts and no two test runs fight over one.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.support.celery_worker import database_url_for_tests
from tests.support.services import redis_url

ROOT = Path(__file__).resolve().parents[2]


class Gunicorn:
    def __init__(self, *, workers: int = 1, env: dict | None = None) -> None:
        self.workers, self.extra_env = workers, env or {}
        self.queue = f"oms-test-{uuid.uuid4().hex[:8]}"  # the outbox's messages, dropped at the end
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()  # a pipe nobody reads would fill up and stall it
        self.sock: socket.socket | None = None
        self.url = ""

    def start(self, timeout: float = 60) -> Gunicorn:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.sock.set_inheritable(True)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "oms.settings.base",
            "DEBUG": "false",
            "DATABASE_URL": database_url_for_tests(),
            "CONN_MAX_AGE": "600",  # persistent, as in production: one connection per worker
            "REDIS_URL": redis_url(),
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            **self.extra_env,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        cmd = [sys.executable, "-m", "gunicorn", "oms.wsgi:application", "--bind", f"fd://{self.sock.fileno()}"]
        cmd += ["--workers", str(self.workers), "--worker-class", "sync", "--timeout", "60"]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, pass_fds=[self.sock.fileno()], stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_until_answering(timeout)
        return self

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.output())
            try:
                self.request("GET", "/health/")
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer in time")

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        """(status, JSON body or text) of one request."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, _decoded(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _decoded(error.read())

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.sock:
            self.sock.close()
        _drop_queue(self.queue)


def _decoded(raw: bytes):
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _drop_queue(queue: str) -> None:
    import redis

    try:
        redis.Redis.from_url(redis_url(), socket_timeout=2).delete(queue)
    except redis.RedisError:
        pass  # nothing to clean up when Redis is away
