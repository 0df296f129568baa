"""PostNL's and Sendcloud's APIs as small servers on 127.0.0.1 (a thread in the test process),
following the requests and answers their documentation gives, for the adapter tests.

Each checks its credentials (401 with the carrier's error body otherwise) and keeps what it made.
``script`` says how to answer the next *create* requests (PostNL's label call, Sendcloud's
parcel call), one word each, then ``ok`` for ever:

- ``ok``: made (or, for the same barcode / external reference again, the one made before);
- ``error``: 500, nothing made;
- ``refuse``: the carrier's validation error (PostNL 400, Sendcloud 400), nothing made;
- ``ratelimit``: 429 with ``Retry-After: 7``, nothing made;
- ``timeout``: made, then the answer comes only after the client gave up;
- ``duplicate`` (Sendcloud): another try's parcel with this external reference appears first, so
  this one is refused as a duplicate reference (two tries racing).

``made`` counts the parcels (PostNL: labelled barcodes; Sendcloud: parcels), ``creates`` the
create requests.

Return labels follow the same calls: Sendcloud's parcel with ``is_return: true`` needs the
customer's ``from_*`` address (400 per missing field, as Sendcloud's validation answers); PostNL's
Smart Returns label (product 2285) needs product option 152/025, a receiver (01) and a sender
(02) address and the customer's e-mail as contact.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RETURN_FIELDS = ("from_name", "from_address_1", "from_house_number", "from_postal_code", "from_city", "from_country")


def pdf_for(number: str) -> bytes:
    return f"%PDF-1.4\n% fake label {number}\n%%EOF\n".encode()


class _Handler(BaseHTTPRequestHandler):
    server: FakeApi

    def log_message(self, *args) -> None:
        pass

    def _dispatch(self, method: str) -> None:
        url = urlparse(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        self.server.log(method, url.path, dict(self.headers), body)
        if not self.server.authorised(self.headers):
            return self.answer(*self.server.unauthorised())
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.answer(*self.server.route(method, url.path, query, body))

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def answer(self, status: int, payload, headers: dict | None = None) -> None:
        if isinstance(payload, bytes):
            data, kind = payload, "application/pdf"
        else:
            data, kind = json.dumps(payload).encode(), "application/json"
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up
            pass


class FakeApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, slow_seconds: float = 1.5) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.slow_seconds = slow_seconds
        self.script: list[str] = []
        self.requests: list[dict] = []
        self.creates = 0
        self.made = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self):
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def log(self, method, path, headers, body) -> None:
        with self.lock:
            self.requests.append({"method": method, "path": path, "headers": headers, "body": body})

    def next_mode(self) -> str:
        with self.lock:
            self.creates += 1
            return self.script.pop(0) if self.script else "ok"

    def scripted(self, mode: str, refusal: tuple[int, dict]):
        """The answer a script word asks for, or None for ``ok``/``timeout`` (made normally)."""
        if mode == "error":
            return 500, {"error": "internal"}
        if mode == "refuse":
            return refusal
        if mode == "ratelimit":
            return 429, {"message": "Too many requests"}, {"Retry-After": "7"}
        return None

    def late(self, mode: str) -> None:
        if mode == "timeout":
            time.sleep(self.slow_seconds)


class FakePostNL(FakeApi):
    """Barcode, label (and confirm), status and locations of PostNL's REST API."""

    api_key = "postnl-key"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.barcodes = 0
        self.labels: dict[str, dict] = {}  # barcode -> the shipment as labelled
        self.statuses: dict[str, dict] = {}  # barcode -> CurrentStatus.Shipment.Status

    def authorised(self, headers) -> bool:
        return headers.get("apikey") == self.api_key

    def unauthorised(self):
        return 401, {"fault": {"faultstring": "Invalid ApiKey", "detail": {"errorcode": "oauth.v2.InvalidApiKey"}}}

    def route(self, method, path, query, body):
        if method == "GET" and path == "/shipment/v1_1/barcode":
            if not (query.get("CustomerCode") and query.get("CustomerNumber") and query.get("Type") == "3S"):
                return 400, {"Errors": [{"Description": "CustomerCode, CustomerNumber and Type are required"}]}
            with self.lock:
                self.barcodes += 1
                return 200, {"Barcode": f"3S{query['CustomerCode']}{self.barcodes:09d}"}
        if method == "POST" and path == "/shipment/v2_2/label":
            return self._label(query, json.loads(body or b"{}"))
        if method == "GET" and path.startswith("/shipment/v2/status/barcode/"):
            barcode = path.rsplit("/", 1)[1]
            if barcode not in self.statuses:
                return 404, {"Errors": [{"Description": "Shipment not found"}]}
            return 200, {"CurrentStatus": {"Shipment": {"Barcode": barcode, "Status": self.statuses[barcode]}}}
        if method == "GET" and path == "/shipment/v2_1/locations/nearest":
            return 200, {"GetLocationsResult": {"ResponseLocation": self.locations(query)}}
        return 404, {"Errors": [{"Description": "No such resource"}]}

    def _label(self, query, data):
        mode = self.next_mode()
        refusal = 400, {"Errors": [{"Code": "6", "Description": "Invalid zipcode"}]}
        scripted = self.scripted(mode, refusal)
        if scripted:
            return scripted
        shipment = data["Shipments"][0]
        if not shipment.get("Barcode") or not data["Customer"].get("CustomerCode") or query.get("confirm") != "true":
            return 400, {"Errors": [{"Description": "Barcode, customer and confirm are required"}]}
        if shipment.get("ProductCodeDelivery") == "2285" and (problem := self._smart_return_problem(shipment)):
            return 400, {"Errors": [{"Code": "2285", "Description": problem}]}
        with self.lock:
            if shipment["Barcode"] not in self.labels:
                self.made += 1
                self.labels[shipment["Barcode"]] = shipment
        self.late(mode)
        content = base64.b64encode(pdf_for(shipment["Barcode"])).decode()
        labels = [{"Content": content, "Labeltype": "Label", "OutputType": "PDF"}]
        return 200, {"ResponseShipments": [{"Barcode": shipment["Barcode"], "Labels": labels, "Warnings": []}]}

    @staticmethod
    def _smart_return_problem(shipment: dict) -> str:
        options = shipment.get("ProductOptions") or []
        if {"Characteristic": "152", "Option": "025"} not in options:
            return "Smart Returns need product option 152/025"
        kinds = {a.get("AddressType") for a in shipment.get("Addresses") or [] if a.get("Zipcode")}
        if not {"01", "02"} <= kinds:
            return "Smart Returns need a receiver (01) and a sender (02) address"
        if not any(c.get("Email") for c in shipment.get("Contacts") or []):
            return "Smart Returns need the sender's e-mail address"
        return ""

    def locations(self, query):
        return [
            {"LocationCode": "204052", "Name": "Primera Oudegracht", "Distance": "320",
             "Address": {"Street": "Oudegracht", "HouseNr": "120", "Zipcode": "3511AX", "City": "Utrecht",
                         "Countrycode": query.get("CountryCode", "NL")},
             "OpeningHours": {"Monday": {"string": "09:00-18:00"}, "Saturday": {"string": "10:00-17:00"}}},
            {"LocationCode": "176227", "Name": "Jumbo Voorstraat", "Distance": "850",
             "Address": {"Street": "Voorstraat", "HouseNr": "9", "Zipcode": "3512AK", "City": "Utrecht",
                         "Countrycode": "NL"},
             "OpeningHours": {"Monday": {"string": ["08:00-12:00", "13:00-21:00"]}}},
        ]  # fmt: skip


