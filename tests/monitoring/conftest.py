from __future__ import annotations

from collections.abc import Iterable

import pytest
from prometheus_client.parser import text_string_to_metric_families

# The SMS tests' fixtures: the gateway double and the settings that point the worker at it.
from tests.notifications.conftest import gateway, sms_settings  # noqa: F401

METRICS_TOKEN = "metrics-token-for-tests-0123456789"

Samples = list[tuple[str, dict[str, str], float]]


def parse(text: str) -> Samples:
    """Every sample of a scrape as (name, labels, value)."""
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels`."""
    return sum(
        v
        for n, sample_labels, v in samples
        if n == name and all(sample_labels.get(k) == want for k, want in labels.items())
    )


def label_values(samples: Samples) -> set[str]:
    return {v for _, labels, _ in samples for v in labels.values()}


def assert_no_label_contains(samples: Samples, secrets: Iterable[str]) -> None:
    values = label_values(samples)
    for secret in secrets:
        assert not [v for v in values if secret in v], secret


@pytest.fixture
def metrics_settings(settings):
    settings.METRICS_BEARER_TOKEN = METRICS_TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return settings


@pytest.fixture
def scrape(client, metrics_settings):
    """Scrape /metrics in this process, with the token."""

    def scrape() -> Samples:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
        assert response.status_code == 200, response.status_code
        assert response["Content-Type"].startswith("text/plain")
        return parse(response.content.decode())

    return scrape
