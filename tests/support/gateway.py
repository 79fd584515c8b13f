"""A stand-in for Africa's Talking's SMS API: a real HTTP server on 127.0.0.1 (an ephemeral
port, so suites running side by side never collide) speaking the documented wire format.

Switches, all settable while it runs:
- `latency`: seconds before answering (a value above the client's timeout is a timeout);
  `delays`: per-number latency, e.g. {"+254700000001": 0.4};
- `fail_next`: answer that many requests with HTTP 503, then recover; `down`: always 503;
- `drop_next`: close that many connections without answering;
- `api_key`: requests with another `apiKey` header get the gateway's 401;
- `statuses`: per-number (statusCode, status) answers, e.g. {"+254700000001": (406,
  "UserInBlacklist")}; other numbers get 101 Success.

It records every request it read (`requests`) and every message it accepted (`accepted`).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

API_KEY = "test-api-key"


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class AcceptedMessage:
    to: str
    message: str
    message_id: str


@dataclass
class GatewayDouble:
    api_key: str = API_KEY
    latency: float = 0.0
    fail_next: int = 0
    down: bool = False
    drop_next: int = 0
    statuses: dict[str, tuple[int, str]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    requests: list[ReceivedRequest] = field(default_factory=list)
    accepted: list[AcceptedMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.received = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> GatewayDouble:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accepted_per_number(self) -> Counter[str]:
        with self._lock:
            return Counter(m.to for m in self.accepted)

    # Called from the server's threads.
    def _take(self, attribute: str) -> bool:
        with self._lock:
            left = getattr(self, attribute)
            if left > 0:
                setattr(self, attribute, left - 1)
                return True
            return False

    def _handle(self, request: ReceivedRequest) -> tuple[int, str, dict[str, Any] | None]:
        with self._lock:
            self.requests.append(request)
        self.received.set()
        delay = self.delays.get(request.form.get("to", ""), self.latency)
        if delay:
            time.sleep(delay)
        if self.down or self._take("fail_next"):
            return 503, "text/plain", None
        if request.path != "/version1/messaging":
            return 404, "text/plain", None
        if request.headers.get("apikey") != self.api_key:
            return 401, "text/plain", None
        form = request.form
        if not form.get("username") or not form.get("to") or not form.get("message"):
            return 400, "text/plain", None
        to = form["to"]
        code, status = self.statuses.get(to, (101, "Success"))
        recipient: dict[str, Any] = {"statusCode": code, "number": to, "status": status}
        if code in (100, 101, 102):
            message_id = f"ATXid_{uuid.uuid4().hex}"
            recipient |= {"cost": "KES 0.8000", "messageId": message_id}
            with self._lock:
                self.accepted.append(AcceptedMessage(to, form["message"], message_id))
            summary = "Sent to 1/1 Total Cost: KES 0.8000"
        else:
            recipient |= {"cost": "0", "messageId": "None"}
            summary = "Sent to 0/1 Total Cost: 0"
        body = {"SMSMessageData": {"Message": summary, "Recipients": [recipient]}}
        return 201, "application/json", body


class _QuietServer(ThreadingHTTPServer):
    # The default backlog of 5 drops the SYNs of a worker opening 16 connections at once, and
    # the client's retransmission a second later looks like a slow gateway.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Dropped and timed-out connections are the point of several switches: not news.
        pass


_TEXT = {
    400: b"Request is missing required form field",
    401: b"The supplied authentication is invalid",
    404: b"Not found",
    503: b"Service Unavailable",
}


def _make_handler(gateway: GatewayDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length).decode()
            if gateway._take("drop_next"):
                # Slam the connection shut: the client sees a connection error, no answer.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                self.close_connection = True
                self.connection.close()
                return
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            path = self.path.split("?", 1)[0]
            code, content_type, body = gateway._handle(ReceivedRequest(path, headers, form))
            payload = json.dumps(body).encode() if body is not None else _TEXT.get(code, b"")
            try:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                # The client gave up (timed out) or was killed; nothing to answer.
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
