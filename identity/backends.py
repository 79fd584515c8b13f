"""Django's password backend, remembering signed-in users the way bearer tokens' users are."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User

from identity.authentication import remembered_user


class RecentModelBackend(ModelBackend):
    """`ModelBackend`, whose `get_user` (run on every request of a signed-in browser: the
    front desk, the admin, the browsable API) remembers each user for `OIDC_RECENT_SECONDS`
    per process, as a bearer token's user is remembered: a desk page costs no user query.

    The session itself is still read on every request, so signing out takes effect at once
    everywhere. A user saved in this process is forgotten here at once; a deactivation or a
    password change made by another process counts here within those seconds."""

    def get_user(self, user_id: Any) -> User | None:
        load = super().get_user
        user = remembered_user(("session", str(user_id)), lambda: load(user_id))
        return user if isinstance(user, User) else None
