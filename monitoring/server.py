"""The metrics port of a process that serves no HTTP of its own: the SMS worker
(`sms_worker --metrics-port 9100`). Same rules as the web's /metrics: the bearer token or an
allowed address, 404 otherwise."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST

from monitoring.exposition import scrape, scrape_allowed


def metrics_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    allowed = (
        environ.get("PATH_INFO") == "/metrics"
        and environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        and scrape_allowed(
            authorization=environ.get("HTTP_AUTHORIZATION", ""),
            remote_addr=environ.get("REMOTE_ADDR", ""),
        )
    )
    if not allowed:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not found.\n"]
    body = scrape(with_outbox=False)
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
    return [body]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        # One line per scrape would drown the worker's own events.
        pass


def start_metrics_server(*, port: int, address: str = "0.0.0.0") -> WSGIServer:  # noqa: S104
    """Serve /metrics on a daemon thread; returns the server (its `server_port` is the port
    actually bound, for port 0)."""
    server = make_server(address, port, metrics_app, _Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
