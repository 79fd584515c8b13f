from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from identity.authentication import forget_recent
from identity.scopes import API_SCOPES, AccessGrant
from tests.factories import UserFactory

# Every property-based test draws the same examples on every run and keeps no example
# database: no random example decides whether the suite passes (`make fuzz` is for exploring).
hypothesis_settings.register_profile("deterministic", derandomize=True, database=None)
hypothesis_settings.load_profile("deterministic")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache. The throttle counts a client's requests in it,
    and user ids repeat across tests (each test's rows are rolled back), so a fast machine
    would otherwise carry one test's requests into the next one's rate."""
    cache.clear()
    forget_recent()
    yield
    cache.clear()
    forget_recent()


@pytest.fixture
def user():
    return UserFactory()


def full_access(user) -> Any:
    """A grant of all four API scopes, as a token with every scope would give. Typed Any: the
    DRF stubs expect an authtoken `Token` where DRF itself takes any object."""
    return AccessGrant(issuer="tests", subject=str(user.pk), scopes=API_SCOPES)


@pytest.fixture
def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user, token=full_access(user))
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def client_with_scopes(*scopes: str) -> APIClient:
    """A client of a new user whose grant holds exactly `scopes`."""
    user: Any = UserFactory()
    client = APIClient()
    grant: Any = AccessGrant(issuer="tests", subject=str(user.pk), scopes=frozenset(scopes))
    client.force_authenticate(user=user, token=grant)
    return client
