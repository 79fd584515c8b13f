from __future__ import annotations

from django.conf import settings
from django.db import models


class Identity(models.Model):
    """Who a local user is at an OpenID Provider: the pair (issuer, subject), never an email.

    Emails can be changed, reused or unverified at a provider; `sub` is stable and unique per
    issuer by the OpenID Connect specification, so it is the only safe key."""

    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="identity_issuer_subject"),
            models.CheckConstraint(condition=~models.Q(subject=""), name="identity_subject_set"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"
