"""gunicorn's threaded worker, taking a new connection only while one of its threads is free.

Workers share one listening socket. gunicorn's gthread worker accepts every connection it can
(up to `worker_connections`, 1,000), whether its threads are busy or not, and keeps each one for
its keep-alive requests. When clients connect in a burst (a proxy opening its pool, a load test),
the first worker awake takes them all: measured with 16 connections on two workers, a third to
a half of the runs had one worker serving everything (on one core, the GIL) while the other
idled, at half the throughput. A worker whose threads are all busy now leaves new connections
in the shared queue for a worker that can start on them.

A listening socket per worker (SO_REUSEPORT, gunicorn's `reuse_port`) balances too, but resets
the connections queued at a worker when it is recycled: measured, thousands of socket errors.
"""

from __future__ import annotations

from concurrent import futures
from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    # Requests handed to the thread pool and not finished: all of it runs on the worker's main
    # loop (accept, the keep-alive poller, finish_request through the method queue), so a
    # plain counter is safe.
    in_flight = 0

    def enqueue_req(self, conn: Any) -> None:
        self.in_flight += 1
        super().enqueue_req(conn)
        if self.in_flight >= self.cfg.threads:
            self.set_accept_enabled(False)

    def finish_request(self, conn: Any, fs: futures.Future[Any]) -> None:
        self.in_flight -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        # gunicorn's loop asks to accept whenever it holds fewer than worker_connections.
        super().set_accept_enabled(enabled and self.in_flight < self.cfg.threads)
