"""Who may read the metrics, and what a scrape returns."""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable
from ipaddress import ip_address, ip_network

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from monitoring.collectors import OutboxCollector


def scrape_allowed(*, authorization: str, remote_addr: str) -> bool:
    """`Authorization: Bearer <METRICS_BEARER_TOKEN>` (compared in constant time), or a
    connecting address in METRICS_ALLOWED_IPS. The address is the TCP peer's, never an
    X-Forwarded-For header a caller could write: behind a proxy it is the proxy's, so there
    use the token (docs/monitoring.md)."""
    expected = settings.METRICS_BEARER_TOKEN
    if expected:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode("utf-8", "replace"), expected.encode()
        ):
            return True
    return bool(settings.METRICS_ALLOWED_IPS) and address_allowed(
        remote_addr, settings.METRICS_ALLOWED_IPS
    )


def address_allowed(remote_addr: str, allowed: Iterable[str]) -> bool:
    try:
        address = ip_address(remote_addr)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ip_network(entry, strict=False) for entry in allowed)


class _ThisProcess(Collector):
    """The metrics of this process alone (runserver, the SMS worker, tests)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape(*, with_outbox: bool) -> bytes:
    """The metrics in Prometheus' text format. Under gunicorn (PROMETHEUS_MULTIPROC_DIR set)
    the values of every worker process, live or recycled, are added up; otherwise this
    process's. `with_outbox`: also read the outbox's depth and age from the database."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    if with_outbox:
        registry.register(OutboxCollector())
    return generate_latest(registry)
