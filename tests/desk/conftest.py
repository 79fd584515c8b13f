from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from identity.authentication import SESSION_GRANT_KEY
from identity.scopes import API_SCOPES
from tests.factories import UserFactory

DeskClient = Callable[..., Client]


def signed_in(*scopes: str) -> Client:
    """A browser session as the login leaves it: a signed-in user and the grant's scopes."""
    user: Any = UserFactory()
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_GRANT_KEY] = {
        "issuer": "tests",
        "subject": str(user.pk),
        "scopes": sorted(scopes),
    }
    session.save()
    return client


@pytest.fixture
def desk() -> Client:
    """A member of staff with every scope."""
    return signed_in(*API_SCOPES)
