"""Writes for identity: local users for provider subjects, and the staff flag."""

from __future__ import annotations

import hashlib
import logging

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from identity.models import Identity

logger = logging.getLogger(__name__)


class StaffGrantError(Exception):
    """grant_staff could not single out one user; the message says why, for the operator."""


class NoSuchUser(StaffGrantError):
    pass


class AmbiguousUser(StaffGrantError):
    pass


def _username_for(issuer: str, subject: str) -> str:
    """Stable, unique and free of personal data (no email or name in usernames or logs)."""
    digest = hashlib.sha256(f"{issuer}\x00{subject}".encode()).hexdigest()
    return f"oidc-{digest[:32]}"


def user_for_subject(*, issuer: str, subject: str, email: str = "") -> User:
    """The local user for (issuer, sub), created on first sight. Never looked up by email:
    an email can be reused or unverified at a provider; `sub` cannot."""
    identity = Identity.objects.select_related("user").filter(issuer=issuer, subject=subject)
    found = identity.first()
    if found is not None:
        return found.user
    try:
        with transaction.atomic():
            user = User(username=_username_for(issuer, subject), email=email)
            user.set_unusable_password()
            user.save()
            Identity.objects.create(issuer=issuer, subject=subject, user=user)
    except IntegrityError:
        # Two first requests of one subject at once: the other one created the user.
        return Identity.objects.select_related("user").get(issuer=issuer, subject=subject).user
    logger.info("identity_user_created user_id=%s", user.pk)
    return user


@transaction.atomic
def grant_staff(*, subject: str = "", email: str = "", superuser: bool = False) -> User:
    """Make one user staff (admin access), found by provider subject or by email."""
    if subject:
        users = list(User.objects.filter(identity__subject=subject))
    else:
        users = list(User.objects.filter(email__iexact=email))
    if not users:
        raise NoSuchUser("No user has logged in with that subject or email yet.")
    if len(users) > 1:
        raise AmbiguousUser("More than one user matches; name the user by subject instead.")
    user = users[0]
    user.is_staff = True
    user.is_superuser = user.is_superuser or superuser
    user.save(update_fields=["is_staff", "is_superuser"])
    logger.info("identity_staff_granted user_id=%s superuser=%s", user.pk, user.is_superuser)
    return user
