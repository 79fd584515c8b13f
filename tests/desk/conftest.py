from __future__ import annotations

import pytest
from django.test import Client

from identity.scopes import API_SCOPES
from tests.support.sessions import signed_in


@pytest.fixture
def desk() -> Client:
    """A member of staff with every scope."""
    return signed_in(*API_SCOPES)
