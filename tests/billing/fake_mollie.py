"""A fake of Mollie's v2 settlements API on 127.0.0.1 (port 0), the documented shapes that
``mollie-api-python`` reads: ``GET /v2/settlements`` (HAL list, ``_embedded.settlements``, paged
by ``limit`` and ``from`` with ``_links.next``), ``GET /v2/settlements/<id>/payments`` and
``/refunds``. It answers 401 without ``Authorization: Bearer access_...``; ``down`` makes it 503."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def money(value: str) -> dict:
    return {"value": value, "currency": "EUR"}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        server: FakeMollie = self.server  # type: ignore[assignment]
        url = urlparse(self.path)
        with server.lock:
            server.calls.append(url.path)
        if server.down:
            return self._answer(503, {"status": 503, "title": "Service Unavailable", "detail": "down"})
        if not self.headers.get("Authorization", "").startswith("Bearer access_"):
            return self._answer(401, {"status": 401, "title": "Unauthorized Request", "detail": "Missing token"})
        parts = url.path.strip("/").split("/")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if parts == ["v2", "settlements"]:
            return self._list("settlements", list(server.settlements.values()), query, url.path)
        if len(parts) == 4 and parts[:2] == ["v2", "settlements"] and parts[2] in server.settlements:
            kind = parts[3]
            items = server.items.get(parts[2], {}).get(kind)
            if items is not None:
                return self._list(kind, items, query, url.path)
        return self._answer(404, {"status": 404, "title": "Not Found", "detail": "No such resource"})

    def _list(self, name: str, rows: list[dict], query: dict, path: str) -> None:
        limit = int(query.get("limit", 250))
        start = next((i for i, row in enumerate(rows) if row["id"] == query.get("from")), 0)
        page, rest = rows[start : start + min(limit, self.server.page_size)], rows[start + self.server.page_size :]
        base = f"{self.server.url}{path.removeprefix('/v2')}"
        links = {"self": {"href": base, "type": "application/hal+json"}, "previous": None, "next": None}
        if rest:
            links["next"] = {"href": f"{base}?from={rest[0]['id']}&limit={limit}", "type": "application/hal+json"}
        self._answer(200, {"count": len(page), "_embedded": {name: page}, "_links": links})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/hal+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeMollie(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.settlements: dict[str, dict] = {}
        self.items: dict[str, dict[str, list[dict]]] = {}
        self.calls: list[str] = []
        self.down = False
        self.page_size = 2  # small, so that the tests follow _links.next
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v2"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add_settlement(
        self,
        settlement_id: str,
        *,
        reference: str,
        amount: str,
        settled_at: str,
        payments: list[tuple[str, str]],
        refunds: list[tuple[str, str]] = (),
        fees: list[tuple[str, str]] = (),
        status: str = "paidout",
    ) -> None:
        """``payments``/``refunds``: (id, amount); ``fees``: (net, vat) cost rows of one period."""
        year, month = settled_at[:4], settled_at[5:7]
        costs = [
            {
                "description": "iDEAL",
                "method": "ideal",
                "count": len(payments),
                "rate": {"fixed": money("0.29")},
                "amountNet": money(net),
                "amountVat": money(vat) if vat else None,
                "amountGross": money(f"{float(net) + float(vat or 0):.2f}"),
            }
            for net, vat in fees
        ]
        self.settlements[settlement_id] = {
            "resource": "settlement",
            "id": settlement_id,
            "reference": reference,
            "createdAt": f"{settled_at}T04:00:00+00:00",
            "settledAt": f"{settled_at}T06:00:00+00:00" if status == "paidout" else None,
            "status": status,
            "amount": money(amount),
            "periods": {year: {month: {"revenue": [], "costs": costs, "invoiceId": "inv_FrvewDA3Pr"}}},
            "_links": {"self": {"href": f"{self.url}/settlements/{settlement_id}", "type": "application/hal+json"}},
        }
        self.items[settlement_id] = {
            "payments": [
                {
                    "resource": "payment",
                    "id": pid,
                    "mode": "live",
                    "status": "paid",
                    "amount": money(value),
                    "settlementId": settlement_id,
                    "method": "ideal",
                    "description": "Order",
                }
                for pid, value in payments
            ],
            "refunds": [
                {
                    "resource": "refund",
                    "id": rid,
                    "status": "refunded",
                    "amount": money(value),
                    "settlementId": settlement_id,
                    "settlementAmount": money(f"-{value}"),
                }
                for rid, value in refunds
            ],
        }

    def start(self) -> FakeMollie:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
