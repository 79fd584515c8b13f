from __future__ import annotations

from django.contrib.auth.models import User

from identity.authentication import BUILT_IN_ISSUER
from identity.models import Identity


def principal_of(user: User) -> dict[str, str]:
    """Who `user` is at the OpenID Provider: issuer and subject, as the audit trail reports
    them. Password users of the built-in provider are (built-in, their id), as in their tokens.

    Select `identity` with the user to keep this free of queries.
    """
    try:
        identity = user.identity
    except Identity.DoesNotExist:
        return {"issuer": BUILT_IN_ISSUER, "subject": str(user.pk)}
    return {"issuer": identity.issuer, "subject": identity.subject}
