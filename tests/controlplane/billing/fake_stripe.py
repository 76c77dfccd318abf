"""A small stateful Stripe on loopback for the exactly-once tests: it records every request the ``stripe``
library sends (method, path, form body, Idempotency-Key), keeps customers, subscriptions, prices, meters and
meter events the way Stripe does (idempotency-key replays, identifier dedup answered with Stripe's 400), and
can be told to fail: answer 500, stall past the client's timeout, or accept a request and then answer 500 (the
response is lost but the event exists — the case that double-bills without identifiers).

Only the endpoints billing uses are implemented; anything else answers 404 like Stripe does."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fixtures.processes import free_port


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    status: int = 0


@dataclass
class Fault:
    """Applies to the next ``times`` requests whose path matches ``path`` (a regex)."""

    path: str
    kind: str  # "500": fail before doing anything; "stall": sleep ``seconds`` first; "lost": do it, answer 500
    times: int = 1
    seconds: float = 0.0


def _assign(target: dict[str, Any], keys: list[str], value: str) -> None:
    key = keys[0]
    if len(keys) == 1:
        target[key] = value
        return
    child = target.setdefault(key, {})
    _assign(child, keys[1:], value)


def _listify(value: Any) -> Any:
    """Form keys like items[0][price] become lists where every key is a number."""
    if isinstance(value, dict):
        value = {k: _listify(v) for k, v in value.items()}
        if value and all(k.isdigit() for k in value):
            return [value[k] for k in sorted(value, key=int)]
    return value


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][0][c]=v``) as nested dicts and lists."""
    parsed: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head, *rest = re.findall(r"[^\[\]]+", key)
        _assign(parsed, [head, *rest], value)
    return _listify(parsed)  # type: ignore[no-any-return]


