"""A signed-in front-desk session with every scope, made the way a browser login leaves one,
for bench/run.py to time the desk's pages: `python bench/desk_session.py` prints one JSON line,
{"cookie": NAME, "key": KEY}.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from identity.authentication import SESSION_GRANT_KEY  # noqa: E402
from identity.scopes import API_SCOPES  # noqa: E402

user, _ = User.objects.get_or_create(username="bench-desk")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "identity.backends.RecentModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session[SESSION_GRANT_KEY] = {
    "issuer": "bench",
    "subject": str(user.pk),
    "scopes": sorted(API_SCOPES),
}
session.save()
print(json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "key": session.session_key}))
