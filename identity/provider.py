"""The built-in provider's request validator (django-oauth-toolkit, `OAUTH2_VALIDATOR_CLASS`)."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator as BaseValidator
from oauthlib.oauth2.rfc6749.errors import UnauthorizedClientError


class OAuth2Validator(BaseValidator):
    def validate_user(
        self, username: str, password: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """oauthlib checks a password grant's username and password *before* it asks whether
        the client may use the password grant at all, so a client registered only for the code
        flow (our public browser client, which needs no secret) would answer "invalid_grant"
        to a wrong password and "unauthorized_client" to a right one: an oracle for guessing
        passwords. Refuse the grant first, so the answer never depends on the password."""
        if not self.validate_grant_type(client.client_id, "password", client, request):
            raise UnauthorizedClientError(request=request)
        return bool(super().validate_user(username, password, client, request, *args, **kwargs))
