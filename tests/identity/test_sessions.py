"""Browser sessions (identity/sessions.py): Django's database sessions, read by compiled SQL,
answer as Django's own store does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangosStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from identity.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_it_is_the_session_engine():
    assert settings.SESSION_ENGINE == "identity.sessions"


def test_a_live_session_reads_back_what_was_saved():
    saved = SessionStore()
    saved["grant"] = {"scopes": ["orders:read"], "subject": "7"}
    saved.save()

    read = SessionStore(saved.session_key)

    assert read["grant"] == {"scopes": ["orders:read"], "subject": "7"}
    assert read.session_key == saved.session_key
    assert dict(read.items()) == dict(DjangosStore(saved.session_key).items())


@pytest.mark.parametrize("key", ["expired", "unknown", "signed-out"])
def test_a_session_that_is_not_live_reads_empty_and_its_key_is_not_reused(key):
    session = SessionStore()
    session["user"] = "1"
    session.save()
    if key == "expired":
        Session.objects.filter(pk=session.session_key).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )
    elif key == "signed-out":
        SessionStore(session.session_key).flush()
    stale = session.session_key if key != "unknown" else "x" * 32

    read = SessionStore(stale)

    assert dict(read.items()) == {}
    read["user"] = "2"
    read.save()
    # A new session, as Django's store makes: a stale key is never brought back to life.
    assert read.session_key != stale
    assert not Session.objects.filter(pk=stale, expire_date__gt=timezone.now()).exists()


def test_a_tampered_session_reads_empty():
    session = SessionStore()
    session["user"] = "1"
    session.save()
    Session.objects.filter(pk=session.session_key).update(session_data="not-signed")

    assert dict(SessionStore(session.session_key).items()) == {}
