"""A small carrier API on 127.0.0.1 (a thread in the test process) for the hand-off tests.

``POST /shipments`` answers with a tracking number and a base64 PDF label. It keeps the label it
made per ``Idempotency-Key`` and answers a repeated key with the same label, as a real carrier
API with idempotency does. ``script`` says how to answer the next requests, one word each
(then ``ok`` for ever):

- ``ok``: 201 with the label;
- ``error``: 500, nothing made;
- ``refuse``: 422 ``{"detail": "Unknown postcode"}``, nothing made;
- ``timeout``: makes the label, then answers only after the client gave up (the outcome the
  client cannot know: it must try again with the same key and get the same label);
- ``garbage``: 200 with a body that is not a label.

``POST /returns`` (the in-house protocol's return label) takes the same body with ``sender`` the
customer and ``recipient`` the warehouse and answers the same way (422 without the customer's
postcode; 404 when ``returns`` is False: an endpoint that has no returns).

It counts what matters: every request, the distinct idempotency keys, the labels made.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    server: FakeCarrier

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Idempotency-Key", "")
        mode = self.server.next_mode()
        self.server.record(key, self.headers.get("Authorization", ""), body, mode, self.path)
        if self.path.endswith("/returns"):
            if not self.server.returns:
                return self._answer(404, {"detail": "Not found"})
            if not (json.loads(body or b"{}").get("sender") or {}).get("postal_code"):
                return self._answer(422, {"detail": "sender.postal_code: required"})
        if mode == "error":
            return self._answer(500, {"detail": "Internal error"})
        if mode == "refuse":
            return self._answer(422, {"detail": "Unknown postcode"})
        if mode == "garbage":
            return self._answer(200, {"status": "queued"})
        label = self.server.label_for(key)
        if mode == "timeout":
            time.sleep(self.server.slow_seconds)
        self._answer(201, label)

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (time-out) and closed the connection
            pass


class FakeCarrier(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, slow_seconds: float = 1.5) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.slow_seconds = slow_seconds
        self.script: list[str] = []
        self.requests: list[dict] = []
        self.labels: dict[str, dict] = {}
        self.labels_made = 0
        self.returns = True
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def start(self) -> FakeCarrier:
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def next_mode(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else "ok"

    def record(self, key: str, auth: str, body: bytes, mode: str, path: str = "") -> None:
        with self._lock:
            self.requests.append(
                {"key": key, "auth": auth, "body": json.loads(body or b"{}"), "mode": mode, "path": path}
            )

    def label_for(self, key: str) -> dict:
        with self._lock:
            if key not in self.labels:
                self.labels_made += 1
                number = f"3SFAKE{self.labels_made:07d}"
                pdf = f"%PDF-1.4\n% fake label {number} for {key}\n%%EOF\n".encode()
                self.labels[key] = {"tracking_number": number, "label_pdf": base64.b64encode(pdf).decode()}
            return self.labels[key]

    @property
    def keys(self) -> set[str]:
        return {r["key"] for r in self.requests}
