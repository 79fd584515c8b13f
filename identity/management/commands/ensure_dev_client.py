"""`make run` calls this: development clients for the built-in provider, and how to use them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from identity.dev_clients import ensure_dev_clients


class Command(BaseCommand):
    help = "Ensure the built-in provider's development clients exist; print how to use them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the service is served"
        )

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        if settings.OIDC_ISSUER:
            self.stdout.write("OIDC_ISSUER is set: the external provider is in use.")
            return
        base_url = base_url.rstrip("/")
        clients = ensure_dev_clients(callback_url=f"{base_url}/auth/callback/")
        if clients.api_client_secret is None:
            self.stdout.write(
                f"Built-in OpenID Provider: development client {clients.api_client_id} exists "
                "(its secret was printed when it was made; docs/identity.md)."
            )
            return
        # Printed once: the provider stores only a hash of the secret.
        self.stdout.write(
            f"""
Built-in OpenID Provider ready at {base_url}/o/ . This is shown once; keep the secret.

  Token for curl (client credentials, all four scopes):
    TOKEN=$(curl -s -X POST {base_url}/o/token/ \\
      -u '{clients.api_client_id}:{clients.api_client_secret}' \\
      -d grant_type=client_credentials \\
      -d 'scope=customers:read customers:write orders:read orders:write' \\
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    curl -H "Authorization: Bearer $TOKEN" {base_url}/api/orders/

  Browser: create a user once with `.venv/bin/python manage.py createsuperuser`, then open
    {base_url}/api/orders/ and follow "Log in".
"""
        )
