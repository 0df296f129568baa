"""A small payment provider on 127.0.0.1 with Mollie's payments API shape: ``GET
/v2/payments/<id>`` answers what the test put in ``payments`` (404 for anything else) and
counts the calls; ``down`` makes it answer 502; ``delay`` (seconds) makes every answer slow."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        server: FakePsp = self.server  # type: ignore[assignment]
        with server.lock:
            server.calls.append((self.path, self.headers.get("Authorization", "")))
        payment_id = self.path.rsplit("/", 1)[-1]
        if server.delay:
            time.sleep(server.delay)
        if server.down:
            self._answer(502, {"error": "bad gateway"})
        elif self.path.startswith("/v2/payments/") and payment_id in server.payments:
            self._answer(200, server.payments[payment_id])
        else:
            self._answer(404, {"status": 404, "title": "Not Found"})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/hal+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakePsp(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.payments: dict[str, dict] = {}
        self.calls: list[tuple[str, str]] = []
        self.down = False
        self.delay = 0.0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v2"

    def add(self, payment_id: str, *, order_number: str, amount: str, status: str = "paid", method: str = "ideal"):
        self.payments[payment_id] = {
            "resource": "payment",
            "id": payment_id,
            "status": status,
            "amount": {"value": amount, "currency": "EUR"},
            "method": method,
            "paidAt": (datetime.now(UTC) - timedelta(hours=1)).isoformat() if status == "paid" else None,
            "metadata": {"order_number": order_number},
        }

    def start(self) -> FakePsp:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
