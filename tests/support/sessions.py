"""A browser signed in as the login leaves it, for tests of pages behind a session."""

from __future__ import annotations

from typing import Any

from django.test import Client

from identity.authentication import SESSION_GRANT_KEY
from tests.factories import UserFactory


def signed_in(*scopes: str, user: Any = None) -> Client:
    """A client whose session holds a signed-in user (a new one unless given) and the
    grant's scopes."""
    user = user or UserFactory()
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
