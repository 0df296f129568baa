"""A small Mollie on 127.0.0.1 speaking the documented v2 payments API the official client uses:

* ``POST /v2/payments`` makes a payment (status ``open``, ``_links.checkout.href``); the same
  ``Idempotency-Key`` returns the first answer again (header ``Idempotent-Replayed``);
* ``GET /v2/payments/{id}`` answers what the test put in ``payments`` (or made);
* ``POST /v2/payments/{id}/refunds`` and ``GET /v2/payments/{id}/refunds[/{re_id}]``.

Errors are Mollie's (``application/hal+json`` with ``status``, ``title``, ``detail``, ``field``):
401 without ``Bearer <api_key>``, 404 for unknown ids, 422 for a bad amount or what the test
puts in ``refuse`` (a message). ``down`` answers 502 (no Mollie body), ``fail_next`` answers the
next n requests with 500, ``delay`` (seconds) makes every answer slow. ``calls`` keeps (method,
path, Authorization) and ``bodies`` the JSON the client sent."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHECKOUT = "https://www.mollie.com/checkout/select-method"
AMOUNT = re.compile(r"^\d+\.\d{2}$")


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        server: FakePsp = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else {}
        with server.lock:
            server.calls.append((self.path, self.headers.get("Authorization", "")))
            server.requests.append((method, self.path, self.headers.get("Idempotency-Key", "")))
            if method == "POST":
                server.bodies.append(body)
            fail = server.fail_next > 0
            if fail:
                server.fail_next -= 1
        if server.delay:
            time.sleep(server.delay)
        if server.down:
            return self._answer(502, {"error": "bad gateway"})
        if fail:
            return self._error(500, "Internal Server Error", "Something went wrong on our side.")
        if self.headers.get("Authorization", "") != f"Bearer {server.api_key}":
            return self._error(401, "Unauthorized Request", "Missing authentication, or failed to authenticate")
        with server.lock:
            status, answer = server.route(method, self.path.split("?")[0], body, self.headers.get("Idempotency-Key"))
        self._answer(status, answer)

    def _error(self, status: int, title: str, detail: str, field: str | None = None) -> None:
        body = {"status": status, "title": title, "detail": detail}
        if field:
            body["field"] = field
        self._answer(status, body)

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/hal+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _problem(status: int, title: str, detail: str, field: str | None = None) -> tuple[int, dict]:
    body = {"status": status, "title": title, "detail": detail, "_links": {}}
    if field:
        body["field"] = field
    return status, body


class FakePsp(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api_key: str = "test_key") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api_key = api_key
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict[str, dict]] = {}
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.calls: list[tuple[str, str]] = []
        self.requests: list[tuple[str, str, str]] = []
        self.bodies: list[dict] = []
        self.refuse: str = ""
        self.down = False
        self.fail_next = 0
        self.delay = 0.0
        self.lock = threading.Lock()
        self._ids = itertools.count(1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v2"

    # --- the API ----------------------------------------------------------------------------

    def route(self, method: str, path: str, body: dict, key: str | None) -> tuple[int, dict]:
        if method == "POST" and key and key in self.idempotent:
            return self.idempotent[key]
        answer = self._route(method, path.rstrip("/").split("/")[2:], body)
        if method == "POST" and key and answer[0] < 300:
            self.idempotent[key] = answer
        return answer

    def _route(self, method: str, parts: list[str], body: dict) -> tuple[int, dict]:
        if parts == ["payments"] and method == "POST":
            return self._create_payment(body)
        if len(parts) < 2 or parts[0] != "payments" or parts[1] not in self.payments:
            return _problem(404, "Not Found", "No payment exists with token " + "/".join(parts[1:2]) + ".")
        payment_id = parts[1]
        if len(parts) == 2 and method == "GET":
            return 200, self.payments[payment_id]
        if parts[2:] == ["refunds"] and method == "POST":
            return self._create_refund(payment_id, body)
        if parts[2:] == ["refunds"] and method == "GET":
            items = list(self.refunds.get(payment_id, {}).values())
            return 200, {"count": len(items), "_embedded": {"refunds": items}, "_links": {}}
        if len(parts) == 4 and parts[2] == "refunds" and parts[3] in self.refunds.get(payment_id, {}):
            return 200, self.refunds[payment_id][parts[3]]
        return _problem(404, "Not Found", "No such resource.")

    def _create_payment(self, body: dict) -> tuple[int, dict]:
        amount = body.get("amount") or {}
        if amount.get("currency") != "EUR" or not AMOUNT.match(str(amount.get("value", ""))):
            return _problem(422, "Unprocessable Entity", "The amount is invalid", "amount")
        if not body.get("description"):
            return _problem(422, "Unprocessable Entity", "The description is empty", "description")
        if self.refuse:
            return _problem(422, "Unprocessable Entity", self.refuse, "method")
        payment_id = f"tr_Fake{next(self._ids):05d}"
        expires = body.get("expiresAt") or (datetime.now(UTC) + timedelta(minutes=15)).isoformat()
        self.payments[payment_id] = {
            "resource": "payment",
            "id": payment_id,
            "mode": "test",
            "status": "open",
            "amount": amount,
            "description": body["description"],
            "method": body.get("method"),
            "metadata": body.get("metadata"),
            "redirectUrl": body.get("redirectUrl"),
            "webhookUrl": body.get("webhookUrl"),
            "createdAt": datetime.now(UTC).isoformat(),
            "expiresAt": expires,
            "paidAt": None,
            "_links": {
                "self": {"href": f"{self.url}/payments/{payment_id}", "type": "application/hal+json"},
                "checkout": {"href": f"{CHECKOUT}/{payment_id}", "type": "text/html"},
            },
        }
        return 201, self.payments[payment_id]

    def _create_refund(self, payment_id: str, body: dict) -> tuple[int, dict]:
        payment = self.payments[payment_id]
        amount = body.get("amount") or {}
        if payment["status"] != "paid" and payment["status"] != "authorized":
            return _problem(422, "Unprocessable Entity", "The payment cannot be refunded", "amount")
        refunded = sum(Decimal(r["amount"]["value"]) for r in self.refunds.get(payment_id, {}).values())
        value = str(amount.get("value", ""))
        if not AMOUNT.match(value) or Decimal(value) + refunded > Decimal(payment["amount"]["value"]):
            return _problem(422, "Unprocessable Entity", "The refund amount is higher than what is left", "amount")
        refund_id = f"re_Fake{next(self._ids):05d}"
        refund = {
            "resource": "refund",
            "id": refund_id,
            "amount": amount,
            "status": "pending",
            "description": body.get("description", ""),
            "metadata": body.get("metadata"),
            "paymentId": payment_id,
            "createdAt": datetime.now(UTC).isoformat(),
            "_links": {"self": {"href": f"{self.url}/payments/{payment_id}/refunds/{refund_id}"}},
        }
        self.refunds.setdefault(payment_id, {})[refund_id] = refund
        return 201, refund

    # --- what the tests do ------------------------------------------------------------------

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

    def pay(self, payment_id: str, *, method: str = "ideal", status: str = "paid") -> None:
        """The customer pays on the checkout page (or the provider authorises a pay-later one)."""
        with self.lock:
            payment = self.payments[payment_id]
            payment.update(status=status, method=payment.get("method") or method)
            if status == "paid":
                payment["paidAt"] = datetime.now(UTC).isoformat()

    def expire(self, payment_id: str) -> None:
        with self.lock:
            self.payments[payment_id].update(status="expired", expiredAt=datetime.now(UTC).isoformat())

    def settle_refunds(self, status: str = "refunded") -> None:
        """The provider carries out every pending refund."""
        with self.lock:
            for refunds in self.refunds.values():
                for refund in refunds.values():
                    if refund["status"] in ("pending", "queued", "processing"):
                        refund["status"] = status

    def start(self) -> FakePsp:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
