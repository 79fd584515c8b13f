"""Metrics read from the database when Prometheus scrapes, rather than counted as they happen:
the outbox's depth and age are facts about the table, true whichever process changed it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from monitoring.metrics import PREFIX
from notifications.selectors import outbox_state

logger = logging.getLogger(__name__)


class OutboxCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            state = outbox_state(now=timezone.now())
        except DatabaseError as exc:
            # The scrape still answers with everything else; readiness reports the database.
            logger.warning("metrics_outbox_unavailable error=%s", type(exc).__name__)
            return
        depth = GaugeMetricFamily(
            f"{PREFIX}_sms_outbox_messages",
            "SMS still to send, by status (queued, sending) and kind.",
            labels=["status", "kind"],
        )
        for (status, kind), count in sorted(state.depth.items()):
            depth.add_metric([status, kind], count)
        yield depth
        yield GaugeMetricFamily(
            f"{PREFIX}_sms_outbox_oldest_due_age_seconds",
            "Seconds since the most overdue SMS became due (0: none is due).",
            value=state.oldest_due_age,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_sms_outbox_oldest_waiting_age_seconds",
            "Seconds since the oldest SMS still to send was queued (0: none waits).",
            value=state.oldest_waiting_age,
        )