class FakeSendcloud(FakeApi):
    """Parcels (create, find, get, cancel), labels and service points of Sendcloud's v2 API."""

    public_key, secret_key = "sc-public", "sc-secret"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.parcels: dict[int, dict] = {}

    def authorised(self, headers) -> bool:
        expected = base64.b64encode(f"{self.public_key}:{self.secret_key}".encode()).decode()
        return headers.get("Authorization") == f"Basic {expected}"

    def unauthorised(self):
        return 401, {"error": {"code": 401, "request": "api/v2/parcels", "message": "Invalid username/password."}}

    def route(self, method, path, query, body):
        parts = path.strip("/").split("/")
        if path == "/api/v2/parcels" and method == "GET":
            wanted = {k: v for k, v in query.items() if k in ("external_reference", "tracking_number")}
            found = [p for p in self.parcels.values() if all(str(p.get(k)) == v for k, v in wanted.items())]
            return 200, {"parcels": found, "next": None, "previous": None}
        if path == "/api/v2/parcels" and method == "POST":
            return self._create(json.loads(body or b"{}").get("parcel") or {})
        if parts[:3] == ["api", "v2", "parcels"] and len(parts) >= 4 and parts[3].isdigit():
            parcel = self.parcels.get(int(parts[3]))
            if parcel is None:
                return 404, {"error": {"code": 404, "request": path.strip("/"), "message": "Not found."}}
            if len(parts) == 5 and parts[4] == "cancel" and method == "POST":
                return self._cancel(parcel)
            return 200, {"parcel": parcel}
        if parts[:4] == ["api", "v2", "labels", "label_printer"] and int(parts[4]) in self.parcels:
            return 200, pdf_for(self.parcels[int(parts[4])]["tracking_number"])
        if path == "/api/v2/service-points":
            return 200, self.service_points(query)
        return 404, {"error": {"code": 404, "request": path.strip("/"), "message": "Not found."}}

    def _create(self, data):
        mode = self.next_mode()
        refusal = 400, {"error": {"code": 400, "request": "api/v2/parcels",
                                  "message": "postal_code: Enter a valid postal code."}}  # fmt: skip
        scripted = self.scripted(mode, refusal)
        if scripted:
            return scripted
        if not (data.get("shipment") or {}).get("id") or not data.get("request_label"):
            return 400, {"error": {"code": 400, "request": "api/v2/parcels", "message": "shipment: required."}}
        if data.get("is_return"):
            missing = [f for f in RETURN_FIELDS if not str(data.get(f) or "").strip()]
            if missing:
                message = f"{missing[0]}: This field is required when is_return is true."
                return 400, {"error": {"code": 400, "request": "api/v2/parcels", "message": message}}
        with self.lock:
            ref = data.get("external_reference")
            if mode == "duplicate":
                self._make(data)
            if ref and any(p["external_reference"] == ref for p in self.parcels.values()):
                message = "external_reference: A parcel with this external reference already exists."
                return 400, {"error": {"code": 400, "request": "api/v2/parcels", "message": message}}
            parcel = self._make(data)
        self.late(mode)
        return 200, {"parcel": parcel}

    def _make(self, data: dict) -> dict:
        self.made += 1
        parcel_id = 1000 + self.made
        parcel = {**data, "id": parcel_id, "tracking_number": f"JVGL{parcel_id:010d}",
                  "status": {"id": 1000, "message": "Ready to send"},
                  "label": {"label_printer": f"{self.url}/api/v2/labels/label_printer/{parcel_id}"}}  # fmt: skip
        self.parcels[parcel_id] = parcel
        return parcel

    def _cancel(self, parcel):
        if parcel["status"]["id"] == 2000:
            return 400, {"status": "failed", "message": "Parcel has already been cancelled."}
        parcel["status"] = {"id": 2000, "message": "Cancelled"}
        return 200, {"status": "cancelled", "message": "Parcel has been cancelled"}

    def service_points(self, query):
        return [
            {"id": 10663904, "code": "217165", "name": "Albert Heijn Vredenburg", "street": "Vredenburg",
             "house_number": "40", "postal_code": "3511BD", "city": "Utrecht", "country": query.get("country"),
             "carrier": "postnl", "distance": 640,
             "formatted_opening_times": {"0": ["08:00 - 22:00"], "1": ["08:00 - 22:00"], "6": []}},
            {"id": 10663801, "code": "5678", "name": "DHL ServicePoint Bruna", "street": "Lange Elisabethstraat",
             "house_number": "2", "postal_code": "3511AB", "city": "Utrecht", "country": query.get("country"),
             "carrier": "dhl", "distance": 180, "formatted_opening_times": {"0": ["09:00 - 18:00"]}},
        ]  # fmt: skip