@dataclass
class FakeStripe:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    meter_events: dict[str, dict[str, Any]] = field(default_factory=dict)  # identifier → event
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    meters: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → meter
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    replies: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)  # idempotency key → answer
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self.ids):06d}"

    def seed_catalog(self, prefix: str = "zgw_") -> None:
        """Meters and metered prices for every invoice component, as ``stripe-setup`` makes them."""
        from controlplane.billing.pricing import Component

        for component in Component:
            meter_id = self.new_id("mtr")
            self.meters[meter_id] = {"id": meter_id, "object": "billing.meter", "event_name": prefix + component,
                                     "status": "active"}  # fmt: skip
            price_id = self.new_id("price")
            self.prices[price_id] = {"id": price_id, "object": "price", "lookup_key": prefix + component,
                                     "active": True, "unit_amount": 1, "currency": "eur"}  # fmt: skip

    def fail(self, path: str, kind: str = "500", times: int = 1, seconds: float = 0.0) -> None:
        self.faults.append(Fault(path, kind, times, seconds))

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.fullmatch(path, r.path)]

    def total(self, customer: str, event_name: str, start: int, end: int) -> int:
        return sum(int(e["payload"]["value"]) for e in self.meter_events.values()
                   if e["payload"]["stripe_customer_id"] == customer and e["event_name"] == event_name
                   and start <= int(e["timestamp"]) < end)  # fmt: skip

    # --- the API ------------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict[str, Any], key: str | None) -> tuple[int, dict[str, Any]]:
        if key and method == "POST" and key in self.replies:
            return self.replies[key]  # Stripe's idempotency: the same key gets the first answer again
        answer = self._route(method, path, params)
        if key and method == "POST" and answer[0] < 500:
            self.replies[key] = answer
        return answer

    def _list(self, items: list[dict[str, Any]], url: str) -> tuple[int, dict[str, Any]]:
        return 200, {"object": "list", "data": items, "has_more": False, "url": url}

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        now = int(time.time())
        if (method, path) == ("POST", "/v1/customers"):
            customer_id = self.new_id("cus")
            self.customers[customer_id] = {"id": customer_id, "object": "customer", "created": now, **params}
            return 200, self.customers[customer_id]
        if (method, path) == ("GET", "/v1/customers/search"):
            match = re.search(r"metadata\['(\w+)'\]:'([^']+)'", params.get("query", ""))
            found = [c for c in self.customers.values()
                     if match and (c.get("metadata") or {}).get(match.group(1)) == match.group(2)]  # fmt: skip
            return 200, {"object": "search_result", "data": found, "has_more": False, "url": path}
        if (method, path) == ("GET", "/v1/subscriptions"):
            return self._list([s for s in self.subscriptions.values() if s["customer"] == params.get("customer")], path)
        if (method, path) == ("POST", "/v1/subscriptions"):
            if params.get("customer") not in self.customers:
                return 400, {"error": {"type": "invalid_request_error", "message": "No such customer"}}
            subscription_id = self.new_id("sub")
            items = [{"id": self.new_id("si"), "object": "subscription_item", "price": {"id": i["price"]}}
                     for i in params.get("items", [])]  # fmt: skip
            self.subscriptions[subscription_id] = {
                "id": subscription_id, "object": "subscription", "customer": params["customer"], "status": "active",
                "items": {"object": "list", "data": items, "has_more": False, "url": "/v1/subscription_items"},
                "metadata": params.get("metadata", {}), "created": now,
            }  # fmt: skip
            return 200, self.subscriptions[subscription_id]
        if (method, path) == ("GET", "/v1/prices"):
            keys = params.get("lookup_keys", [])
            return self._list([p for p in self.prices.values() if p["lookup_key"] in keys], path)
        if (method, path) == ("POST", "/v1/billing/meters"):
            meter_id = self.new_id("mtr")
            self.meters[meter_id] = {"id": meter_id, "object": "billing.meter", "status": "active", **params}
            return 200, self.meters[meter_id]
        if (method, path) == ("POST", "/v1/prices"):
            price_id = self.new_id("price")
            self.prices[price_id] = {"id": price_id, "object": "price", "active": True, **params}
            return 200, self.prices[price_id]
        if (method, path) == ("GET", "/v1/billing/meters"):
            return self._list(list(self.meters.values()), path)
        if (method, path) == ("POST", "/v1/billing/meter_events"):
            identifier = params["identifier"]
            if identifier in self.meter_events:
                return 400, {"error": {
                    "type": "invalid_request_error", "code": "duplicate_meter_event",
                    "message": f"An event already exists with identifier {identifier}.",
                }}  # fmt: skip
            event = {"object": "billing.meter_event", "created": now, **params}
            self.meter_events[identifier] = event
            return 200, event
        if method == "GET" and (m := re.fullmatch(r"/v1/billing/meters/([^/]+)/event_summaries", path)):
            meter = self.meters.get(m.group(1))
            if meter is None:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such meter"}}
            value = self.total(params["customer"], meter["event_name"], int(params["start_time"]),
                               int(params["end_time"]))  # fmt: skip
            return self._list([{"object": "billing.meter_event_summary", "id": self.new_id("mtrusg"),
                                "aggregated_value": value, "meter": meter["id"], "start_time": params["start_time"],
                                "end_time": params["end_time"]}], path)  # fmt: skip
        if (method, path) == ("GET", "/v1/invoices"):
            return self._list([i for i in self.invoices.values() if i["customer"] == params.get("customer")], path)
        if (method, path) == ("POST", "/v1/billing_portal/sessions"):
            return 200, {"object": "billing_portal.session", "id": self.new_id("bps"), "customer": params["customer"],
                         "url": f"https://billing.stripe.test/p/session/{params['customer']}",
                         "return_url": params.get("return_url")}  # fmt: skip
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})"}}


def _handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *_args: object) -> None:
            pass

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else parts.query
            params = parse_form(body)
            key = self.headers.get("Idempotency-Key")
            record = Recorded(method, parts.path, params, key)
            fault = None
            with fake.lock:
                fake.requests.append(record)
                for candidate in fake.faults:
                    if candidate.times > 0 and re.fullmatch(candidate.path, parts.path):
                        candidate.times -= 1
                        fault = candidate
                        break
            if fault is not None and fault.kind == "stall":
                time.sleep(fault.seconds)
            if fault is not None and fault.kind == "500":
                status, answer = 500, {"error": {"type": "api_error", "message": "injected failure"}}
            else:
                with fake.lock:
                    status, answer = fake.handle(method, parts.path, params, key)
                if fault is not None and fault.kind == "lost":
                    status, answer = 500, {"error": {"type": "api_error", "message": "injected: done, answer lost"}}
            record.status = status
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{fake.new_id('r')}")
                if status >= 500:
                    self.send_header("Stripe-Should-Retry", "true")
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

    return Handler


@contextmanager
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
