"""The built-in provider's two development clients, made by `manage.py ensure_dev_client`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from identity.login import BUILT_IN_BROWSER_CLIENT_ID

DEV_API_CLIENT_ID = "patient-orders-dev"


@dataclass(frozen=True)
class DevClients:
    api_client_id: str
    # Only known when the client was just made: the provider keeps a hash of it.
    api_client_secret: str | None
    browser_client_id: str


@transaction.atomic
def ensure_dev_clients(*, callback_url: str) -> DevClients:
    """A confidential client for client-credentials tokens (curl, scripts) and a public PKCE
    client for the browser login at `callback_url`. Safe to run on every start."""
    application_model = get_application_model()
    secret: str | None = None
    if not application_model.objects.filter(client_id=DEV_API_CLIENT_ID).exists():
        secret = generate_client_secret()
        application_model.objects.create(
            client_id=DEV_API_CLIENT_ID,
            client_secret=secret,
            name="Development API client",
            client_type=application_model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=application_model.GRANT_CLIENT_CREDENTIALS,
        )
    browser, _ = application_model.objects.get_or_create(
        client_id=BUILT_IN_BROWSER_CLIENT_ID,
        defaults={
            "name": "Browsable API and admin",
            "client_type": application_model.CLIENT_PUBLIC,
            "authorization_grant_type": application_model.GRANT_AUTHORIZATION_CODE,
            "skip_authorization": True,
            "redirect_uris": "",
        },
    )
    uris = browser.redirect_uris.split()
    if callback_url not in uris:
        browser.redirect_uris = " ".join([*uris, callback_url])
        browser.save(update_fields=["redirect_uris"])
    return DevClients(DEV_API_CLIENT_ID, secret, BUILT_IN_BROWSER_CLIENT_ID)
