"""A real notification subscriber on loopback: records every POST and answers as the test tells it to."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    body: dict[str, Any]
    headers: dict[str, str]
    status: int  # what the subscriber answered
    at: float = field(default_factory=time.monotonic)


class Subscriber:
    """``fail(n)`` answers the next n notifications with an error; ``delay`` holds each answer that long;
    ``responder`` decides the status per notification."""

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.delay = 0.0
        self.received: list[Received] = []
        self.arrivals = 0  # notifications whose request reached the subscriber (answered or not yet)
        self.responder: Callable[[dict[str, Any]], int] | None = None
        self._failures_left = 0
        self._failure_status = 500
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def fail(self, times: int, status: int = 500) -> None:
        with self._lock:
            self._failures_left, self._failure_status = times, status

    def start(self) -> Subscriber:
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if body.get("kanaal") != "test":
                    with subscriber._lock:
                        subscriber.arrivals += 1
                status = subscriber._answer(body)
                if subscriber.delay:
                    time.sleep(subscriber.delay)
                with subscriber._cond:
                    subscriber.received.append(Received(body, dict(self.headers.items()), status))
                    subscriber._cond.notify_all()
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up (timeout) or died

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/callback"
        return self

    def _answer(self, body: dict[str, Any]) -> int:
        with self._lock:
            if body.get("kanaal") != "test" and self._failures_left > 0:
                self._failures_left -= 1
                return self._failure_status
        if self.responder is not None:
            return self.responder(body)
        return self.status

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def notifications(self, *, delivered_only: bool = True) -> list[dict[str, Any]]:
        """Bodies received (without the subscribe-time test notification), by default only those answered 2xx."""
        with self._lock:
            return [
                r.body
                for r in self.received
                if r.body.get("kanaal") != "test" and (not delivered_only or 200 <= r.status < 300)
            ]

    def wait_for(self, count: int, timeout: float = 20.0, *, delivered_only: bool = True) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.notifications(delivered_only=delivered_only)
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"subscriber got {len(found)} notifications, expected {count}")
            with self._cond:
                self._cond.wait(min(remaining, 0.2))


@contextmanager
def running_subscriber(status: int = 204) -> Iterator[Subscriber]:
    subscriber = Subscriber(status).start()
    try:
        yield subscriber
    finally:
        subscriber.stop()
