"""gunicorn's threaded worker, listening for new connections only while a thread is free.

Workers share one listening socket. gunicorn's gthread worker accepts every connection it can
(up to `worker_connections`, 1,000), busy or not, and keeps each one for its keep-alive
requests. When clients connect in a burst (a proxy opening its pool, a load test), the first
worker awake takes them all: measured with 16 connections on two workers, half the runs had
one worker serving everything (on one core: the GIL) while the other idled, at half the
throughput. And a connection taken by a worker stuck on slow requests waits behind them while
another worker idles.

Here a worker whose threads are all busy stops listening, and looks at the socket once every
PATIENCE (without waiting) to take one connection no idle worker took. An idle worker listens
all the time and takes a new connection within a millisecond. When every worker is busy, each
takes one waiting connection per look: 8 beyond the threads of two workers are in within about
0.1 s, where gunicorn's worker queued them at once behind its busy threads.

It overrides four methods of gunicorn's gthread worker (27.x, pinned); tests/test_deploy.py
runs real servers for both promises (balance, and nothing left waiting on a busy worker).

A listening socket per worker (SO_REUSEPORT, gunicorn's `reuse_port`) spreads connections too,
by hash and not by load, and resets the connections queued at a worker when it is recycled:
measured, thousands of socket errors at max_requests=300. This keeps the shared socket.
"""

from __future__ import annotations

import time
from concurrent import futures
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

PATIENCE = 0.02  # seconds


class BalancedThreadWorker(ThreadWorker):
    # Requests handed to the thread pool and not finished. All of this runs on the worker's
    # main loop (accept, the keep-alive poller, finish_request through the method queue), so
    # plain attributes are safe.
    in_flight = 0
    # When the worker last listened for new connections.
    listened_at = 0.0

    def busy(self) -> bool:
        return self.in_flight >= self.cfg.threads

    def enqueue_req(self, conn: Any) -> None:
        self.in_flight += 1
        super().enqueue_req(conn)
        if self.busy():
            self.set_accept_enabled(False)

    def finish_request(self, conn: Any, fs: futures.Future[Any]) -> None:
        self.in_flight -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        # gunicorn's loop asks to accept whenever it holds fewer than worker_connections.
        if enabled and self.busy():
            enabled = time.monotonic() - self.listened_at >= PATIENCE
        if self._accepting and not enabled:
            self.listened_at = time.monotonic()
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        looking = self.busy() and self._accepting
        if looking:
            # Busy, and PATIENCE is over: take a connection that is waiting now, if any.
            timeout = 0
        elif self.busy():
            timeout = min(timeout, max(0.0, self.listened_at + PATIENCE - time.monotonic()))
        super().wait_for_and_dispatch_events(timeout)
        if looking:
            self.set_accept_enabled(False)
