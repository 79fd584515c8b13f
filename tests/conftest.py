from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"
