"""Deliver the SMS outbox: `python manage.py sms_worker` (`--once`: all that is due, then exit).

Reads like healthchecks' `sendalerts`: a loop of small steps, each returning whether it did
something. A step tops up the thread pool with due notifications (claimed with a lease, so a
worker that dies mid-send has its claims taken over once the lease runs out) and records the
outcome of every send that has finished. The gateway takes hundreds of milliseconds per call,
so up to `SMS_WORKER_CONCURRENCY` sends are in flight at once, and a slow call (up to the
timeout) holds up only its own thread, never the others.

Only the gateway calls run on the pool; the database is touched from the main thread alone,
so the threads need no connections of their own. SIGTERM (and Ctrl-C) stops the claiming;
the sends in hand finish and are recorded, then the worker exits.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections, connection, transaction

from customers.phone import mask_phone_number
from monitoring.metrics import SMS_GATEWAY_DURATION
from monitoring.server import start_metrics_server
from notifications.backends import BaseSmsBackend, TransportError, get_backend
from notifications.services import Claim, claim_due_notifications, record_failure, record_sent

logger = logging.getLogger("notifications.worker")

Outcome = str | TransportError


class Command(BaseCommand):
    help = "Send queued SMS notifications; with --once, send everything due and exit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Send everything that is due, then exit."
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help="Messages sent at the same time (default: SMS_WORKER_CONCURRENCY).",
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=None,
            help="Serve Prometheus metrics at http://ADDRESS:PORT/metrics (docs/monitoring.md).",
        )
        parser.add_argument(
            "--metrics-address",
            default="0.0.0.0",  # noqa: S104 - scraped by pod IP; guarded like the web's
            help="Address the metrics port listens on (default 0.0.0.0).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = threading.Event()
        previous = {
            signum: signal.signal(signum, self.on_signal)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        if options["metrics_port"] is not None:
            server = start_metrics_server(
                port=options["metrics_port"], address=options["metrics_address"]
            )
            logger.info("sms_worker_metrics port=%s", server.server_port)
        try:
            with self.running(concurrency=options["concurrency"]):
                logger.info(
                    "sms_worker_started backend=%s concurrency=%s once=%s",
                    settings.SMS_BACKEND,
                    self.concurrency,
                    options["once"],
                )
                while not self.stopping.is_set():
                    if not connection.in_atomic_block:
                        # As after a web request: drop a connection the database closed or
                        # that outlived CONN_MAX_AGE, so a database restart needs no worker
                        # restart. (Not inside a transaction: tests run the worker in one.)
                        close_old_connections()
                    try:
                        busy = self.step()
                    except DatabaseError:
                        # The database went away (restart, failover): keep the worker alive
                        # and try again. Claims whose outcome could not be recorded stay in
                        # `sending` and are sent again when their lease runs out.
                        logger.exception("sms_worker_database_error")
                        self.stopping.wait(settings.SMS_POLL_SECONDS)
                        continue
                    if busy:
                        continue
                    if options["once"]:
                        break
                    # Nothing due and nothing in flight: wait, but wake at once on SIGTERM.
                    self.stopping.wait(settings.SMS_POLL_SECONDS)
                # Stopping: no new claims, but the sends in hand finish and are recorded.
                self.finish_in_flight()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        logger.info("sms_worker_stopped processed=%s", self.processed)

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        logger.info("sms_worker_stopping signal=%s", signal.Signals(signum).name)
        self.stopping.set()

    @contextmanager
    def running(self, *, concurrency: int | None = None) -> Iterator[None]:
        """The backend and the thread pool that `step` uses."""
        self.concurrency: int = concurrency or settings.SMS_WORKER_CONCURRENCY
        self.backend: BaseSmsBackend = get_backend()
        self.in_flight: dict[Future[Outcome], Claim] = {}
        self.processed = 0
        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="sms") as self.pool:
                yield
        finally:
            self.backend.close()

    def step(self) -> bool:
        """Claim due notifications for the idle threads, then record the sends that finish
        within a moment. Returns whether anything is, or was, going on."""
        claimed = self.claim_for_idle_threads()
        if not self.in_flight:
            return claimed > 0
        done, _ = wait(self.in_flight, timeout=0.05, return_when=FIRST_COMPLETED)
        self.record(done)
        return True

    def claim_for_idle_threads(self) -> int:
        idle = self.concurrency - len(self.in_flight)
        if idle <= 0:
            return 0
        claims = claim_due_notifications(limit=idle)
        for claim in claims:
            self.in_flight[self.pool.submit(self.send, claim)] = claim
        return len(claims)

    def finish_in_flight(self) -> None:
        """Wait for every send in hand and record it."""
        if self.in_flight:
            done, _ = wait(self.in_flight)
            self.record(done)

    def record(self, done: set[Future[Outcome]]) -> None:
        # One commit for all that finished together rather than one per message: on SQLite
        # each commit is a disk sync.
        with transaction.atomic():
            for future in done:
                claim = self.in_flight[future]
                outcome = future.result()
                if isinstance(outcome, TransportError):
                    record_failure(claim=claim, error=outcome)
                else:
                    record_sent(claim=claim, provider_message_id=outcome)
        for future in done:
            del self.in_flight[future]
        self.processed += len(done)

    def send(self, claim: Claim) -> Outcome:
        """On a pool thread: one gateway call, its failure returned rather than raised."""
        started = time.perf_counter()
        result = "success"
        try:
            return self.backend.send(to=claim.phone_number, message=claim.message)
        except TransportError as exc:
            result = "permanent" if exc.permanent else "temporary"
            return exc
        except Exception:
            result = "crash"
            # A bug in a backend must not kill the worker or leave the row in `sending`.
            logger.exception(
                "sms_backend_crashed notification=%s to=%s",
                claim.notification_id,
                mask_phone_number(claim.phone_number),
            )
            return TransportError("Unexpected error in the SMS backend")
        finally:
            SMS_GATEWAY_DURATION.labels(result).observe(time.perf_counter() - started)
