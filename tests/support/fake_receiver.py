"""A webhook receiver on 127.0.0.1 (a thread in the test process) for the webhook tests and
bench/webhooks.py.

It verifies every request with the ``standardwebhooks`` library (``Webhook.verify``, as a
receiver would) and keeps what it accepted. ``fail_first`` (a tuple, or a function of the
``webhook-id`` giving one) makes it fail the first attempts of each ``webhook-id``, one mode
each, then answer 200: ``500`` (an error answer), ``reset`` (the
connection closed without an answer), ``timeout`` (answers only after ``slow_seconds``).
``mode`` answers every request the same way (``ok``, ``500``, ``reset``, ``timeout``).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class _Handler(BaseHTTPRequestHandler):
    server: FakeReceiver
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver (the client keeps its connections)

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        mode = self.server.mode_for(headers.get("webhook-id", ""))
        if mode == "reset":
            # RST instead of FIN: the client sees the connection reset, no answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if mode == "timeout":
            time.sleep(self.server.slow_seconds)
            self.close_connection = True
            return self._answer(200, b"too late")
        if mode == "500":
            return self._answer(500, b'{"error": "receiver broke"}')
        try:
            event = Webhook(self.server.secret).verify(body, headers)
        except WebhookVerificationError as exc:
            self.server.record_bad(headers, str(exc))
            return self._answer(401, b"bad signature")
        self.server.accept(headers, event)
        self._answer(200, b'{"received": true}')

    def _answer(self, status: int, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up
            pass


class FakeReceiver(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, fail_first=(), mode: str = "ok", slow_seconds: float = 1.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = ""
        self.fail_first, self.mode, self.slow_seconds = fail_first, mode, slow_seconds
        self.tries: Counter[str] = Counter()  # requests per webhook-id
        self.accepted: list[tuple[dict, dict]] = []  # (headers, verified event)
        self.bad: list[tuple[dict, str]] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"

    def start(self) -> FakeReceiver:
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def mode_for(self, webhook_id: str) -> str:
        with self._lock:
            self.tries[webhook_id] += 1
            n = self.tries[webhook_id]
        if self.mode != "ok":
            return self.mode
        plan = self.fail_first(webhook_id) if callable(self.fail_first) else self.fail_first
        return plan[n - 1] if n <= len(plan) else "ok"

    def accept(self, headers: dict, event: dict) -> None:
        with self._lock:
            self.accepted.append((headers, event))

    def record_bad(self, headers: dict, reason: str) -> None:
        with self._lock:
            self.bad.append((headers, reason))

    def unique(self) -> dict[str, dict]:
        """The events accepted, deduplicated by ``webhook-id``."""
        with self._lock:
            return {headers["webhook-id"]: event for headers, event in self.accepted}

    def body_of(self, webhook_id: str) -> dict:
        return self.unique()[webhook_id]
